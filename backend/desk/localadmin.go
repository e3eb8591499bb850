package desk

import (
	"context"
	"strings"
	"sync/atomic"

	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

// On the local portal there is no sign-in, so the administrator says once who they are:
// every change they make is then in the audit log under their name, not "Gatehouse".

// localAdminSetting is the cache setting that keeps it.
const localAdminSetting = "app.localAdmin"

// LocalAdmin is who works on the local portal.
type LocalAdmin struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// localAdminHolder keeps the administrator's name for the local portal's requests.
type localAdminHolder struct{ p atomic.Pointer[LocalAdmin] }

// actor is who the local portal's changes are by; the zero Actor (the portal acts as
// Gatehouse) until the administrator has said who they are.
func (h *localAdminHolder) actor() portal.Actor {
	l := h.p.Load()
	if l == nil || l.Email == "" {
		return portal.Actor{}
	}
	return portal.Actor{ID: "local:" + portal.NormalizeEmail(l.Email), Name: l.Name, SystemAdmin: true, UserSetup: true}
}

func (a *Desk) loadLocalAdmin(ctx context.Context, db *cache.DB) {
	var l LocalAdmin
	if ok, err := db.GetSetting(ctx, localAdminSetting, &l); err != nil {
		a.log.Warn("read who works on the local portal", "err", err)
	} else if ok {
		a.localAdmin.p.Store(&l)
	}
}

// LocalAdmin says who works on the local portal; empty until they said.
func (a *Desk) LocalAdmin() (LocalAdmin, error) {
	if l := a.localAdmin.p.Load(); l != nil {
		return *l, nil
	}
	return LocalAdmin{}, nil
}

// SaveLocalAdmin records who works on the local portal: their name and e-mail address
// appear on every change they make there from now on.
func (a *Desk) SaveLocalAdmin(l LocalAdmin) (LocalAdmin, error) {
	l.Name = strings.Join(strings.Fields(l.Name), " ")
	switch {
	case l.Name == "":
		return LocalAdmin{}, portal.FieldErrorf("name", "Enter your name: the audit log shows it beside every change you make.")
	case len(l.Name) > 100:
		return LocalAdmin{}, portal.FieldErrorf("name", "Keep your name under 100 characters.")
	}
	email, err := portal.ParseEmail(l.Email)
	if err != nil {
		return LocalAdmin{}, &portal.Error{Code: portal.EINVALID, Field: "email", Message: portal.ErrorMessage(err)}
	}
	l.Email = email
	db, err := a.cache()
	if err != nil {
		return LocalAdmin{}, err
	}
	if err := db.SetSetting(a.ctx(), localAdminSetting, l); err != nil {
		return LocalAdmin{}, err
	}
	a.localAdmin.p.Store(&l)
	// The local portal asks for the actor on every request; the sync engine, which decides
	// changes as its actor, is told. The portal keeps running on the address it has.
	a.mu.RLock()
	c := a.conn
	a.mu.RUnlock()
	if c != nil && c.target.Mode == ModeEmbedded && c.eng != nil {
		c.eng.SetActor(a.localAdmin.actor())
	}
	return l, nil
}
