// Package demo fills a portal with demonstration data: organisations (councils and food
// pantries) with their addresses and organisation roles, clients (two of them ghost
// accounts), staff promoted with roles, organisation administrators, SSO sign-ups waiting
// for approval, a denied one in the recycle bin, and invitations pending, expired and
// accepted.
//
// Every record is made the way the portal makes it, through the server's service layer
// (sign-in with SSO, complete registration, promote, invite, accept, approve, deny ...), so
// the audit log and the change feed carry the data to desktop clients like any other
// change. Only the times are then moved back (sign-ups, invitations, last logins spread
// over 90 days) with plain store writes, which the change feed carries too, so that the
// screens and reports have a history to show.
//
// Load is idempotent: every step first looks whether its record is already there, so a
// second call adds nothing and a call after an interrupted one finishes the job.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// MarkerOrganizationID is the first organisation Load creates; its presence tells that
// demo data was loaded.
const MarkerOrganizationID = "org_demo_ashby"

// Summary says what the demo portal holds.
type Summary struct {
	Organizations int `json:"organizations"`
	Accounts      int `json:"accounts"`
	Pending       int `json:"pending"`
	Invitations   int `json:"invitations"`
	// AlreadyLoaded is true when the data was there before this call.
	AlreadyLoaded bool `json:"alreadyLoaded"`
}

// demoPassword is the password the demo's accepted invitations set. Nobody signs in with
// it in the desktop; it only exists because accepting an invitation needs one.
const demoPassword = "demo portal password, not for real use"

type loader struct {
	svc *service.Service
	st  store.Store
	cmd func() *service.Cmd
	// anchor is "now" for the demo's history: the time of the first load, so a second
	// load computes the same times and writes nothing.
	anchor time.Time
}

// Loaded reports whether the portal holds the demo data.
func Loaded(ctx context.Context, st store.Store) (bool, error) {
	_, ok, err := markerOrg(ctx, st)
	return ok, err
}

func markerOrg(ctx context.Context, st store.Store) (portal.Organization, bool, error) {
	var o portal.Organization
	err := st.View(ctx, func(r store.Reader) error {
		var err error
		o, err = r.Organization(ctx, MarkerOrganizationID)
		return err
	})
	switch {
	case err == nil:
		return o, true, nil
	case portal.ErrorCode(err) == portal.ENOTFOUND:
		return o, false, nil
	default:
		return o, false, fmt.Errorf("look for the demo data: %w", err)
	}
}

// Load fills the portal behind svc and st (the same server's) with the demo data, acting
// as the system. It is meant for the desktop's embedded portal, which has no other data.
func Load(ctx context.Context, svc *service.Service, st store.Store) (Summary, error) {
	marker, already, err := markerOrg(ctx, st)
	if err != nil {
		return Summary{}, err
	}
	l := &loader{svc: svc, st: st, anchor: svc.Clock().Now()}
	if already {
		l.anchor = marker.CreatedAt
	}
	sys := portal.SystemActor()
	l.cmd = func() *service.Cmd { return &service.Cmd{Actor: sys} }

	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"organisations", l.organisations},
		{"organisation roles", l.roles},
		{"contacts", l.contacts},
		{"clients", l.clients},
		{"staff", l.staff},
		{"invitations", l.invitations},
		{"sign-ups", l.signUps},
		{"history", l.history},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return Summary{}, fmt.Errorf("load the demo %s: %w", s.what, err)
		}
	}
	return Summary{
		Organizations: len(orgs), Accounts: len(people()) + len(signUps()) + len(invitees()),
		Pending: countPending(), Invitations: len(invitees()), AlreadyLoaded: already,
	}, nil
}

func countPending() int {
	n := 0
	for _, s := range signUps() {
		if s.deny == "" {
			n++
		}
	}
	return n
}

func notFound(err error) bool { return portal.ErrorCode(err) == portal.ENOTFOUND }

