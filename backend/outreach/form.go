package outreach

import (
	"context"
	netmail "net/mail"
	"slices"
	"strings"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
)

// FormBatchRequest is the Batches tab's form.
type FormBatchRequest struct {
	Name             string           `json:"name"`
	ImportSessionID  string           `json:"importSessionId"`
	ContactIDs       []string         `json:"contactIds"` // with no import session: these contacts; empty: all of them
	LetterFrom       string           `json:"letterFrom"`
	LetterTo         string           `json:"letterTo"`
	SortBy           batch.SortKey    `json:"sortBy"`
	OrganizationType string           `json:"organizationType"`
	MembersOnly      bool             `json:"membersOnly"`
	Overrides        []batch.Override `json:"overrides"`
	Roles            []string         `json:"roles"`   // role names, granted in each recipient's organisation
	RoleIDs          []string         `json:"roleIds"` // roles of the recipients' organisation, by ID
	ExpiresInDays    int              `json:"expiresInDays"`
}

// FormBatchResult is the batch formed, with the rows left out and why.
type FormBatchResult struct {
	Batch    batch.Batch       `json:"batch"`
	Excluded []batch.Recipient `json:"excluded"`
}

// Desk forms the desktop's batches: from an import session or the cache's contacts, with
// the portal's message as it is now and the mail settings' sender.
type Desk struct {
	// By names the administrator on what the batches record (overrides, decisions).
	By string
	// Inviter is the name the messages give as the person inviting: the signed-in
	// administrator's, or empty, for the message's own wording ("Your administrator").
	Inviter   string
	DB        *cache.DB
	Templates Templates
	Mail      Mail
	// Imports is the import sessions' store, for a batch formed from one.
	Imports func(context.Context) (*imports.Store, error)
}

// Form forms an invitation batch.
func (d Desk) Form(ctx context.Context, req FormBatchRequest) (FormBatchResult, error) {
	opt := batch.FormOptions{
		Name: req.Name, SortBy: req.SortBy, Overrides: req.Overrides, RoleNames: req.Roles, Roles: req.RoleIDs,
		Letters:       batch.LetterRange{From: strings.TrimSpace(req.LetterFrom), To: strings.TrimSpace(req.LetterTo)},
		ExpiresInDays: req.ExpiresInDays, By: d.by(),
	}
	if t := strings.TrimSpace(req.OrganizationType); t != "" {
		opt.OrganizationTypes = []string{t}
	}
	if req.MembersOnly {
		opt.Membership = batch.MembershipMembers
	}
	var err error
	if len(opt.RoleNames) > 0 || len(opt.Roles) > 0 {
		if opt.Catalog, err = d.DB.RoleCatalog(ctx); err != nil {
			return FormBatchResult{}, err
		}
	}
	if opt.Template, err = d.Templates.Get(ctx, mail.KeyInvitation); err != nil {
		return FormBatchResult{}, err
	}
	if opt.From, err = d.sender(ctx); err != nil {
		return FormBatchResult{}, err
	}
	// The message names the portal as its settings do now, and the administrator inviting.
	set, _, err := d.portalSettings(ctx)
	if err != nil {
		return FormBatchResult{}, err
	}
	opt.ProductName, opt.InvitedBy = set.ProductName, d.Inviter
	var cands []batch.Candidate
	if req.ImportSessionID != "" {
		im, err := d.Imports(ctx)
		if err != nil {
			return FormBatchResult{}, err
		}
		if cands, err = batch.FromImport(ctx, im, req.ImportSessionID, d.DB); err != nil {
			return FormBatchResult{}, err
		}
		opt.Source = "import " + req.ImportSessionID
	} else {
		if cands, err = batch.FromCache(ctx, d.DB, batch.CacheQuery{}); err != nil {
			return FormBatchResult{}, err
		}
		opt.Source = "contacts"
		for _, id := range req.ContactIDs {
			opt.Select = append(opt.Select, "contact:"+id)
		}
	}
	st := batch.NewStore(d.DB)
	b, err := st.Create(ctx, cands, opt)
	if err != nil {
		return FormBatchResult{}, err
	}
	page, err := st.Recipients(ctx, b.ID, batch.RecipientQuery{States: []batch.State{batch.StateExcluded}, Limit: 1000})
	if err != nil {
		return FormBatchResult{}, err
	}
	return FormBatchResult{Batch: b, Excluded: page.Items}, nil
}

