package desk

import (
	"encoding/json"
	"fmt"
	"strings"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
)

// Adding people and organisations by hand: Creatio's "add users by e-mail" and a new
// organisation, both through the outbox like every other change.

// AddressCheck is one address of an "Add users" list as typed, and what adding it would do.
type AddressCheck struct {
	Input string `json:"input"`
	// Email is the address normalised; empty when it is not one.
	Email string `json:"email"`
	// Error says what is wrong with the address (not one, in the list twice).
	Error string `json:"error,omitempty"`
	// ContactName is the organisation's contact with this address, when there is one; it
	// is matched, not created again.
	ContactName string `json:"contactName,omitempty"`
	// NewName is the name a new contact gets from the address.
	NewName string `json:"newName,omitempty"`
	// Account is the status of a portal account with this address, when there is one: the
	// person is not invited again.
	Account string `json:"account,omitempty"`
}

// CheckAddUsers says, address by address, what adding these people to the organisation
// would do: match a contact, create one (and its name), or nothing for an address that is
// not one. Nothing changes.
func (a *Desk) CheckAddUsers(orgID string, inputs []string) ([]AddressCheck, error) {
	db, err := a.cache()
	if err != nil {
		return nil, err
	}
	ctx := a.ctx()
	emails, errs := portal.CheckEmails(inputs)
	out := make([]AddressCheck, len(inputs))
	for i, in := range inputs {
		out[i] = AddressCheck{Input: in, Email: emails[i]}
		if errs[i] != nil {
			out[i].Error = portal.ErrorMessage(errs[i])
			continue
		}
		cs, err := db.ContactsByEmail(ctx, emails[i])
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.OrganizationID == orgID {
				out[i].ContactName = c.FullName
				break
			}
		}
		if out[i].ContactName == "" {
			out[i].NewName = portal.NameFromEmail(emails[i])
		}
		accs, err := db.AccountsByEmail(ctx, emails[i])
		if err != nil {
			return nil, err
		}
		if len(accs) > 0 {
			out[i].Account = string(accs[0].Status)
		}
	}
	return out, nil
}

// AddUsersRequest is the "Add users" dialog.
type AddUsersRequest struct {
	OrganizationID string   `json:"organizationId"`
	Emails         []string `json:"emails"`
	Roles          []string `json:"roles"`
	// InviteNow e-mails each person an invitation at once; otherwise they are added as
	// contacts, to be invited later in a batch (Invitations → Batches).
	InviteNow     bool `json:"inviteNow"`
	ExpiresInDays int  `json:"expiresInDays"`
}

// AddedPerson is what the portal did with one address.
type AddedPerson struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Created bool   `json:"created"` // a new contact; otherwise an existing one was matched
	Invited bool   `json:"invited"`
	// Skipped says why the address was not invited (for example, it already has access).
	Skipped string `json:"skipped,omitempty"`
}

// AddUsersOutcome is the answer to AddUsers: the change, and when the portal already has
// it (Sent), what it did address by address; otherwise the change waits in the outbox.
type AddUsersOutcome struct {
	Change QueuedChange  `json:"change"`
	Sent   bool          `json:"sent"`
	People []AddedPerson `json:"people"`
	// Batch holds the people added "for later": their invitations, with the roles chosen,
	// wait in it until it is sent from Invitations → Batches.
	Batch *batch.Batch `json:"batch,omitempty"`
}

