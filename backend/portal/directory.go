package portal

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A directory is an identity system that keeps an organisation's people — Microsoft Entra
// ID, Okta, Google Workspace — and provisions them into the portal through SCIM
// (RFC 7643/7644). It acts through a token an administrator made for it; the rules here
// say what such a token may do and what each thing the directory says means for an
// account. The SCIM protocol itself (resources, filters, PATCH) is the server's.

// Audit actions of directories.
const (
	// ActionProvision: a directory created an account.
	ActionProvision = "account.provision"
	// ActionDirectoryUpdate: a directory changed a person's name, address or details.
	ActionDirectoryUpdate = "account.directory_update"
	// ActionDirectoryTokenCreate and ActionDirectoryTokenRevoke: an administrator connected
	// or disconnected a directory.
	ActionDirectoryTokenCreate = "directory.token_create"
	ActionDirectoryTokenRevoke = "directory.token_revoke"
)

// DirectoryActions lists the directory actions, for the audit log's filter.
var DirectoryActions = []string{ActionProvision, ActionDirectoryUpdate, ActionDirectoryTokenCreate, ActionDirectoryTokenRevoke}

// Directory is one connected directory, as its token configures it.
type Directory struct {
	ID   string `json:"id"`
	Name string `json:"name"` // shown as the actor of its changes: "Microsoft Entra ID"
	// Kind is what the people it creates are: staff users or clients.
	Kind Kind `json:"kind"`
	// OrganizationID, when set, scopes the directory to one organisation: it creates people
	// there, sees and changes only that organisation's people, and gives only its roles.
	OrganizationID string `json:"organizationId"`
	// Purge makes a DELETE remove a deactivated account for good; otherwise DELETE
	// deactivates, and the account and its audit trail stay.
	Purge bool `json:"purge"`
	// DepartmentOrganizations places the people of a directory that is not scoped to one
	// organisation in the organisation named as their department (enterprise extension),
	// when there is one by that name.
	DepartmentOrganizations bool `json:"departmentOrganizations"`
	// GroupsAs says what the directory's groups are: the portal's roles (a member holds
	// the role) or its organisations (a member belongs to the organisation).
	GroupsAs GroupsAs `json:"groupsAs"`
}

// GroupsAs is what a directory's groups map to.
type GroupsAs string

const (
	GroupsAsRoles         GroupsAs = "roles"
	GroupsAsOrganizations GroupsAs = "organizations"
)

// DirectoryActorPrefix starts the actor ID of every directory's changes in the audit log.
const DirectoryActorPrefix = "directory:"

// Actor is who the directory acts as. A directory for the whole portal acts as a system
// administrator (with user setup); one scoped to an organisation as that organisation's
// administrator, so that it neither sees nor changes anyone else, nor anyone of its
// organisation who holds more than an organisation's administrator does. It never holds
// more than an administrator who could have made its token.
func (d Directory) Actor() Actor {
	act := Actor{ID: DirectoryActorPrefix + d.ID, Name: d.Name}
	if d.OrganizationID == "" {
		act.SystemAdmin, act.UserSetup = true, true
	} else {
		act.OrgAdminOf = d.OrganizationID
	}
	return act
}

// HasOrganizationGroup reports whether organisation o is one of the directory's groups
// (when its groups are organisations): every organisation for a directory of the whole
// portal, its own for one scoped to an organisation.
func (d Directory) HasOrganizationGroup(o Organization) bool {
	return d.OrganizationID == "" || o.ID == d.OrganizationID
}

// HasGroup reports whether role r is one of the directory's groups: every role for a
// directory of the whole portal, its organisation's roles for one scoped to an
// organisation (system roles are not an organisation's administrator's to give).
func (d Directory) HasGroup(r Role) bool {
	if d.OrganizationID == "" {
		return true
	}
	return r.Scope == ScopeOrganization && r.OrganizationID == d.OrganizationID
}

