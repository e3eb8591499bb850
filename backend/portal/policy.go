package portal

import (
	"regexp"
	"time"
)

// Who may act on whom: the one policy of Gatehouse. The server enforces it, the desktop runs
// it offline before queueing a change, and the screens ask AccountActions what to offer.
//
// An actor reaches an account when:
//
//	actor                               reaches
//	system administrator                every account
//	approver (user setup)               every account, to decide sign-ins (approve, deny,
//	                                    approve instead, restore) and nothing else
//	administrator of organisation X     the accounts of X, for everything an administrator
//	                                    does except purge, promote and system roles
//	anyone else (staff without rights,  no account but their own, and only to finish their
//	client, pending, denied ...)        own registration
//
// and, having reached it, may change it only when every permission the account holds is one
// the actor holds too (CanChange): system administration needs a system administrator,
// user setup an actor with user setup, and the administration of an organisation an actor
// who administers that organisation. So an organisation's administrator never deactivates,
// reactivates, re-roles or demotes a system administrator or an approver who happens to
// belong to their organisation, yet may still appoint other administrators of their own
// organisation (as the Creatio guide says).
//
// Nobody changes their own access (deactivate, organisation administration, roles) — a slip
// there locks them out, and it needs a second pair of eyes; a system administrator may
// still change their own roles, guarded by the last-administrator rule.
//
// Which action applies to which account is AccountActionApplies; the sentences of the
// refusals are the transitions' own, so the server, the desktop and the screens say the same.

// AccountAction names something an administrator does to an account.
type AccountAction string

// The account actions, in the order a screen offers them.
const (
	DoApprove              AccountAction = "approve"
	DoDeny                 AccountAction = "deny"
	DoApproveInstead       AccountAction = "approveInstead"
	DoRestore              AccountAction = "restore"
	DoPurge                AccountAction = "purge"
	DoPromote              AccountAction = "promote"
	DoSetRoles             AccountAction = "setRoles"
	DoMakeOrgAdmin         AccountAction = "makeOrgAdmin"
	DoRemoveOrgAdmin       AccountAction = "removeOrgAdmin"
	DoDeactivate           AccountAction = "deactivate"
	DoReactivate           AccountAction = "reactivate"
	DoCompleteRegistration AccountAction = "completeRegistration"
	DoResendInvitation     AccountAction = "resendInvitation"
	DoRevokeInvitation     AccountAction = "revokeInvitation"
	DoDeleteClientRecord   AccountAction = "deleteClientRecord"
)

// AccountActionsInOrder lists every account action.
var AccountActionsInOrder = []AccountAction{
	DoApprove, DoDeny, DoApproveInstead, DoRestore, DoPurge, DoPromote, DoSetRoles,
	DoMakeOrgAdmin, DoRemoveOrgAdmin, DoDeactivate, DoReactivate, DoCompleteRegistration,
	DoResendInvitation, DoRevokeInvitation, DoDeleteClientRecord,
}

// AccountActionApplies reports whether action makes sense for a at all, whoever asks: a
// screen hides an action that does not apply and disables, with the reason, one that
// applies but that this actor may not take.
func AccountActionApplies(action AccountAction, a Account) bool {
	switch action {
	case DoApprove, DoDeny:
		return a.Status == StatusPending
	case DoApproveInstead, DoRestore, DoPurge:
		return a.Status == StatusDenied
	case DoPromote:
		return a.Kind == KindClient && a.Status == StatusActive
	case DoSetRoles:
		return a.Kind == KindStaff && (a.Status == StatusActive || a.Status == StatusDeactivated || a.Status == StatusInvited)
	case DoMakeOrgAdmin:
		return !a.OrgAdmin && a.OrganizationID != "" && (a.Status == StatusActive || a.Status == StatusInvited || a.Status == StatusDeactivated)
	case DoRemoveOrgAdmin:
		return a.OrgAdmin
	case DoDeactivate:
		return a.Status == StatusActive
	case DoReactivate:
		return a.Status == StatusDeactivated
	case DoCompleteRegistration:
		return a.Ghost()
	case DoResendInvitation, DoRevokeInvitation:
		return a.Status == StatusInvited
	case DoDeleteClientRecord:
		return a.Kind == KindStaff && a.ClientRecord && a.Status != StatusDenied
	}
	return false
}

// ActionCheck is the answer for one action on one account.
type ActionCheck struct {
	Action AccountAction `json:"action"`
	// Allowed is true when the actor may take the action now.
	Allowed bool `json:"allowed"`
	// Reason says why not, in the server's own words; "" when allowed.
	Reason string `json:"reason"`
}