// AddUsers adds people to an organisation by e-mail address: each is matched to one of its
// contacts or becomes a new contact named after the address, and with InviteNow each is
// e-mailed an invitation. Every address is checked first; one that is not an address
// refuses the whole list with its position. Invitations from a portal whose links only this
// computer could open are refused with what to do, as for a batch.
func (a *Desk) AddUsers(req AddUsersRequest) (AddUsersOutcome, error) {
	c, err := a.current()
	if err != nil {
		return AddUsersOutcome{}, err
	}
	ctx := a.ctx()
	if _, err := c.eng.Cache().GetOrganization(ctx, req.OrganizationID); err != nil {
		return AddUsersOutcome{}, portal.FieldErrorf("organizationId", "Choose the organisation to add the people to.")
	}
	if req.InviteNow {
		// The local portal sends through the desktop's mail server: without one, nobody
		// would get their invitation, so nobody is invited.
		if c.srv != nil {
			if _, err := mailOn(c.eng.Cache()).Config(ctx, a.cfg.Clock); err != nil {
				return AddUsersOutcome{}, err
			}
		}
		if err := linksReachable(ctx, c); err != nil {
			return AddUsersOutcome{}, err
		}
	}
	q, err := c.eng.Commands().AddUsersByEmail(ctx, req.OrganizationID, req.Emails,
		replica.AddUsersOptions{Invite: req.InviteNow, Roles: req.Roles, ExpiresInDays: req.ExpiresInDays})
	if err != nil {
		return AddUsersOutcome{}, err
	}
	a.pushSoon(c.eng)
	out := AddUsersOutcome{Change: queuedChange(q), People: []AddedPerson{}}
	cmd, err := c.eng.Cache().GetCommand(ctx, q.ID)
	if err != nil || cmd.State != cache.OutboxSent {
		return out, err
	}
	var res client.AddUsersResult
	if err := json.Unmarshal(cmd.Response, &res); err != nil {
		return out, fmt.Errorf("read the portal's answer to adding people: %w", err)
	}
	out.Sent = true
	var ids []string
	for _, u := range res.Users {
		out.People = append(out.People, AddedPerson{Email: u.Email, Name: u.Contact.FullName, Created: u.ContactCreated,
			Invited: u.Invitation != nil, Skipped: u.Skipped})
		ids = append(ids, u.Contact.ID)
	}
	if req.InviteNow || len(ids) == 0 {
		return out, nil
	}
	// "Later", as in Creatio's guide, keeps the invitations to send: a batch of exactly these
	// people with the roles chosen, sent in careful steps like any other.
	b, err := a.formAddedBatch(req, ids)
	if err != nil {
		return out, fmt.Errorf("the people were added, but their invitations could not be put in a batch (form one from Invitations → Batches): %w", err)
	}
	out.Batch = &b
	return out, nil
}

// formAddedBatch forms the invitation batch of people just added to an organisation.
func (a *Desk) formAddedBatch(req AddUsersRequest, contactIDs []string) (batch.Batch, error) {
	d, err := a.desk()
	if err != nil {
		return batch.Batch{}, err
	}
	org, err := d.DB.GetOrganization(a.ctx(), req.OrganizationID)
	if err != nil {
		return batch.Batch{}, err
	}
	name := fmt.Sprintf("Added to %s, %s", org.Name, a.cfg.Clock.Now().Local().Format("2 Jan 15:04"))
	b, err := d.FormAdded(a.ctx(), name, org.ID, contactIDs, req.Roles, req.ExpiresInDays)
	if err == nil {
		a.recordFormed(b)
	}
	return b, err
}

// CreateOrganisation adds an organisation with its profile (system administrators only).
// It shows at once; people can be added to it before the portal has it.
func (a *Desk) CreateOrganisation(o portal.Organization) (OrgResult, error) {
	if strings.TrimSpace(o.Name) == "" {
		return OrgResult{}, portal.FieldErrorf("name", "Give the organisation a name.")
	}
	eng, db, err := a.engine()
	if err != nil {
		return OrgResult{}, err
	}
	q, err := eng.Commands().CreateOrganization(a.ctx(), o)
	if err != nil {
		return OrgResult{}, err
	}
	a.pushSoon(eng)
	now, err := db.GetOrganization(a.ctx(), q.EntityID)
	if err != nil {
		return OrgResult{}, err
	}
	return OrgResult{Change: queuedChange(q), Organization: now}, nil
}