// CheckDirectory validates a directory connection an administrator is making.
func CheckDirectory(act Actor, d Directory) (Directory, error) {
	d.Name = strings.Join(strings.Fields(d.Name), " ")
	switch {
	case d.Name == "":
		return Directory{}, FieldErrorf("name", "Name the directory, such as \"Microsoft Entra ID\": its changes appear under that name in the audit log.")
	case utf8.RuneCountInString(d.Name) > 80:
		return Directory{}, FieldErrorf("name", "The directory's name is too long; use at most 80 characters.")
	}
	if err := choice(&d.Kind, "kind", "The people a directory creates are", KindStaff, KindClient); err != nil {
		return Directory{}, err
	}
	if err := choice(&d.GroupsAs, "groupsAs", "A directory's groups are", GroupsAsRoles, GroupsAsOrganizations); err != nil {
		return Directory{}, err
	}
	// A directory for one organisation places everyone there.
	d.DepartmentOrganizations = d.DepartmentOrganizations && d.OrganizationID == ""
	if d.GroupsAs == GroupsAsOrganizations && d.DepartmentOrganizations {
		return Directory{}, FieldErrorf("departmentOrganizations", "Choose one way to place people in organisations: by their department or by their groups.")
	}
	// A token holds the rights of whoever made it at most: an organisation's administrator
	// connects a directory for their own organisation only.
	if err := act.CanAdminister(d.OrganizationID); err != nil {
		if d.OrganizationID == "" {
			return Directory{}, Errorf(EFORBIDDEN, "Only a system administrator can connect a directory to the whole portal. Choose your organisation.")
		}
		return Directory{}, err
	}
	return d, nil
}

// choice checks a setting that is one of two: empty takes the first.
func choice[T ~string](v *T, field, say string, first, second T) error {
	switch *v {
	case "":
		*v = first
	case first, second:
	default:
		return FieldErrorf(field, "%s %q or %q, not %q.", say, first, second, *v)
	}
	return nil
}

