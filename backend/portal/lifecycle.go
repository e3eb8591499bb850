package portal

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit actions, one per transition.
const (
	ActionSignUp           = "account.sign_up"
	ActionSignIn           = "account.sign_in"
	ActionRequestAccess    = "account.request_access"
	ActionApprove          = "account.approve"
	ActionDeny             = "account.deny"
	ActionApproveInstead   = "account.approve_instead"
	ActionRestore          = "account.restore"
	ActionPurge            = "account.purge"
	ActionDeactivate       = "account.deactivate"
	ActionReactivate       = "account.reactivate"
	ActionPromote          = "account.promote"
	ActionSetRoles         = "account.set_roles"
	ActionSetOrgAdmin      = "account.set_org_admin"
	ActionUnsetOrgAdmin    = "account.unset_org_admin"
	ActionCompleteRegister = "account.complete_registration"
	ActionInvite           = "invitation.create"
	ActionResend           = "invitation.resend"
	ActionRevoke           = "invitation.revoke"
	ActionExpire           = "invitation.expire"
	ActionAccept           = "invitation.accept"
	ActionUpdateOrg        = "organization.update"
	ActionPutRole          = "role.put"
	ActionDeleteRole       = "role.delete"
	ActionBootstrapAdmin   = "account.bootstrap_admin"
	ActionCreateOrg        = "organization.create"
	ActionDeleteOrg        = "organization.delete"
	ActionCreateContact    = "contact.create"
	ActionUpdateContact    = "contact.update"
	ActionDeleteContact    = "contact.delete"
	ActionUpdateTemplate   = "template.update"
	ActionUpdateSettings   = "settings.update"
	// ActionDeleteClientRecord drops the client record a staff user kept at promotion.
	ActionDeleteClientRecord = "account.delete_client_record"
)

// Actions lists every audit action the portal records, for the audit log's filter.
var Actions = append([]string{
	ActionSignUp, ActionSignIn, ActionRequestAccess, ActionApprove, ActionDeny, ActionApproveInstead,
	ActionRestore, ActionPurge, ActionDeactivate, ActionReactivate, ActionPromote, ActionSetRoles,
	ActionSetOrgAdmin, ActionUnsetOrgAdmin, ActionCompleteRegister, ActionInvite, ActionResend,
	ActionRevoke, ActionExpire, ActionAccept, ActionUpdateOrg, ActionBootstrapAdmin, ActionCreateOrg,
	ActionDeleteOrg, ActionCreateContact, ActionUpdateContact, ActionDeleteContact, ActionPutRole,
	ActionDeleteRole, ActionUpdateTemplate, ActionUpdateSettings, ActionDeleteClientRecord,
}, append(DirectoryActions, DesktopActions...)...) // and directories' (directory.go) and the desktop's own work (desktop_audit.go)

// Invitation lifetimes.
const (
	DefaultInvitationTTL = 7 * 24 * time.Hour
	MaxInvitationTTL     = 30 * 24 * time.Hour
)

// SignUpMode is the portal's setting for people who sign in with SSO for the first time.
type SignUpMode string

const (
	// SignUpApproval makes them pending until an approver decides (ClientTrack).
	SignUpApproval SignUpMode = "approval"
	// SignUpClient makes them active clients who still owe the registration form (PantrySoft).
	SignUpClient SignUpMode = "client"
)

// Op is the context of one transition: when, by whom, against which role catalogue, and
// how many active system administrators there are (for the last-admin guard).
type Op struct {
	Now                time.Time
	Actor              Actor
	Roles              Roles
	ActiveSystemAdmins int
}

func (op Op) event(action string, before, after *Account) AuditEvent {
	return changeEvent(op, action, "account", before, after)
}

// audited is a record whose changes the audit log keeps whole, before and after.
type audited interface {
	Account | Invitation
	auditKey() (id, organizationID string)
}

func (a Account) auditKey() (string, string)    { return a.ID, a.OrganizationID }
func (i Invitation) auditKey() (string, string) { return i.ID, i.OrganizationID }

