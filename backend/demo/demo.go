// Package demo fills a portal with demonstration data: organisations (councils and food
// pantries) with their addresses and organisation roles, clients (two of them ghost
// accounts), staff promoted with roles, organisation administrators, SSO sign-ups waiting
// for approval, a denied one in the recycle bin, and invitations pending, expired and
// accepted.
//
// Every record is made the way the portal makes it, through the server's service layer
// (sign-in with SSO, complete registration, promote, invite, accept, approve, deny ...), so
// the audit log and the change feed carry the data to desktop clients like any other
// change. Each step is done at its own time in the past (Service.At): the organisations
// were set up most of a year ago, clients joined over the months since and last signed in
// over the last 90 days, sign-ups and invitations came days ago. So the record, its
// history in the audit log and the login report tell the same story: a person the drawer
// says signed up in March has a "signed up" entry in March, not on the day of the load.
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

// orgAge is how long before the load the demo's organisations were set up: before the
// first of its people joined.
const orgAge = 330 * day

// at is the portal acting at time t.
func (l *loader) at(t time.Time) *service.Service { return l.svc.At(portal.NewFixedClock(t)) }

// The demo's past, from each record's number and the anchor.
func (l *loader) setUp() time.Time { return l.anchor.Add(-orgAge) }
func (l *loader) joined(p person) time.Time {
	return l.anchor.Add(-time.Duration(100+(p.n*13)%200) * day)
}
func (l *loader) signedUp(s signUp) time.Time { return l.anchor.Add(-time.Duration(s.daysAgo) * day) }
func (l *loader) sent(v invitee) time.Time    { return l.anchor.Add(-time.Duration(v.daysAgo) * day) }

// approvalFrom is when the portal began to ask for approval of new sign-ins: the day after
// the last of the clients joined (joined is at most 100 days back).
func (l *loader) approvalFrom() time.Time { return l.anchor.Add(-99 * day) }

// accepted is when an accepted invitee took up the invitation (and first signed in).
func (l *loader) accepted(v invitee) time.Time {
	return l.sent(v).Add(time.Duration(3+v.n) * time.Hour)
}

