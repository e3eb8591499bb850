package portal

// Actor is whoever performs an action, with what they are allowed to do worked out once.
type Actor struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	SystemAdmin bool   `json:"systemAdmin"`
	UserSetup   bool   `json:"userSetup"`
	// OrgAdminOf is the organisation this actor administers, if any.
	OrgAdminOf string `json:"orgAdminOf"`
}

// SystemActor acts for Gatehouse itself: the clock expiring invitations, or the desktop
// driving its own embedded portal.
func SystemActor() Actor {
	return Actor{ID: "system", Name: "Gatehouse", SystemAdmin: true, UserSetup: true}
}

// PersonName is the name of the person acting, for messages that name who did something
// ("Ada Admin has invited you"): empty when Gatehouse itself acts, so that the message's
// own words stand in ("Your administrator").
func (a Actor) PersonName() string {
	if a.ID == SystemActor().ID {
		return ""
	}
	return a.Name
}

// ActorFor works out what account a may do. Only active accounts may do anything; only
// staff users hold system permissions.
func ActorFor(a Account, roles Roles) Actor {
	act := Actor{ID: a.ID, Name: displayName(a)}
	if a.Status != StatusActive {
		return act
	}
	if a.Kind == KindStaff {
		act.SystemAdmin = roles.Grants(a, PermSystemAdmin)
		act.UserSetup = act.SystemAdmin || roles.Grants(a, PermUserSetup)
	}
	if a.OrgAdmin && a.OrganizationID != "" {
		act.OrgAdminOf = a.OrganizationID
	}
	return act
}

// SelfActor is the person acting on their own account (requesting access, accepting an
// invitation, signing in). It carries no permissions.
func SelfActor(a Account) Actor { return Actor{ID: a.ID, Name: displayName(a)} }

func displayName(a Account) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

// Administers reports whether the actor may manage the people and profile of organisation
// orgID: system administrators everywhere, organisation administrators in their own only.
func (act Actor) Administers(orgID string) bool {
	return act.SystemAdmin || (orgID != "" && act.OrgAdminOf == orgID)
}

// MayDecide reports whether the actor may approve or deny a's sign-in.
func (act Actor) MayDecide(a Account) bool {
	return act.UserSetup || act.Administers(a.OrganizationID)
}

// MaySee reports whether the actor may read a's record.
func (act Actor) MaySee(a Account) bool {
	return act.ID == a.ID || act.MayDecide(a)
}

// CanAdminister returns a forbidden error unless the actor administers orgID.
func (act Actor) CanAdminister(orgID string) error {
	if act.Administers(orgID) {
		return nil
	}
	if act.OrgAdminOf != "" {
		return Errorf(EFORBIDDEN, "You administer another organisation only. Ask a system administrator to do this.")
	}
	return Errorf(EFORBIDDEN, "Only a system administrator or an administrator of this organisation can do this.")
}

func (act Actor) canDecide(a Account) error {
	if act.MayDecide(a) {
		return nil
	}
	return Errorf(EFORBIDDEN, "You do not have user-setup permission, so you cannot decide sign-in requests. Ask a system administrator.")
}

func (act Actor) canSystem() error {
	if act.SystemAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "Only a system administrator can do this.")
}