func (l *loader) view(ctx context.Context, fn func(store.Reader) error) error {
	return l.st.View(ctx, fn)
}

func (l *loader) organisations(ctx context.Context) error {
	for _, o := range orgs {
		err := l.view(ctx, func(r store.Reader) error { _, err := r.Organization(ctx, o.id()); return err })
		if err == nil {
			continue
		} else if !notFound(err) {
			return err
		}
		if _, err := l.svc.CreateOrganization(ctx, l.cmd(), o.organization()); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	return nil
}

func (l *loader) roles(ctx context.Context) error {
	for _, o := range orgs {
		for _, rs := range o.roles {
			id := o.roleID(rs.key)
			err := l.view(ctx, func(r store.Reader) error { _, err := r.Role(ctx, id); return err })
			if err == nil {
				continue
			} else if !notFound(err) {
				return err
			}
			role := portal.Role{Name: rs.name, Scope: portal.ScopeOrganization, OrganizationID: o.id(), Permissions: []portal.Permission{}}
			if _, err := l.svc.PutRole(ctx, l.cmd(), id, role); err != nil {
				return fmt.Errorf("%s of %s: %w", rs.name, o.name, err)
			}
		}
	}
	return nil
}

// ensureContact creates a contact unless it exists.
func (l *loader) ensureContact(ctx context.Context, c portal.Contact) error {
	err := l.view(ctx, func(r store.Reader) error { _, err := r.Contact(ctx, c.ID); return err })
	if err == nil {
		return nil
	} else if !notFound(err) {
		return err
	}
	if _, err := l.svc.CreateContact(ctx, l.cmd(), c); err != nil {
		return fmt.Errorf("contact %s: %w", c.Email, err)
	}
	return nil
}

func (l *loader) contacts(ctx context.Context) error {
	for _, p := range people() {
		if err := l.ensureContact(ctx, portal.Contact{ID: p.contactID(), OrganizationID: p.org.id(), FullName: p.name, Email: p.email, Member: p.org.member}); err != nil {
			return err
		}
	}
	for _, s := range signUps() {
		if s.org != nil {
			if err := l.ensureContact(ctx, portal.Contact{ID: s.contactID(), OrganizationID: s.org.id(), FullName: s.name, Email: s.email}); err != nil {
				return err
			}
		}
	}
	for _, v := range invitees() {
		if err := l.ensureContact(ctx, portal.Contact{ID: v.contactID(), OrganizationID: v.org.id(), FullName: v.name, Email: v.email, Position: "Clerk", Member: v.org.member}); err != nil {
			return err
		}
	}
	for _, c := range spareContacts() {
		if err := l.ensureContact(ctx, portal.Contact{ID: c.contactID(), OrganizationID: c.org.id(), FullName: c.name, Email: c.email, Member: c.org.member}); err != nil {
			return err
		}
	}
	return nil
}

// account returns the account bound to an SSO subject, if any.
func (l *loader) account(ctx context.Context, source, subject string) (portal.Account, bool, error) {
	var a portal.Account
	err := l.view(ctx, func(r store.Reader) error {
		var err error
		a, err = r.AccountBySubject(ctx, source, subject)
		return err
	})
	if notFound(err) {
		return a, false, nil
	}
	return a, err == nil, err
}

// signUpMode switches how first SSO sign-ins are treated.
func (l *loader) signUpMode(ctx context.Context, mode portal.SignUpMode) error {
	set, err := l.svc.GetSettings(ctx, portal.SystemActor())
	if err != nil {
		return err
	}
	if set.SignUpMode == mode {
		return nil
	}
	set.SignUpMode = mode
	if set.ApproverEmails == nil {
		set.ApproverEmails = []string{}
	}
	_, err = l.svc.UpdateSettings(ctx, l.cmd(), set)
	return err
}

func identity(p person) portal.SSOIdentity {
	return portal.SSOIdentity{Email: p.email, Name: p.name, Subject: p.subject(), Source: domainOf(p.email)}
}

func domainOf(email string) string {
	for i := len(email) - 1; i >= 0; i-- {
		if email[i] == '@' {
			return email[i+1:]
		}
	}
	return email
}

// clients signs every person up the PantrySoft way: their first SSO sign-in makes them
// an active client who still owes the registration form, which all but the ghosts then
// complete. The portal is left requiring approval for new sign-ins.
func (l *loader) clients(ctx context.Context) (err error) {
	var missing []person
	for _, p := range people() {
		_, ok, err := l.account(ctx, domainOf(p.email), p.subject())
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		if err := l.signUpMode(ctx, portal.SignUpClient); err != nil {
			return err
		}
		defer func() {
			if merr := l.signUpMode(ctx, portal.SignUpApproval); merr != nil && err == nil {
				err = merr
			}
		}()
		for _, p := range missing {
			res, err := l.svc.SignInSSO(ctx, identity(p), true)
			if err != nil {
				return fmt.Errorf("sign-up of %s: %w", p.email, err)
			}
			if res.Refusal != nil {
				return fmt.Errorf("sign-up of %s was refused: %w", p.email, res.Refusal)
			}
		}
	} else if err := l.signUpMode(ctx, portal.SignUpApproval); err != nil {
		return err
	}
	for _, p := range people() {
		a, _, err := l.account(ctx, domainOf(p.email), p.subject())
		if err != nil {
			return err
		}
		if !p.ghost && !a.RegistrationComplete {
			if _, err := l.svc.CompleteOwnRegistration(ctx, a.ID, ""); err != nil {
				return fmt.Errorf("registration of %s: %w", p.email, err)
			}
		}
	}
	return nil
}

// staff promotes the staff to users with roles, makes the organisation administrators and
// deactivates the clients who left.
func (l *loader) staff(ctx context.Context) error {
	for _, p := range people() {
		a, ok, err := l.account(ctx, domainOf(p.email), p.subject())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s has no account", p.email)
		}
		if p.staff != nil && a.Kind == portal.KindClient {
			extra := append([]string(nil), p.staff.additional...)
			for _, k := range p.staff.orgRoles {
				extra = append(extra, p.org.roleID(k))
			}
			if a, err = l.svc.Promote(ctx, l.cmd(), a.ID, api.PromoteRequest{CoreRole: p.staff.core, AdditionalRoles: extra, DeleteClientRecord: p.deleteCard}); err != nil {
				return fmt.Errorf("promote %s: %w", p.email, err)
			}
		}
		if p.orgAdmin && !a.OrgAdmin {
			if a, err = l.svc.SetOrgAdmin(ctx, l.cmd(), a.ID, true); err != nil {
				return fmt.Errorf("make %s an organisation administrator: %w", p.email, err)
			}
		}
		if p.inactive && a.Status == portal.StatusActive {
			if _, err = l.svc.Deactivate(ctx, l.cmd(), a.ID); err != nil {
				return fmt.Errorf("deactivate %s: %w", p.email, err)
			}
		}
	}
	return nil
}

