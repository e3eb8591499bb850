package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// InvitationTTL checks a requested lifetime: zero means the default of 7 days, and no link
// lives longer than 30 days.
func InvitationTTL(requested time.Duration) (time.Duration, error) {
	switch {
	case requested == 0:
		return DefaultInvitationTTL, nil
	case requested < time.Hour:
		return 0, FieldErrorf("expiresIn", "An invitation must stay valid for at least an hour.")
	case requested > MaxInvitationTTL:
		return 0, FieldErrorf("expiresIn", "An invitation can stay valid for 30 days at most.")
	}
	return requested, nil
}

// NewToken returns a random one-time token to give out and the hash to store in its place.
func NewToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; going on without
		// randomness would hand out guessable links.
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches compares a presented token with a stored hash in constant time.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

// Invite gives a contact without an account an invited account and a one-time invitation.
// The invitation's roles must be the organisation's own roles (or, from a system
// administrator, any additional roles).
func Invite(op Op, a Account, invitationID string, ttl time.Duration, roles []string) (Account, Invitation, AuditEvent, error) {
	if err := op.Actor.CanAdminister(a.OrganizationID); err != nil {
		return Account{}, Invitation{}, AuditEvent{}, err
	}
	switch a.Status {
	case StatusNone:
	case StatusInvited:
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "%s has already been invited. Resend the invitation to give a new link.", a.label())
	case StatusActive:
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "%s already has access to the portal.", a.label())
	default:
		return Account{}, Invitation{}, AuditEvent{}, wrongStatus(a, "invited", hintFor(a.Status))
	}
	email, err := ParseEmail(a.Email)
	if err != nil {
		return Account{}, Invitation{}, AuditEvent{}, err
	}
	ttl, err = InvitationTTL(ttl)
	if err != nil {
		return Account{}, Invitation{}, AuditEvent{}, err
	}
	b := op.touched(a)
	b.Email, b.Status = email, StatusInvited
	if b.Kind == "" {
		b.Kind = KindClient
	}
	if b.Name == "" {
		b.Name = NameFromEmail(email)
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = op.Now
	}
	b.AdditionalRoles = normaliseRoleIDs(append(b.AdditionalRoles, roles...))
	if err := op.checkRoles(a, b); err != nil {
		return Account{}, Invitation{}, AuditEvent{}, err
	}
	inv := Invitation{
		ID: invitationID, AccountID: b.ID, ContactID: b.ContactID, OrganizationID: b.OrganizationID,
		Email: b.Email, Name: b.Name, Roles: normaliseRoleIDs(roles), Status: InvitationPending,
		CreatedBy: op.Actor.ID, CreatedAt: op.Now, ExpiresAt: op.Now.Add(ttl),
	}
	ev := op.event(ActionInvite, nil, &b)
	ev.EntityType, ev.EntityID = "invitation", inv.ID
	return b, inv, ev, nil
}

// Resend replaces an invitation with a new one; the old link stops working.
func Resend(op Op, a Account, old Invitation, newID string, ttl time.Duration) (revoked, fresh Invitation, ev AuditEvent, err error) {
	if err := op.mayChange(a); err != nil {
		return Invitation{}, Invitation{}, AuditEvent{}, err
	}
	if a.Status != StatusInvited {
		return Invitation{}, Invitation{}, AuditEvent{}, wrongStatus(a, "sent a new invitation", hintFor(a.Status))
	}
	if s := old.StatusAt(op.Now); s == InvitationAccepted {
		return Invitation{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "The invitation to %s was already accepted.", old.Email)
	}
	if ttl, err = InvitationTTL(ttl); err != nil {
		return Invitation{}, Invitation{}, AuditEvent{}, err
	}
	revoked = old
	if old.Status == InvitationPending {
		revoked.Status, revoked.RevokedAt = InvitationRevoked, timePtr(op.Now)
	}
	fresh = old
	fresh.ID, fresh.Status, fresh.CreatedBy = newID, InvitationPending, op.Actor.ID
	fresh.CreatedAt, fresh.ExpiresAt, fresh.AcceptedAt, fresh.RevokedAt, fresh.Version = op.Now, op.Now.Add(ttl), nil, nil, 0
	fresh.Roles = append([]string(nil), old.Roles...)
	ev = op.invitationEvent(ActionResend, &old, &fresh)
	return revoked, fresh, ev, nil
}

