package portal

// The exported checks below let a client (the desktop) ask, before offering an action,
// whether the server would refuse it and with which sentence, so that it can hide or
// disable the action instead of showing it and being refused.

// CanSystem returns a forbidden error unless the actor is a system administrator: only
// they may purge, promote to staff or change system roles.
func (act Actor) CanSystem() error { return act.canSystem() }

// CanDecide returns a forbidden error unless the actor may approve or deny a's sign-in.
func (act Actor) CanDecide(a Account) error { return act.canDecide(a) }

// CanEditRole returns a forbidden error unless the actor may create, rename or delete r:
// system roles are the system administrators'; an organisation role is also its
// organisation's administrators'.
func (act Actor) CanEditRole(r Role) error {
	if r.Scope == ScopeOrganization {
		return act.CanAdminister(r.OrganizationID)
	}
	if !act.SystemAdmin {
		return Errorf(EFORBIDDEN, "Only a system administrator can change system roles.")
	}
	return nil
}