// AccountActions returns the actions that apply to a, each allowed or refused with the
// reason, by running the same transitions the server runs. inv is a's pending invitation,
// if it is invited and the caller knows it. op.ActiveSystemAdmins must be counted when a
// is an active system administrator, as for the transitions themselves.
func AccountActions(op Op, a Account, inv *Invitation) []ActionCheck {
	out := make([]ActionCheck, 0, 4)
	for _, action := range AccountActionsInOrder {
		if !AccountActionApplies(action, a) {
			continue
		}
		err := tryAccountAction(op, action, a, inv)
		c := ActionCheck{Action: action, Allowed: err == nil}
		if err != nil {
			c.Reason = ErrorMessage(err)
		}
		out = append(out, c)
	}
	return out
}

func tryAccountAction(op Op, action AccountAction, a Account, inv *Invitation) error {
	var err error
	switch action {
	case DoApprove:
		_, _, err = Approve(op, a)
	case DoDeny:
		_, _, err = Deny(op, a, "asked by the policy")
	case DoApproveInstead:
		_, _, err = ApproveInstead(op, a)
	case DoRestore:
		_, _, err = Restore(op, a)
	case DoPurge:
		_, err = Purge(op, a)
	case DoPromote:
		_, _, err = Promote(op, a, anyCoreRole(op.Roles), nil, false)
	case DoSetRoles:
		_, _, err = SetRoles(op, a, a.CoreRole, a.AdditionalRoles)
	case DoMakeOrgAdmin:
		_, _, err = SetOrgAdmin(op, a, true)
	case DoRemoveOrgAdmin:
		_, _, err = SetOrgAdmin(op, a, false)
	case DoDeactivate:
		_, _, err = Deactivate(op, a)
	case DoReactivate:
		_, _, err = Reactivate(op, a)
	case DoCompleteRegistration:
		_, _, err = CompleteRegistration(op, a)
	case DoDeleteClientRecord:
		_, _, err = DeleteClientRecord(op, a)
	case DoResendInvitation, DoRevokeInvitation:
		if inv == nil {
			// Without the invitation only the account side can be checked.
			err = op.mayChange(a)
			break
		}
		if action == DoResendInvitation {
			_, _, _, err = Resend(op, a, *inv, "", 0)
		} else {
			_, _, err = Revoke(op, *inv)
			if err == nil {
				err = op.mayChange(a)
			}
		}
	}
	return err
}

// anyCoreRole picks a core role of the catalogue, so that asking whether promoting is
// allowed does not depend on which role the dialog will offer.
func anyCoreRole(rs Roles) string {
	if r, ok := rs[RoleStaff]; ok && r.Core {
		return r.ID
	}
	for id, r := range rs {
		if r.Core && !r.Has(PermSystemAdmin) {
			return id
		}
	}
	return RoleStaff
}

// CanChange returns a forbidden error unless every permission a holds is one the actor
// holds too: the rule that keeps an organisation's administrator away from the system
// administrators and approvers of their organisation.
func (act Actor) CanChange(a Account, rs Roles) error {
	switch {
	case rs.Grants(a, PermSystemAdmin) && !act.SystemAdmin:
		return Errorf(EFORBIDDEN, "%s is a system administrator, so only a system administrator can change it.", a.label())
	case rs.Grants(a, PermUserSetup) && !act.UserSetup:
		return Errorf(EFORBIDDEN, "%s has the user-setup permission, which you do not have, so only a system administrator can change it.", a.label())
	case a.OrgAdmin && a.OrganizationID != "" && !act.Administers(a.OrganizationID):
		return Errorf(EFORBIDDEN, "%s administers an organisation you do not administer, so you cannot change it.", a.label())
	}
	return nil
}

// mayChange is the check every administrator's change to an account begins with: the actor
// administers the account's organisation, and holds every permission the account holds.
func (op Op) mayChange(a Account) error {
	if err := op.Actor.CanAdminister(a.OrganizationID); err != nil {
		return err
	}
	return op.Actor.CanChange(a, op.Roles)
}

// notSelf refuses a change of one's own access: it needs another administrator.
func (op Op) notSelf(a Account, doing string) error {
	if op.Actor.ID != "" && op.Actor.ID == a.ID {
		return Errorf(EFORBIDDEN, "You cannot %s your own account. Ask another administrator to do it.", doing)
	}
	return nil
}