func (l *loader) accountOfContact(ctx context.Context, contactID string) (portal.Account, bool, error) {
	var a portal.Account
	err := l.view(ctx, func(r store.Reader) error {
		var err error
		a, err = r.AccountByContact(ctx, contactID)
		return err
	})
	if notFound(err) {
		return a, false, nil
	}
	return a, err == nil, err
}

func (l *loader) latestInvitation(ctx context.Context, accountID string) (portal.Invitation, error) {
	var invs []portal.Invitation
	err := l.view(ctx, func(r store.Reader) error {
		var err error
		invs, err = r.Invitations(ctx, store.InvitationFilter{AccountID: accountID, Limit: 100})
		return err
	})
	if err != nil {
		return portal.Invitation{}, err
	}
	var latest *portal.Invitation
	for i := range invs {
		if latest == nil || invs[i].CreatedAt.After(latest.CreatedAt) {
			latest = &invs[i]
		}
	}
	if latest == nil {
		return portal.Invitation{}, errors.New("the invited account has no invitation")
	}
	return *latest, nil
}

// invitations invites the invitees; the accepted ones accept with a password.
func (l *loader) invitations(ctx context.Context) error {
	for _, v := range invitees() {
		a, ok, err := l.accountOfContact(ctx, v.contactID())
		if err != nil {
			return err
		}
		accept := v.state == portal.InvitationAccepted
		var token string
		if !ok {
			res, err := l.svc.Invite(ctx, l.cmd(), api.CreateInvitationRequest{ContactID: v.contactID(), Send: !accept})
			if err != nil {
				return fmt.Errorf("invite %s: %w", v.email, err)
			}
			a, token = res.Account, res.Token
		}
		if accept && a.Status == portal.StatusInvited {
			if a, err = l.accept(ctx, v, a, token); err != nil {
				return err
			}
		}
		if v.orgAdmin && a.Status == portal.StatusActive && !a.OrgAdmin {
			if _, err := l.svc.SetOrgAdmin(ctx, l.cmd(), a.ID, true); err != nil {
				return fmt.Errorf("make %s an organisation administrator: %w", v.email, err)
			}
		}
	}
	return nil
}