// changeEvent is the audit event of op changing one record: before is nil for a record
// created, after for one removed.
func changeEvent[T audited](op Op, action, entityType string, before, after *T) AuditEvent {
	ev := AuditEvent{At: op.Now, ActorID: op.Actor.ID, ActorName: op.Actor.Name, Action: action, EntityType: entityType}
	if before != nil {
		ev.EntityID, ev.OrganizationID = (*before).auditKey()
		ev.Before = mustJSON(before)
	}
	if after != nil {
		ev.EntityID, ev.OrganizationID = (*after).auditKey()
		ev.After = mustJSON(after)
	}
	return ev
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs are marshalled here; failing would be a programming error.
		panic(err)
	}
	return b
}

// touched returns a copy of a stamped with the operation's time.
func (op Op) touched(a Account) Account {
	b := a.clone()
	b.UpdatedAt = op.Now
	return b
}

func wrongStatus(a Account, doing string, hint string) error {
	msg := a.label() + " is " + statusWord(a.Status) + ", so it cannot be " + doing + "."
	if hint != "" {
		msg += " " + hint
	}
	return Errorf(ECONFLICT, "%s", msg)
}

func (a Account) label() string {
	if n := displayName(a); n != "" {
		return "The account of " + n
	}
	return "This account"
}

func statusWord(s Status) string {
	if s == StatusNone {
		return "not created yet"
	}
	return string(s)
}

// SSOIdentity is what a first SSO sign-in tells about a person.
type SSOIdentity struct {
	Email   string
	Name    string
	Subject string
	Source  string // the account source shown to approvers: the SSO domain or issuer
}

// BindIdentity brings an account up to date with the SSO identity it signs in with. An
// account found by e-mail is tied to the identity's subject, with the issuer as its
// source; and the name the identity provider gives replaces the account's, so that a name
// changed there, or an account set up by hand as "admin", reads right everywhere after
// the next sign-in. An empty or unusable name claim changes nothing. It reports whether
// the account changed.
func BindIdentity(a Account, id SSOIdentity) (Account, bool) {
	changed := false
	if a.Subject == "" && id.Subject != "" {
		a.Subject, a.Source = id.Subject, id.Source
		changed = true
	}
	// One line, single spaces; a claim longer than any name is left out rather than cut.
	// An account a directory keeps has its name from the directory (SCIM), which the
	// directory would only set back.
	if name := strings.Join(strings.Fields(id.Name), " "); a.Directory == nil && name != "" && utf8.RuneCountInString(name) <= 200 && name != a.Name {
		a.Name = name
		changed = true
	}
	return a, changed
}

// SignUp creates the account of a person signing in with SSO for the first time.
func SignUp(now time.Time, mode SignUpMode, id SSOIdentity, accountID string) (Account, AuditEvent, error) {
	email, err := ParseEmail(id.Email)
	if err != nil {
		return Account{}, AuditEvent{}, err
	}
	if id.Subject == "" {
		return Account{}, AuditEvent{}, FieldErrorf("subject", "The identity provider did not say who signed in (no subject). Check the provider's configuration.")
	}
	a := Account{
		ID: accountID, Email: email, Name: id.Name, Subject: id.Subject, Source: id.Source,
		CreatedAt: now, UpdatedAt: now, ClientRecord: true, AdditionalRoles: []string{},
	}
	if a.Name == "" {
		a.Name = NameFromEmail(email)
	}
	switch mode {
	case SignUpApproval:
		a.Status, a.Kind, a.RegistrationComplete = StatusPending, KindStaff, true
		a.ClientRecord = false
	case SignUpClient:
		a.Status, a.Kind = StatusActive, KindClient
	default:
		return Account{}, AuditEvent{}, FieldErrorf("signUpMode", "Unknown sign-up mode %q: choose %q or %q.", mode, SignUpApproval, SignUpClient)
	}
	op := Op{Now: now, Actor: SelfActor(a)}
	return a, op.event(ActionSignUp, nil, &a), nil
}