// Revoke kills a pending invitation link.
func Revoke(op Op, inv Invitation) (Invitation, AuditEvent, error) {
	if err := op.Actor.CanAdminister(inv.OrganizationID); err != nil {
		return Invitation{}, AuditEvent{}, err
	}
	if s := inv.StatusAt(op.Now); s != InvitationPending {
		return Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "The invitation to %s is %s, so there is nothing to revoke.", inv.Email, s)
	}
	b := inv
	b.Status, b.RevokedAt = InvitationRevoked, timePtr(op.Now)
	return b, op.invitationEvent(ActionRevoke, &inv, &b), nil
}

// Expire writes down that a pending invitation's time has run out.
func Expire(now time.Time, inv Invitation) (Invitation, AuditEvent, error) {
	if inv.Status != InvitationPending || now.Before(inv.ExpiresAt) {
		return Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "The invitation to %s has not expired.", inv.Email)
	}
	b := inv
	b.Status = InvitationExpired
	op := Op{Now: now, Actor: SystemActor()}
	return b, op.invitationEvent(ActionExpire, &inv, &b), nil
}

// Accept activates an invited account through its invitation, once, before expiry.
func Accept(now time.Time, a Account, inv Invitation) (Account, Invitation, AuditEvent, error) {
	switch inv.StatusAt(now) {
	case InvitationPending:
	case InvitationExpired:
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "This invitation link has expired. Ask your administrator to send a new one.")
	default:
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "This invitation link has already been used or was withdrawn. Ask your administrator for a new one if you still need access.")
	}
	if a.ID != inv.AccountID || a.Status != StatusInvited {
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "This invitation no longer matches an account waiting for it. Ask your administrator for a new one.")
	}
	op := Op{Now: now, Actor: SelfActor(a)}
	b := op.touched(a)
	b.Status, b.RegistrationComplete = StatusActive, true
	done := inv
	done.Status, done.AcceptedAt = InvitationAccepted, timePtr(now)
	ev := op.event(ActionAccept, &a, &b)
	return b, done, ev, nil
}

func (op Op) invitationEvent(action string, before, after *Invitation) AuditEvent {
	return changeEvent(op, action, "invitation", before, after)
}

// InviteContact decides the invitation of the person of contact c: acc is the contact's
// account when it has one, sameEmail the other accounts with the contact's address. A new
// account gets accountID. The server runs it to invite; the desktop runs it offline on its
// copy before queueing the invitation, so both refuse with the same sentence.
func InviteContact(op Op, c Contact, acc *Account, sameEmail []Account, accountID, invitationID string, ttl time.Duration, roles []string) (Account, Invitation, AuditEvent, error) {
	if err := op.Actor.CanAdminister(c.OrganizationID); err != nil {
		return Account{}, Invitation{}, AuditEvent{}, err
	}
	if c.Email == "" {
		return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "%s has no e-mail address, so no invitation can be sent. Add the address to the contact first.", c.FullName)
	}
	var a Account
	if acc != nil {
		a = *acc
	} else {
		for _, o := range sameEmail {
			if o.Status != StatusDenied {
				return Account{}, Invitation{}, AuditEvent{}, Errorf(ECONFLICT, "%s already has a portal account (%s), so it was not invited again.", c.Email, o.Status)
			}
		}
		a = Account{ID: accountID, ContactID: c.ID, OrganizationID: c.OrganizationID, Email: c.Email, Name: c.FullName, Source: "invitation", ClientRecord: true}
	}
	return Invite(op, a, invitationID, ttl, roles)
}

// CheckAddUsers checks a request to add people to organisation orgID by e-mail (Creatio's
// "add users"): the actor administers it, the list is one to 1,000 plain addresses with
// none twice, and the invitation lifetime is valid. It returns the addresses normalised and
// the lifetime. The server runs it before adding; the desktop before queueing the request.
func CheckAddUsers(act Actor, orgID string, emails []string, expiresInDays int) ([]string, time.Duration, error) {
	if orgID == "" {
		return nil, 0, FieldErrorf("organizationId", "Choose the organisation to add the people to.")
	}
	if err := act.CanAdminister(orgID); err != nil {
		return nil, 0, err
	}
	list, err := CheckEmailList(emails)
	if err != nil {
		return nil, 0, err
	}
	ttl, err := InvitationTTLDays(expiresInDays)
	return list, ttl, err
}