// accept accepts the invitation of invitee v with the demo password.
func (l *loader) accept(ctx context.Context, v invitee, a portal.Account, token string) (portal.Account, error) {
	if token == "" {
		// An earlier load stopped between invitation and acceptance: the link was never
		// kept, so a fresh one is made.
		inv, err := l.latestInvitation(ctx, a.ID)
		if err != nil {
			return a, fmt.Errorf("invitation of %s: %w", v.email, err)
		}
		res, err := l.svc.Resend(ctx, l.cmd(), inv.ID, api.ResendInvitationRequest{})
		if err != nil {
			return a, fmt.Errorf("renew the invitation of %s: %w", v.email, err)
		}
		token = res.Token
	}
	res, err := l.svc.AcceptWithPassword(ctx, token, demoPassword, "")
	if err != nil {
		return a, fmt.Errorf("accept the invitation of %s: %w", v.email, err)
	}
	return res.Account, nil
}

// signUps signs people in with SSO while the portal requires approval: they wait as
// pending; some ask for access (the approvers with user setup are e-mailed); one is denied
// and lies in the recycle bin.
func (l *loader) signUps(ctx context.Context) error {
	if err := l.signUpMode(ctx, portal.SignUpApproval); err != nil {
		return err
	}
	for _, s := range signUps() {
		a, ok, err := l.account(ctx, s.source, s.subject())
		if err != nil {
			return err
		}
		if !ok {
			res, err := l.svc.SignInSSO(ctx, portal.SSOIdentity{Email: s.email, Name: s.name, Subject: s.subject(), Source: s.source}, true)
			if err != nil {
				return fmt.Errorf("sign-in of %s: %w", s.email, err)
			}
			a = res.Account
		}
		if a.Status != portal.StatusPending {
			continue
		}
		if s.requested && a.AccessRequestedAt == nil {
			if a, err = l.svc.RequestAccess(ctx, a.ID, ""); err != nil {
				return fmt.Errorf("access request of %s: %w", s.email, err)
			}
		}
		if s.deny != "" {
			if _, err := l.svc.Deny(ctx, l.cmd(), a.ID, s.deny); err != nil {
				return fmt.Errorf("deny %s: %w", s.email, err)
			}
		}
	}
	return nil
}

const day = 24 * time.Hour

