package service

import (
	"context"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// ActionBootstrapAdmin is the audit action of BootstrapAdmin.
const ActionBootstrapAdmin = portal.ActionBootstrapAdmin

// BootstrapAdmin gives a new portal its first system administrator: when no active system
// administrator exists, it creates an active staff account with the administrator role for
// email, which binds to the person's SSO identity at their first sign-in (the provider
// must vouch for the address). It does nothing when an active system administrator
// exists, and refuses when the address already has an account, which an administrator
// must then promote.
func (s *Service) BootstrapAdmin(ctx context.Context, email, name string) (portal.Account, bool, error) {
	addr, err := portal.ParseEmail(email)
	if err != nil {
		return portal.Account{}, false, err
	}
	var out portal.Account
	created := false
	err = s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountActiveSystemAdmins(ctx)
		if err != nil || n > 0 {
			return err
		}
		if accs, err := tx.AccountsByEmail(ctx, addr); err != nil {
			return err
		} else if len(accs) > 0 {
			return portal.Errorf(portal.ECONFLICT, "%s already has an account (%s) but the portal has no active system administrator. Give that account the administrator role with the embedded desktop or the database, or bootstrap another address.", addr, accs[0].Status)
		}
		now := s.clock.Now()
		if name == "" {
			name = portal.NameFromEmail(addr)
		}
		a := portal.Account{
			ID: NewID("acc"), Email: addr, Name: name, Status: portal.StatusActive, Kind: portal.KindStaff,
			CoreRole: portal.RoleAdministrator, AdditionalRoles: []string{}, Source: "bootstrap",
			RegistrationComplete: true, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.PutAccount(ctx, &a); err != nil {
			return err
		}
		sys := portal.SystemActor()
		out, created = a, true
		return audit(ctx, tx, portal.AuditEvent{At: now, ActorID: sys.ID, ActorName: sys.Name, Action: ActionBootstrapAdmin,
			EntityType: api.EntityAccount, EntityID: a.ID, After: jsonOf(a)})
	})
	return out, created, err
}