// lastLogin spreads the clients' last sign-ins over the last 90 days; those who left
// signed in last two or three months ago.
func (l *loader) lastLogin(p person) time.Time {
	if p.inactive {
		return l.anchor.Add(-time.Duration(60+p.n%30) * day)
	}
	return l.anchor.Add(-time.Duration((p.n*37)%90)*day - time.Duration((p.n*5)%24)*time.Hour)
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
		// The marker was set up orgAge before the first load; a portal whose demo was
		// loaded before its steps had times of their own has it at the load itself.
		l.anchor = marker.CreatedAt.Add(orgAge)
		if l.anchor.After(svc.Clock().Now()) {
			l.anchor = marker.CreatedAt
		}
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
		{"last sign-ins", l.signIns},
		{"invitations", l.invitations},
		{"sign-ups", l.signUps},
		{"expired invitations", l.expire},
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
		if _, err := l.at(l.setUp()).CreateOrganization(ctx, l.cmd(), o.organization()); err != nil {
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
			if _, err := l.at(l.setUp().Add(time.Hour)).PutRole(ctx, l.cmd(), id, role); err != nil {
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
	if _, err := l.at(l.setUp().Add(2*time.Hour)).CreateContact(ctx, l.cmd(), c); err != nil {
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

// accountOf returns the account person p signed up with; it must be there.
func (l *loader) accountOf(ctx context.Context, p person) (portal.Account, error) {
	a, ok, err := l.account(ctx, domainOf(p.email), p.subject())
	if err == nil && !ok {
		err = fmt.Errorf("%s has no account", p.email)
	}
	return a, err
}

// signUpMode switches how first SSO sign-ins are treated, at time t.
func (l *loader) signUpMode(ctx context.Context, t time.Time, mode portal.SignUpMode) error {
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
	_, err = l.at(t).UpdateSettings(ctx, l.cmd(), set)
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
// complete half an hour later. The portal is left requiring approval for new sign-ins,
// from the day after the last of them joined.
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
		if err := l.signUpMode(ctx, l.setUp().Add(day), portal.SignUpClient); err != nil {
			return err
		}
		defer func() {
			if merr := l.signUpMode(ctx, l.approvalFrom(), portal.SignUpApproval); merr != nil && err == nil {
				err = merr
			}
		}()
		for _, p := range missing {
			res, err := l.at(l.joined(p)).SignInSSO(ctx, identity(p), true)
			if err != nil {
				return fmt.Errorf("sign-up of %s: %w", p.email, err)
			}
			if res.Refusal != nil {
				return fmt.Errorf("sign-up of %s was refused: %w", p.email, res.Refusal)
			}
		}
	} else if err := l.signUpMode(ctx, l.approvalFrom(), portal.SignUpApproval); err != nil {
		return err
	}
	for _, p := range people() {
		a, _, err := l.account(ctx, domainOf(p.email), p.subject())
		if err != nil {
			return err
		}
		if !p.ghost && !a.RegistrationComplete {
			if _, err := l.at(l.joined(p).Add(30*time.Minute)).CompleteOwnRegistration(ctx, a.ID, ""); err != nil {
				return fmt.Errorf("registration of %s: %w", p.email, err)
			}
		}
	}
	return nil
}

// staff promotes the staff to users with roles two days after they joined, and makes the
// organisation administrators the day after.
func (l *loader) staff(ctx context.Context) error {
	for _, p := range people() {
		a, err := l.accountOf(ctx, p)
		if err != nil {
			return err
		}
		if p.staff != nil && a.Kind == portal.KindClient {
			extra := append([]string(nil), p.staff.additional...)
			for _, k := range p.staff.orgRoles {
				extra = append(extra, p.org.roleID(k))
			}
			if a, err = l.at(l.joined(p).Add(2*day)).Promote(ctx, l.cmd(), a.ID, api.PromoteRequest{CoreRole: p.staff.core, AdditionalRoles: extra, DeleteClientRecord: p.deleteCard}); err != nil {
				return fmt.Errorf("promote %s: %w", p.email, err)
			}
		}
		if p.orgAdmin && !a.OrgAdmin {
			if _, err = l.at(l.joined(p).Add(3*day)).SetOrgAdmin(ctx, l.cmd(), a.ID, true); err != nil {
				return fmt.Errorf("make %s an organisation administrator: %w", p.email, err)
			}
		}
	}
	return nil
}

// signIns signs every person in with SSO once more, at their last login, which the login
// report then counts; the clients who left are deactivated the day after theirs.
func (l *loader) signIns(ctx context.Context) error {
	for _, p := range people() {
		a, err := l.accountOf(ctx, p)
		if err != nil {
			return err
		}
		login := l.lastLogin(p)
		if a.Status == portal.StatusActive && (a.LastLoginAt == nil || !a.LastLoginAt.Equal(login)) {
			res, err := l.at(login).SignInSSO(ctx, identity(p), true)
			if err != nil {
				return fmt.Errorf("sign-in of %s: %w", p.email, err)
			}
			if res.Refusal != nil {
				return fmt.Errorf("sign-in of %s was refused: %w", p.email, res.Refusal)
			}
			a = res.Account
		}
		if p.inactive && a.Status == portal.StatusActive {
			if _, err = l.at(login.Add(day)).Deactivate(ctx, l.cmd(), a.ID); err != nil {
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
			res, err := l.at(l.sent(v)).Invite(ctx, l.cmd(), api.CreateInvitationRequest{ContactID: v.contactID(), Send: !accept})
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
			if _, err := l.at(l.accepted(v).Add(day)).SetOrgAdmin(ctx, l.cmd(), a.ID, true); err != nil {
				return fmt.Errorf("make %s an organisation administrator: %w", v.email, err)
			}
		}
	}
	return nil
}

// accept accepts the invitation of invitee v with the demo password, a few hours after it
// was sent.
func (l *loader) accept(ctx context.Context, v invitee, a portal.Account, token string) (portal.Account, error) {
	if token == "" {
		// An earlier load stopped between invitation and acceptance: the link was never
		// kept, so a fresh one is made.
		inv, err := l.latestInvitation(ctx, a.ID)
		if err != nil {
			return a, fmt.Errorf("invitation of %s: %w", v.email, err)
		}
		res, err := l.at(l.sent(v).Add(time.Hour)).Resend(ctx, l.cmd(), inv.ID, api.ResendInvitationRequest{})
		if err != nil {
			return a, fmt.Errorf("renew the invitation of %s: %w", v.email, err)
		}
		token = res.Token
	}
	res, err := l.at(l.accepted(v)).AcceptWithPassword(ctx, token, demoPassword, "")
	if err != nil {
		return a, fmt.Errorf("accept the invitation of %s: %w", v.email, err)
	}
	return res.Account, nil
}

// signUps signs people in with SSO while the portal requires approval: they wait as
// pending; some ask for access twenty minutes later (the approvers with user setup are
// e-mailed); one is denied the next day and lies in the recycle bin.
func (l *loader) signUps(ctx context.Context) error {
	if err := l.signUpMode(ctx, l.approvalFrom(), portal.SignUpApproval); err != nil {
		return err
	}
	for _, s := range signUps() {
		a, ok, err := l.account(ctx, s.source, s.subject())
		if err != nil {
			return err
		}
		if !ok {
			res, err := l.at(l.signedUp(s)).SignInSSO(ctx, portal.SSOIdentity{Email: s.email, Name: s.name, Subject: s.subject(), Source: s.source}, true)
			if err != nil {
				return fmt.Errorf("sign-in of %s: %w", s.email, err)
			}
			a = res.Account
		}
		if a.Status != portal.StatusPending {
			continue
		}
		if s.requested && a.AccessRequestedAt == nil {
			if a, err = l.at(l.signedUp(s).Add(20*time.Minute)).RequestAccess(ctx, a.ID, ""); err != nil {
				return fmt.Errorf("access request of %s: %w", s.email, err)
			}
		}
		if s.deny != "" {
			if _, err := l.at(l.signedUp(s).Add(day)).Deny(ctx, l.cmd(), a.ID, s.deny); err != nil {
				return fmt.Errorf("deny %s: %w", s.email, err)
			}
		}
	}
	return nil
}

const day = 24 * time.Hour

// expire writes down the invitations now past their expiry as expired, as the server's
// housekeeping would, so the feed and the audit log say so.
func (l *loader) expire(ctx context.Context) error {
	_, err := l.svc.ExpireInvitations(ctx)
	return err
}

// IsDemo reports whether id is one of the demo's organisations or contacts, which must
// never reach a real portal.
func IsDemo(id string) bool {
	return strings.HasPrefix(id, "org_demo_") || strings.HasPrefix(id, "con_demo_")
}