// history moves the times back so the demo has a past: clients joined over the last
// months and last logged in over the last 90 days, sign-ups and invitations happened
// days ago, and two invitations ran out. Times derive from each person's number and the
// anchor, so a second load writes nothing.
func (l *loader) history(ctx context.Context) error {
	err := l.st.Update(ctx, func(tx store.Tx) error {
		for _, p := range people() {
			a, err := tx.AccountBySubject(ctx, domainOf(p.email), p.subject())
			if err != nil {
				return fmt.Errorf("%s: %w", p.email, err)
			}
			created := l.anchor.Add(-time.Duration(100+(p.n*13)%200) * day)
			login := l.anchor.Add(-time.Duration((p.n*37)%90)*day - time.Duration((p.n*5)%24)*time.Hour)
			if p.inactive {
				login = l.anchor.Add(-time.Duration(60+p.n%30) * day)
			}
			if err := setTimes(ctx, tx, a, created, &login, nil); err != nil {
				return err
			}
		}
		for _, s := range signUps() {
			a, err := tx.AccountBySubject(ctx, s.source, s.subject())
			if err != nil {
				return fmt.Errorf("%s: %w", s.email, err)
			}
			created := l.anchor.Add(-time.Duration(s.daysAgo) * day)
			var requested *time.Time
			if s.requested {
				t := created.Add(20 * time.Minute)
				requested = &t
			}
			if err := setTimes(ctx, tx, a, created, a.LastLoginAt, requested); err != nil {
				return err
			}
		}
		for _, v := range invitees() {
			a, err := tx.AccountByContact(ctx, v.contactID())
			if err != nil {
				return fmt.Errorf("%s: %w", v.email, err)
			}
			sent := l.anchor.Add(-time.Duration(v.daysAgo) * day)
			var login *time.Time
			if v.state == portal.InvitationAccepted {
				t := sent.Add(time.Duration(3+v.n) * time.Hour)
				login = &t
			}
			if err := setTimes(ctx, tx, a, sent, login, nil); err != nil {
				return err
			}
			invs, err := tx.Invitations(ctx, store.InvitationFilter{AccountID: a.ID, Limit: 100})
			if err != nil {
				return err
			}
			for _, inv := range invs {
				if inv.Status != portal.InvitationPending && inv.Status != portal.InvitationAccepted {
					continue
				}
				want := inv
				want.CreatedAt, want.ExpiresAt = sent, sent.Add(portal.DefaultInvitationTTL)
				if inv.Status == portal.InvitationAccepted {
					t := sent.Add(3 * time.Hour)
					want.AcceptedAt = &t
				}
				if inv.CreatedAt.Equal(want.CreatedAt) && inv.ExpiresAt.Equal(want.ExpiresAt) {
					continue
				}
				if err := tx.PutInvitation(ctx, &want, ""); err != nil {
					return fmt.Errorf("invitation of %s: %w", v.email, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The invitations now past their expiry are written down as expired, as the server's
	// housekeeping would, so the feed and the audit log say so.
	_, err = l.svc.ExpireInvitations(ctx)
	return err
}

// setTimes stores the account with the given times unless it has them already.
func setTimes(ctx context.Context, tx store.Tx, a portal.Account, created time.Time, login, requested *time.Time) error {
	same := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if requested == nil {
		requested = a.AccessRequestedAt
	}
	if a.CreatedAt.Equal(created) && same(a.LastLoginAt, login) && same(a.AccessRequestedAt, requested) {
		return nil
	}
	a.CreatedAt, a.LastLoginAt, a.AccessRequestedAt = created, login, requested
	if a.DecidedAt != nil && a.DecidedAt.Before(created) {
		t := created.Add(2 * day)
		a.DecidedAt = &t
	}
	if err := tx.PutAccount(ctx, &a); err != nil {
		return fmt.Errorf("times of %s: %w", a.Email, err)
	}
	return nil
}

// IsDemo reports whether id is one of the demo's organisations or contacts, which must
// never reach a real portal.
func IsDemo(id string) bool {
	return strings.HasPrefix(id, "org_demo_") || strings.HasPrefix(id, "con_demo_")
}