// FormAdded forms the invitation batch of people added to an organisation by hand ("send
// the invitations later"): exactly these contacts, with the roles chosen. The administrator
// named each person, so an organisation that is not a member does not hold them back (the
// override says so, with the batch); every other finding still does.
func (d Desk) FormAdded(ctx context.Context, name, orgID string, contactIDs, roleIDs []string, expiresInDays int) (batch.Batch, error) {
	cands, err := batch.FromCache(ctx, d.DB, batch.CacheQuery{OrganizationIDs: []string{orgID}})
	if err != nil {
		return batch.Batch{}, err
	}
	req := FormBatchRequest{Name: name, ContactIDs: contactIDs, RoleIDs: roleIDs, SortBy: batch.SortSurname, ExpiresInDays: expiresInDays}
	for _, c := range cands {
		if slices.Contains(contactIDs, c.ContactID) && slices.Contains(c.Findings, string(quality.NonMember)) {
			req.Overrides = append(req.Overrides, batch.Override{RowRef: c.RowRef, Code: string(quality.NonMember),
				Reason: "Added by hand to the organisation by " + d.by()})
		}
	}
	res, err := d.Form(ctx, req)
	return res.Batch, err
}

// sender is who a batch's messages come from: the portal's sender when its settings name
// one (a registration mailbox), so that a batch's invitations and the portal's own
// messages come from the same address; otherwise the mail settings' sender.
func (d Desk) sender(ctx context.Context) (string, error) {
	if set, ok, err := d.portalSettings(ctx); err != nil {
		return "", err
	} else if ok && set.SenderAddress != "" {
		return (&netmail.Address{Name: set.SenderName, Address: set.SenderAddress}).String(), nil
	}
	s, _, err := d.Mail.Saved(ctx)
	return s.From, err
}

// portalSettings is the portal's settings as the local copy has them; ok is false before
// the first sync brought them.
func (d Desk) portalSettings(ctx context.Context) (client.Settings, bool, error) {
	var set client.Settings
	ok, err := d.DB.Document(ctx, cache.EntitySettings, portal.SettingsID, &set)
	return set, ok, err
}

func (d Desk) by() string {
	if d.By == "" {
		return "administrator"
	}
	return d.By
}

// Remind forms a reminder batch with the portal's reminder message: for these lines of
// the invitations list, or everyone not activated when rows is empty.
func (d Desk) Remind(ctx context.Context, rows []batch.RecipientRef) (batch.Batch, error) {
	opt := batch.ReminderOptions{Rows: rows, By: d.by()}
	var err error
	if opt.Template, err = d.Templates.Get(ctx, mail.KeyReminder); err != nil {
		return batch.Batch{}, err
	}
	return batch.NewStore(d.DB).CreateReminders(ctx, opt)
}

// PreNotify forms the "your invitation is coming" batch for the people an invitation batch
// will invite, with the portal's pre-notification message. People who are not contacts on
// the portal yet are left out unless includeNotOnPortal.
func (d Desk) PreNotify(ctx context.Context, invitationBatchID string, includeNotOnPortal bool) (batch.Batch, error) {
	opt := batch.NotifyOptions{By: d.by(), IncludeNotOnPortal: includeNotOnPortal}
	var err error
	if opt.Template, err = d.Templates.Get(ctx, mail.KeyPreNotification); err != nil {
		return batch.Batch{}, err
	}
	return batch.NewStore(d.DB).CreatePreNotification(ctx, invitationBatchID, opt)
}