// DirectoryLink is what a directory told about the person behind an account, kept on the
// account so that the directory finds it again and the desktop shows where it came from.
type DirectoryLink struct {
	DirectoryID   string `json:"directoryId"`
	DirectoryName string `json:"directoryName"`
	// UserName is the directory's unique name for the person (Entra's user principal
	// name, Okta's login); it is often, not always, the e-mail address.
	UserName   string `json:"userName"`
	ExternalID string `json:"externalId,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
}

// DirectoryProfile is a person as a directory describes them in one request.
type DirectoryProfile struct {
	UserName    string
	ExternalID  string
	Email       string // "" takes the user name when it is an address
	DisplayName string
	GivenName   string
	FamilyName  string
	Title       string
	Department  string
	Active      bool
	// OrganizationID is where the person belongs: the directory's own organisation when it
	// is scoped, else what its department maps to, else none.
	OrganizationID string
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// normalise checks a profile and works out its address and display name.
func (p DirectoryProfile) normalise(d Directory) (DirectoryProfile, error) {
	p.UserName = strings.TrimSpace(p.UserName)
	for _, f := range []*string{&p.ExternalID, &p.DisplayName, &p.GivenName, &p.FamilyName, &p.Title, &p.Department} {
		*f = clean(*f)
	}
	switch {
	case p.UserName == "":
		return p, FieldErrorf("userName", "The directory sent no userName; every user needs one.")
	case utf8.RuneCountInString(p.UserName) > 254:
		return p, FieldErrorf("userName", "The userName is longer than 254 characters.")
	case len(p.ExternalID) > 255:
		return p, FieldErrorf("externalId", "The externalId is longer than 255 characters.")
	}
	addr, err := ParseEmail(p.Address())
	if err != nil {
		field := "emails"
		if strings.TrimSpace(p.Email) == "" {
			field = "userName"
		}
		return p, FieldErrorf(field, "%s needs an e-mail address to sign in with: %s", p.UserName, ErrorMessage(err))
	}
	p.Email = addr
	if p.DisplayName == "" {
		p.DisplayName = clean(p.GivenName + " " + p.FamilyName)
	}
	if p.DisplayName == "" {
		p.DisplayName = NameFromEmail(addr)
	}
	if utf8.RuneCountInString(p.DisplayName) > 200 {
		return p, FieldErrorf("displayName", "The name is longer than 200 characters.")
	}
	if d.OrganizationID != "" {
		p.OrganizationID = d.OrganizationID
	}
	return p, nil
}

// Address is the e-mail address the person signs in with, as the directory gave it: its
// e-mail, else its user name.
func (p DirectoryProfile) Address() string {
	if strings.TrimSpace(p.Email) != "" {
		return p.Email
	}
	return p.UserName
}

func (p DirectoryProfile) link(d Directory) *DirectoryLink {
	return &DirectoryLink{DirectoryID: d.ID, DirectoryName: d.Name, UserName: p.UserName, ExternalID: p.ExternalID,
		GivenName: p.GivenName, FamilyName: p.FamilyName, Title: p.Title, Department: p.Department}
}

// Provision creates the account of a person a directory sends: an active staff user or
// client (as the directory is configured) who signs in with SSO under this address, or a
// deactivated one when the directory says the person is not active. A directory vouches
// for its people, so they neither wait for approval nor owe the registration form.
func Provision(op Op, d Directory, p DirectoryProfile, accountID string) (Account, AuditEvent, error) {
	p, err := p.normalise(d)
	if err != nil {
		return Account{}, AuditEvent{}, err
	}
	if err := op.Actor.CanAdminister(p.OrganizationID); err != nil {
		return Account{}, AuditEvent{}, err
	}
	a := Account{
		ID: accountID, Email: p.Email, Name: p.DisplayName, OrganizationID: p.OrganizationID,
		Status: StatusActive, Kind: d.Kind, Source: d.Name, RegistrationComplete: true,
		ClientRecord: d.Kind == KindClient, AdditionalRoles: []string{},
		CreatedAt: op.Now, UpdatedAt: op.Now, Directory: p.link(d),
	}
	if !p.Active {
		a.Status = StatusDeactivated
	}
	return a, op.event(ActionProvision, nil, &a), nil
}

// UpdateFromDirectory brings an account up to date with what a directory says about the
// person: name, address, details and organisation, then whether they are active. An
// account the directory did not create (an invited person it matched by userName) is
// adopted: from now on it follows the directory. It returns the account and the audit
// events of what changed, none when nothing did.
func UpdateFromDirectory(op Op, d Directory, a Account, p DirectoryProfile) (Account, []AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, nil, err
	}
	p, err := p.normalise(d)
	if err != nil {
		return Account{}, nil, err
	}
	if d.OrganizationID == "" && p.OrganizationID == "" {
		p.OrganizationID = a.OrganizationID // a department that maps to nothing moves nobody
	}
	if err := op.mayMove(a, p.OrganizationID); err != nil {
		return Account{}, nil, err
	}
	var events []AuditEvent
	b := a.clone()
	b.Email, b.Name, b.OrganizationID, b.Directory = p.Email, p.DisplayName, p.OrganizationID, p.link(d)
	if !sameProfile(a, b) {
		b.UpdatedAt = op.Now
		events = append(events, op.event(ActionDirectoryUpdate, &a, &b))
	} else {
		b = a
	}
	c, ev, changed, err := SetActiveFromDirectory(op, b, p.Active)
	if err != nil {
		return Account{}, nil, err
	}
	if changed {
		events = append(events, ev)
		b = c
	}
	return b, events, nil
}

// mayMove checks that a directory may move account a to organisation orgID ("" for none):
// it administers the new one, and the move takes nothing from the person that belongs to
// their organisation (its administration, its roles).
func (op Op) mayMove(a Account, orgID string) error {
	if orgID == a.OrganizationID {
		return nil
	}
	if err := op.Actor.CanAdminister(orgID); err != nil {
		return err
	}
	if a.OrgAdmin {
		return Errorf(ECONFLICT, "%s administers its organisation, so the directory cannot move it to another. Take the administration away in Gatehouse first.", a.label())
	}
	for _, id := range a.AdditionalRoles {
		if r, ok := op.Roles[id]; ok && r.Scope == ScopeOrganization {
			return Errorf(ECONFLICT, "%s holds the role %q of its organisation, so the directory cannot move it to another. Take the role away first.", a.label(), r.Name)
		}
	}
	return nil
}

// MoveByDirectory places an account in organisation orgID ("" for none) because a
// directory whose groups are organisations added it to that group or took it out.
func MoveByDirectory(op Op, a Account, orgID string) (Account, AuditEvent, error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, err
	}
	if err := op.mayMove(a, orgID); err != nil {
		return Account{}, AuditEvent{}, err
	}
	b := op.touched(a)
	b.OrganizationID = orgID
	return b, op.event(ActionDirectoryUpdate, &a, &b), nil
}

func sameProfile(a, b Account) bool {
	if a.Email != b.Email || a.Name != b.Name || a.OrganizationID != b.OrganizationID {
		return false
	}
	if a.Directory == nil || b.Directory == nil {
		return a.Directory == b.Directory
	}
	return *a.Directory == *b.Directory
}

// SetActiveFromDirectory applies a directory's "active": true lets the person in (an
// account waiting for approval is approved, a deactivated one reactivated), false
// deactivates, with every rule of those transitions (the last system administrator
// stays). What already holds changes nothing.
func SetActiveFromDirectory(op Op, a Account, active bool) (Account, AuditEvent, bool, error) {
	var (
		b   Account
		ev  AuditEvent
		err error
	)
	switch {
	case active && (a.Status == StatusActive || a.Status == StatusInvited):
		// An invited person becomes active by following their link, as anyone invited.
		return a, AuditEvent{}, false, nil
	case !active && a.Status == StatusDeactivated:
		return a, AuditEvent{}, false, nil
	case active && a.Status == StatusPending:
		b, ev, err = Approve(op, a)
	case active && a.Status == StatusDeactivated:
		b, ev, err = Reactivate(op, a)
	case active && a.Status == StatusDenied:
		return Account{}, AuditEvent{}, false, Errorf(ECONFLICT, "%s was denied and is in the recycle bin; an administrator can approve it instead in Gatehouse.", a.label())
	case !active && a.Status == StatusActive:
		b, ev, err = Deactivate(op, a)
	default:
		return Account{}, AuditEvent{}, false, wrongStatus(a, "deactivated by a directory", "Only active accounts can be deactivated; deny or revoke it in Gatehouse instead.")
	}
	return b, ev, err == nil, err
}

// RemoveFromDirectory is a directory's DELETE: the account is deactivated and kept, with
// its audit trail, unless the directory is configured to purge, in which case an account
// already deactivated is removed for good (the audit log keeps its last state).
func RemoveFromDirectory(op Op, d Directory, a Account) (after Account, ev AuditEvent, purge bool, err error) {
	if err := op.mayChange(a); err != nil {
		return Account{}, AuditEvent{}, false, err
	}
	if d.Purge && (a.Status == StatusDeactivated || a.Status == StatusDenied || a.Status == StatusInvited) {
		// None of these can sign in, so no active administrator goes with it.
		return Account{}, op.event(ActionPurge, &a, nil), true, nil
	}
	b, ev, changed, err := SetActiveFromDirectory(op, a, false)
	if err != nil {
		return Account{}, AuditEvent{}, false, err
	}
	if !changed {
		return a, AuditEvent{}, false, nil
	}
	return b, ev, false, nil
}

// DirectoryRoles works out an account's roles after a directory adds it to or removes it
// from the group that is role roleID: a staff user without a core role takes a core role
// as theirs, any other role is additional; a core role removed is replaced by an additional
// core role, if the account holds one. SetRoles then checks the result.
func DirectoryRoles(roles Roles, a Account, roleID string, member bool) (core string, additional []string) {
	core, additional = a.CoreRole, slices.Clone(a.AdditionalRoles)
	has := core == roleID || slices.Contains(additional, roleID)
	switch {
	case member && has:
	case member:
		if r, ok := roles[roleID]; ok && r.Core && core == "" && a.Kind == KindStaff {
			core = roleID
		} else {
			additional = append(additional, roleID)
		}
	case core == roleID:
		core = ""
		for i, id := range additional {
			if r, ok := roles[id]; ok && r.Core {
				core = id
				additional = slices.Delete(additional, i, i+1)
				break
			}
		}
	default:
		additional = slices.DeleteFunc(additional, func(id string) bool { return id == roleID })
	}
	return core, additional
}

// DirectoryRole is a role a directory creates for one of its groups: an additional role
// with no permission (an administrator gives it permissions in Gatehouse), the directory's
// organisation's when it is scoped to one.
func DirectoryRole(act Actor, d Directory, id, name string) (Role, error) {
	name = clean(name)
	switch {
	case name == "":
		return Role{}, FieldErrorf("displayName", "The group has no displayName.")
	case utf8.RuneCountInString(name) > 100:
		return Role{}, FieldErrorf("displayName", "The group's displayName is longer than 100 characters.")
	}
	r := Role{ID: id, Name: name, Scope: ScopeSystem, Permissions: []Permission{}}
	if d.OrganizationID != "" {
		r.Scope, r.OrganizationID = ScopeOrganization, d.OrganizationID
	}
	if err := act.CanEditRole(r); err != nil {
		return Role{}, err
	}
	return r, nil
}