// SignIn lets an account in, or says why not, and records the login time.
func SignIn(now time.Time, a Account) (Account, AuditEvent, error) {
	switch a.Status {
	case StatusActive:
	case StatusPending:
		return Account{}, AuditEvent{}, Errorf(EFORBIDDEN, "Your account is not authorized to access this portal yet. Request access and an approver will decide.")
	case StatusDenied:
		return Account{}, AuditEvent{}, Errorf(EFORBIDDEN, "Your account is not authorized to access this system.")
	case StatusDeactivated:
		return Account{}, AuditEvent{}, Errorf(EFORBIDDEN, "Your account has been deactivated. Contact your administrator if you need access again.")
	case StatusInvited:
		return Account{}, AuditEvent{}, Errorf(EFORBIDDEN, "Your account is not active yet. Open the invitation link from your e-mail first.")
	default:
		return Account{}, AuditEvent{}, Errorf(ENOTFOUND, "There is no account for you on this portal.")
	}
	op := Op{Now: now, Actor: SelfActor(a)}
	b := a.clone()
	b.LastLoginAt = timePtr(now)
	ev := op.event(ActionSignIn, nil, nil)
	ev.EntityID, ev.OrganizationID = a.ID, a.OrganizationID
	return b, ev, nil
}

// RequestAccess records that a pending account asked for access. It refuses a second
// request within minInterval, so approvers are e-mailed once.
func RequestAccess(now time.Time, a Account, minInterval time.Duration) (Account, AuditEvent, error) {
	if a.Status != StatusPending {
		return Account{}, AuditEvent{}, wrongStatus(a, "asked for", "Only accounts waiting for approval can request access.")
	}
	if a.AccessRequestedAt != nil && now.Sub(*a.AccessRequestedAt) < minInterval {
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "Your request was already sent to the approvers at %s. Please wait for their answer.", a.AccessRequestedAt.Format("2 Jan 2006 15:04 MST"))
	}
	op := Op{Now: now, Actor: SelfActor(a)}
	b := op.touched(a)
	b.AccessRequestedAt = timePtr(now)
	return b, op.event(ActionRequestAccess, &a, &b), nil
}

// Approve activates a pending account.
func Approve(op Op, a Account) (Account, AuditEvent, error) {
	if err := op.mayDecide(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if a.Status != StatusPending {
		return Account{}, AuditEvent{}, wrongStatus(a, "approved", hintFor(a.Status))
	}
	return op.decide(a, StatusActive, "", ActionApprove)
}

// Deny refuses a pending account; it moves to the recycle bin. A reason is required.
func Deny(op Op, a Account, reason string) (Account, AuditEvent, error) {
	if err := op.mayDecide(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Account{}, AuditEvent{}, FieldErrorf("reason", "Say why the request is denied; the reason is kept in the audit log.")
	}
	if a.Status != StatusPending {
		return Account{}, AuditEvent{}, wrongStatus(a, "denied", hintFor(a.Status))
	}
	return op.decide(a, StatusDenied, reason, ActionDeny)
}

// ApproveInstead activates an account that was denied, when the approver changes their mind.
func ApproveInstead(op Op, a Account) (Account, AuditEvent, error) {
	return op.fromRecycleBin(a, ActionApproveInstead)
}

// Restore takes a denied account out of the recycle bin as an active account.
func Restore(op Op, a Account) (Account, AuditEvent, error) {
	return op.fromRecycleBin(a, ActionRestore)
}

func (op Op) fromRecycleBin(a Account, action string) (Account, AuditEvent, error) {
	if err := op.mayDecide(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if a.Status != StatusDenied {
		return Account{}, AuditEvent{}, wrongStatus(a, "restored from the recycle bin", "Only denied accounts are in the recycle bin.")
	}
	return op.decide(a, StatusActive, "", action)
}

// mayDecide: deciding a sign-in needs user setup or the administration of the person's
// organisation, and (as every change) the permissions the account already holds.
func (op Op) mayDecide(a Account) error {
	if err := op.Actor.canDecide(a); err != nil {
		return err
	}
	return op.Actor.CanChange(a, op.Roles)
}

func (op Op) decide(a Account, to Status, reason, action string) (Account, AuditEvent, error) {
	b := op.touched(a)
	b.Status, b.DenyReason, b.DecidedBy, b.DecidedAt = to, reason, op.Actor.ID, timePtr(op.Now)
	ev := op.event(action, &a, &b)
	ev.Reason = reason
	return b, ev, nil
}

func hintFor(s Status) string {
	switch s {
	case StatusDenied:
		return "Use \"approve instead\" to let this person in after all."
	case StatusActive:
		return "Someone has already approved it."
	case StatusDeactivated:
		return "Reactivate it instead."
	case StatusInvited:
		return "It is waiting for the person to accept the invitation."
	}
	return ""
}

// Purge removes a denied account for good. The audit trail keeps its last state.
func Purge(op Op, a Account) (AuditEvent, error) {
	if err := op.Actor.canSystem(); err != nil {
		return AuditEvent{}, err
	}
	if a.Status != StatusDenied {
		return AuditEvent{}, wrongStatus(a, "purged", "Only accounts in the recycle bin (denied) can be purged.")
	}
	return op.event(ActionPurge, &a, nil), nil
}

// lastAdmin refuses a change that would leave the portal with no active system administrator.
func (op Op) lastAdmin(before, after Account, doing string) error {
	if op.Roles.IsActiveSystemAdmin(before) && !op.Roles.IsActiveSystemAdmin(after) && op.ActiveSystemAdmins <= 1 {
		return Errorf(ECONFLICT, "%s is the last active system administrator, so it cannot be %s. Make someone else a system administrator first.", before.label(), doing)
	}
	return nil
}

// Deactivate suspends an active account. The last active system administrator is kept.
func Deactivate(op Op, a Account) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if err := op.notSelf(a, "deactivate"); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if a.Status != StatusActive {
		return Account{}, AuditEvent{}, wrongStatus(a, "deactivated", hintFor(a.Status))
	}
	b := op.touched(a)
	b.Status = StatusDeactivated
	if err := op.lastAdmin(a, b, "deactivated"); err != nil {
		return Account{}, AuditEvent{}, err
	}
	return b, op.event(ActionDeactivate, &a, &b), nil
}

// Reactivate lets a deactivated account sign in again.
func Reactivate(op Op, a Account) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if a.Status != StatusDeactivated {
		return Account{}, AuditEvent{}, wrongStatus(a, "reactivated", "Only deactivated accounts can be reactivated.")
	}
	b := op.touched(a)
	b.Status = StatusActive
	return b, op.event(ActionReactivate, &a, &b), nil
}

