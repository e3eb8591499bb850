package desk

import (
	"gatehouse/backend/portal"
)

// Kinds of administrator, for ActorInfo.Kind.
const (
	ActorLocal     = "local"     // the embedded portal: this computer's own administrator
	ActorSystem    = "system"    // a system administrator of a portal server
	ActorUserSetup = "userSetup" // may decide sign-ins everywhere, nothing else system-wide
	ActorOrgAdmin  = "orgAdmin"  // administers one organisation
	ActorNone      = "none"      // may see, not act; or not known yet
)

// ActorInfo tells the screens who the administrator is, so they can hide or disable what
// the server would refuse, with the server's own sentence as the reason. The rules are
// portal.Actor's; the screens only look up:
//
//   - an action on a record of organisation X is allowed when SystemAdmin, or when
//     OrgAdminOf is X (portal.Actor.Administers); otherwise Refusals.OtherOrganisation;
//   - deciding a sign-in is allowed when UserSetup or the above; otherwise Refusals.Decide;
//   - purging, promoting and system roles need SystemAdmin; otherwise Refusals.System.
type ActorInfo struct {
	// Known is false when Gatehouse does not know yet who it acts as (a remote server it
	// has not reached since signing in); Refusals then all say why.
	Known bool   `json:"known"`
	Kind  string `json:"kind"` // see the Actor* kinds
	// Label names the administrator for the title bar: "Local administrator",
	// "System administrator", "Administrator of Eastgate Food Bank".
	Label          string        `json:"label"`
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	Email          string        `json:"email"`
	Embedded       bool          `json:"embedded"`
	SystemAdmin    bool          `json:"systemAdmin"`
	UserSetup      bool          `json:"userSetup"`
	OrgAdminOf     string        `json:"orgAdminOf"`
	OrgAdminOfName string        `json:"orgAdminOfName"`
	Refusals       ActorRefusals `json:"refusals"`
}

// ActorRefusals are the sentences the server would answer with; "" means allowed.
type ActorRefusals struct {
	// System: purge, promote to staff, create or change system roles.
	System string `json:"system"`
	// Decide: approve or deny a sign-in outside the organisation the actor administers.
	Decide string `json:"decide"`
	// OtherOrganisation: manage the people, profile and roles of an organisation the
	// actor does not administer.
	OtherOrganisation string `json:"otherOrganisation"`
}

// elsewhere is an organisation ID no actor administers, to ask portal.Actor what it says
// about organisations other than the actor's own.
const elsewhere = "\x00elsewhere"

// actorInfo describes act with portal.Actor's checks.
func actorInfo(act portal.Actor, embedded bool) ActorInfo {
	info := ActorInfo{Known: true, ID: act.ID, Name: act.Name, Embedded: embedded, SystemAdmin: act.SystemAdmin,
		UserSetup: act.UserSetup, OrgAdminOf: act.OrgAdminOf}
	info.Refusals = ActorRefusals{
		System:            refusal(act.CanSystem()),
		Decide:            refusal(act.CanDecide(portal.Account{OrganizationID: elsewhere})),
		OtherOrganisation: refusal(act.CanAdminister(elsewhere)),
	}
	switch {
	case embedded:
		info.Kind, info.Label = ActorLocal, "Local administrator"
		if name := act.PersonName(); name != "" {
			info.Label = name + " (local administrator)"
		}
	case act.SystemAdmin:
		info.Kind, info.Label = ActorSystem, "System administrator"
	case act.UserSetup:
		info.Kind, info.Label = ActorUserSetup, "User setup"
	case act.OrgAdminOf != "":
		info.Kind, info.Label = ActorOrgAdmin, "Organisation administrator"
	default:
		info.Kind, info.Label = ActorNone, "No administration rights"
	}
	return info
}

func refusal(err error) string {
	if err == nil {
		return ""
	}
	return portal.ErrorMessage(err)
}

// CurrentActor says who the administrator is and what the server would refuse them. In
// embedded mode the desktop is the local portal's own administrator and may do everything.
// When Gatehouse cannot know yet (a remote server not reached since sign-in) the answer is
// not an error: Known is false and every refusal says what to do.
func (a *Desk) CurrentActor() (ActorInfo, error) {
	c, err := a.current()
	if err != nil {
		return ActorInfo{}, err
	}
	ctx := a.ctx()
	embedded := c.target.Mode == ModeEmbedded
	act, err := c.eng.Actor(ctx)
	if err != nil {
		msg := portal.ErrorMessage(err)
		if portal.ErrorCode(err) == portal.EINTERNAL {
			return ActorInfo{}, err
		}
		return ActorInfo{Kind: ActorNone, Label: "Not signed in", Refusals: ActorRefusals{System: msg, Decide: msg, OtherOrganisation: msg}}, nil
	}
	info := actorInfo(act, embedded)
	if !embedded {
		if st, err := a.auth.State(ctx); err == nil {
			info.Email = st.Email
			if info.Name == "" {
				info.Name = st.Name
			}
		}
	}
	if info.OrgAdminOf != "" {
		if db, err := a.cache(); err == nil {
			if o, err := db.GetOrganization(ctx, info.OrgAdminOf); err == nil {
				info.OrgAdminOfName = o.Name
				if info.Kind == ActorOrgAdmin {
					info.Label = "Administrator of " + o.Name
				}
			}
		}
	}
	return info, nil
}