// ID formats. Records a client creates offline carry an ID it chose, so that later changes
// can name them before the server has answered; the server accepts only IDs of its own
// shape: a kind prefix, an underscore and up to 64 lower-case letters, digits, '_' or '-'.
var (
	recordIDPattern = regexp.MustCompile(`^[a-z]{3}_[a-z0-9_-]{1,64}$`)
	roleIDPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// CheckRecordID refuses a client-chosen ID that is not of the server's shape for prefix
// ("org", "con", ...).
func CheckRecordID(prefix, id string) error {
	if len(id) > len(prefix)+1 && id[:len(prefix)+1] == prefix+"_" && recordIDPattern.MatchString(id) {
		return nil
	}
	return FieldErrorf("id", "%q is not an ID this portal gives out: leave the ID empty and the portal chooses one (they look like %s_3f2a…).", clip(id, 40), prefix)
}

// CheckRoleID refuses a role ID that is not a short lower-case name.
func CheckRoleID(id string) error {
	if roleIDPattern.MatchString(id) {
		return nil
	}
	return FieldErrorf("id", "%q is not a role ID: use up to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit.", clip(id, 40))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// InvitationTTLDays turns a lifetime in whole days, as the admin API and the desktop take
// it, into a checked duration: 0 means the default of 7 days, 30 at most.
func InvitationTTLDays(days int) (time.Duration, error) {
	if days < 0 {
		return 0, FieldErrorf("expiresInDays", "The number of days an invitation stays valid cannot be negative.")
	}
	ttl, err := InvitationTTL(time.Duration(days) * 24 * time.Hour)
	if err != nil {
		return 0, &Error{Code: EINVALID, Field: "expiresInDays", Message: ErrorMessage(err)}
	}
	return ttl, nil
}

// IssuerTrust says which identity providers may vouch for whom, by account source (an
// issuer's address without its scheme, as SSOIdentity.Source holds it).
type IssuerTrust struct {
	// Admins are the issuers administrators sign in to the desktop with (the server's
	// trusted issuers): they may link staff accounts and organisation administrators.
	Admins []string
	// People is the portal's own sign-in issuer for end users: it may link clients.
	People []string
}

// MayLink refuses to link an account that no identity is bound to yet with an identity
// from source, unless that issuer is trusted for this kind of account. Without it, the
// first issuer to present a verified address would own the account — the first system
// administrator's included — and lock its rightful owner out.
func (t IssuerTrust) MayLink(a Account, source string) error {
	trusted := t.People
	who := "clients"
	if a.Kind == KindStaff || a.OrgAdmin {
		trusted, who = t.Admins, "staff and administrators"
	}
	for _, s := range trusted {
		if s == source {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "%s is not yet linked to a sign-in, and %s is not the identity provider this portal trusts for %s, so it cannot be linked from here. Sign in through the identity provider your administrator set up for you, or ask them.", a.label(), source, who)
}

// CheckInvitationIdentity refuses to bind an identity to an invitation unless the identity
// provider confirmed an address that is the invited one: whoever holds a forwarded link
// must not make the invited account theirs.
func CheckInvitationIdentity(inv Invitation, email string, verified bool) error {
	if !verified {
		return Errorf(EFORBIDDEN, "Your identity provider did not confirm your e-mail address, so it cannot accept the invitation for %s. Use the invitation with a password instead.", inv.Email)
	}
	if !SameEmail(inv.Email, email) {
		return Errorf(EFORBIDDEN, "This invitation is for %s, but you signed in as %s. Sign in with the account of %s, or use the invitation with a password.", inv.Email, email, inv.Email)
	}
	return nil
}

// Reading. What an actor may read through the admin API follows from the same reach.

// MayReadAdmin reports whether the actor may read anything through the admin API: a
// system administrator, an approver or an organisation's administrator.
func (act Actor) MayReadAdmin() bool {
	return act.SystemAdmin || act.UserSetup || act.OrgAdminOf != ""
}

// CanReadAdmin returns a forbidden error unless MayReadAdmin.
func (act Actor) CanReadAdmin() error {
	if act.MayReadAdmin() {
		return nil
	}
	return Errorf(EFORBIDDEN, "Your account has no administrative rights on this portal. Ask a system administrator if you need them.")
}

// CanManagePeople returns a forbidden error unless the actor administers people somewhere
// (contacts, invitations): a system administrator or an organisation's administrator.
// Approvers decide sign-ins only.
func (act Actor) CanManagePeople() error {
	switch {
	case act.SystemAdmin || act.OrgAdminOf != "":
		return nil
	case act.MayReadAdmin():
		return Errorf(EFORBIDDEN, "Only a system administrator or an organisation's administrator can manage contacts and invitations.")
	}
	return act.CanReadAdmin()
}

// MayReadRole reports whether the actor may see role r: system roles are everyone's with
// admin rights; an organisation role its organisation's administrators' and those who see
// every organisation.
func (act Actor) MayReadRole(r Role) bool {
	return r.Scope == ScopeSystem || act.SystemAdmin || act.UserSetup || act.Administers(r.OrganizationID)
}