// CompleteRegistration marks a ghost account's registration as finished.
func CompleteRegistration(op Op, a Account) (Account, AuditEvent, error) {
	if op.Actor.ID != a.ID {
		if err := op.mayChange(a); err != nil {
			return Account{}, AuditEvent{}, err
		}
	}
	if a.RegistrationComplete {
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s has already completed registration.", a.label())
	}
	b := op.touched(a)
	b.RegistrationComplete = true
	return b, op.event(ActionCompleteRegister, &a, &b), nil
}

// DeleteClientRecord drops the client record a staff user kept when promoted (PantrySoft's
// step 5, done later): the person stays a staff user with their roles.
func DeleteClientRecord(op Op, a Account) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if a.Kind != KindStaff || !a.ClientRecord {
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s has no client record to delete: only a staff user who kept theirs at promotion has one.", a.label())
	}
	if a.Status == StatusDenied {
		return Account{}, AuditEvent{}, wrongStatus(a, "changed", hintFor(a.Status))
	}
	b := op.touched(a)
	b.ClientRecord = false
	return b, op.event(ActionDeleteClientRecord, &a, &b), nil
}

// Promote turns an active client into a staff user with one core role and any additional
// roles, and deletes the leftover client record if asked to.
func Promote(op Op, a Account, core string, additional []string, deleteClientRecord bool) (Account, AuditEvent, error) {
	if err := op.Actor.canSystem(); err != nil {
		return Account{}, AuditEvent{}, err
	}
	switch {
	case a.Kind != KindClient:
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s is already a staff user. Change its roles instead.", a.label())
	case a.Status != StatusActive:
		return Account{}, AuditEvent{}, wrongStatus(a, "promoted", "Only active clients can be promoted to staff users.")
	case !a.RegistrationComplete:
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s never finished the registration form (a ghost account). Ask the person to complete it, or mark it complete, before promoting.", a.label())
	case core == "":
		return Account{}, AuditEvent{}, FieldErrorf("coreRole", "Choose one core role for the new staff user.")
	}
	b := op.touched(a)
	b.Kind = KindStaff
	b.CoreRole, b.AdditionalRoles = core, normaliseRoleIDs(additional)
	if deleteClientRecord {
		b.ClientRecord = false
	}
	if err := op.checkRoles(a, b); err != nil {
		return Account{}, AuditEvent{}, err
	}
	return b, op.event(ActionPromote, &a, &b), nil
}

// SetRoles replaces an account's core and additional roles. Organisation administrators may
// change only their own organisation's roles; nobody may demote the last system administrator.
func SetRoles(op Op, a Account, core string, additional []string) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if !op.Actor.SystemAdmin {
		if err := op.notSelf(a, "change the roles of"); err != nil {
			return Account{}, AuditEvent{}, err
		}
	}
	if a.Status == StatusDenied {
		return Account{}, AuditEvent{}, wrongStatus(a, "given roles", hintFor(a.Status))
	}
	b := op.touched(a)
	b.CoreRole, b.AdditionalRoles = core, normaliseRoleIDs(additional)
	if err := op.checkRoles(a, b); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if err := op.lastAdmin(a, b, "demoted"); err != nil {
		return Account{}, AuditEvent{}, err
	}
	return b, op.event(ActionSetRoles, &a, &b), nil
}

func normaliseRoleIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkRoles validates the roles of after against the catalogue and the actor's reach.
func (op Op) checkRoles(before, after Account) error {
	if after.CoreRole != "" {
		r, ok := op.Roles[after.CoreRole]
		if !ok {
			return FieldErrorf("coreRole", "There is no role %q. Choose one of the portal's core roles.", after.CoreRole)
		}
		if !r.Core {
			return FieldErrorf("coreRole", "%q is an additional role; choose a core role as the main role.", r.Name)
		}
		if after.Kind != KindStaff {
			return FieldErrorf("coreRole", "Only staff users have a core role. Promote the client first.")
		}
	}
	for _, id := range after.AdditionalRoles {
		r, ok := op.Roles[id]
		switch {
		case !ok:
			return FieldErrorf("additionalRoles", "There is no role %q.", id)
		case id == after.CoreRole:
			return FieldErrorf("additionalRoles", "%q is already the core role; do not add it again.", r.Name)
		case r.Scope == ScopeOrganization && r.OrganizationID != after.OrganizationID:
			return FieldErrorf("additionalRoles", "%q belongs to another organisation; only roles of this person's own organisation can be given.", r.Name)
		case r.Scope == ScopeSystem && after.Kind != KindStaff:
			return FieldErrorf("additionalRoles", "%q is a staff role; promote the client to a staff user first.", r.Name)
		}
	}
	if !op.Actor.SystemAdmin && !slices.Equal(op.systemRoles(before), op.systemRoles(after)) {
		return Errorf(EFORBIDDEN, "Only a system administrator can change system roles. You can give or take away roles of your own organisation.")
	}
	return nil
}

func (op Op) systemRoles(a Account) []string {
	var ids []string
	for _, id := range a.RoleIDs() {
		if r, ok := op.Roles[id]; !ok || r.Scope == ScopeSystem {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// SetOrgAdmin makes a person an administrator of their organisation on the portal, or
// takes that away.
func SetOrgAdmin(op Op, a Account, admin bool) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if err := op.notSelf(a, "change the organisation administration of"); err != nil {
		return Account{}, AuditEvent{}, err
	}
	switch {
	case a.OrganizationID == "":
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s belongs to no organisation, so it cannot administer one. Link it to an organisation first.", a.label())
	case a.Status == StatusNone:
		return Account{}, AuditEvent{}, wrongStatus(a, "made an organisation administrator", "Invite the person first.")
	case a.Status == StatusPending || a.Status == StatusDenied:
		return Account{}, AuditEvent{}, wrongStatus(a, "made an organisation administrator", "Approve it first.")
	case a.OrgAdmin == admin && admin:
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s is already an administrator of its organisation.", a.label())
	case a.OrgAdmin == admin:
		return Account{}, AuditEvent{}, Errorf(ECONFLICT, "%s is not an administrator of its organisation.", a.label())
	}
	b := op.touched(a)
	b.OrgAdmin = admin
	action := ActionSetOrgAdmin
	if !admin {
		action = ActionUnsetOrgAdmin
	}
	return b, op.event(action, &a, &b), nil
}
