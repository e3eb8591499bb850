// Package golive moves an administrator's work from the portal inside Gatehouse to a
// portal server. The local portal's database stays on this computer; what people would
// miss on the server — the organisations and contacts created or imported here, and the
// messages reworded here — is carried through the outbox with the same commands an
// import's apply queues, each with a key of its own, so carrying twice adds nothing twice.
// What cannot be carried is said before the switch: accounts (people sign in to the
// server themselves), invitations (their links point at this computer) and the local
// portal's settings and history.
package golive

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/demo"
	"gatehouse/backend/imports"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/replica"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Plan says, before the switch, what going live carries to the server and what it does not.
type Plan struct {
	ServerURL     string `json:"serverUrl"`
	Organizations int    `json:"organizations"`
	Contacts      int    `json:"contacts"`
	// Messages are the names of the messages reworded on the local portal.
	Messages []string `json:"messages"`
	// Accounts, Invitations and the demo's records are not carried.
	Accounts    int `json:"accounts"`
	Invitations int `json:"invitations"`
	Demo        int `json:"demo"`
	// Carried and NotCarried say it in sentences, for the dialog.
	Carried    []string `json:"carried"`
	NotCarried []string `json:"notCarried"`
	Kept       []string `json:"kept"`
}

// local is what the local portal holds that going live looks at.
type local struct {
	demo        int // demo organisations and contacts, never carried
	orgs        []portal.Organization
	contacts    []portal.Contact
	accounts    int
	invitations int
	messages    []api.Template // reworded from the built-in text
}

// readLocal reads the local portal's database at path.
func readLocal(ctx context.Context, path string) (local, error) {
	var l local
	st, err := store.Open(ctx, path, nil)
	if err != nil {
		return l, fmt.Errorf("open the local portal's database %s: %w", path, err)
	}
	defer st.Close()
	err = st.View(ctx, func(r store.Reader) error {
		orgs, err := r.Organizations(ctx, store.OrgFilter{})
		if err != nil {
			return err
		}
		contacts, err := r.Contacts(ctx, store.ContactFilter{})
		if err != nil {
			return err
		}
		l.orgs = withoutDemo(orgs, func(o portal.Organization) string { return o.ID }, &l.demo)
		l.contacts = withoutDemo(contacts, func(c portal.Contact) string { return c.ID }, &l.demo)
		accs, err := r.Accounts(ctx, store.AccountFilter{})
		if err != nil {
			return err
		}
		l.accounts = len(accs)
		invs, err := r.Invitations(ctx, store.InvitationFilter{Status: portal.InvitationPending})
		if err != nil {
			return err
		}
		l.invitations = len(invs)
		ts, err := r.Templates(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if def, ok := mail.DefaultTemplate(t.Key); ok && (def.Subject != t.Subject || def.Body != t.Body) {
				l.messages = append(l.messages, t)
			}
		}
		return nil
	})
	if err != nil {
		return l, fmt.Errorf("read the local portal's database %s: %w", path, err)
	}
	return l, nil
}

// withoutDemo returns recs without the demo's records, counting those in demoCount.
func withoutDemo[T any](recs []T, id func(T) string, demoCount *int) []T {
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		if demo.IsDemo(id(r)) {
			*demoCount++
		} else {
			out = append(out, r)
		}
	}
	return out
}

// MakePlan reads the local portal's database at path and says what going live to
// serverURL would carry.
func MakePlan(ctx context.Context, path, serverURL string) (Plan, error) {
	l, err := readLocal(ctx, path)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{ServerURL: serverURL, Organizations: len(l.orgs), Contacts: len(l.contacts), Messages: []string{},
		Accounts: l.accounts, Invitations: l.invitations, Demo: l.demo}
	for _, t := range l.messages {
		p.Messages = append(p.Messages, t.Name)
	}
	p.Carried = []string{
		fmt.Sprintf("%s and %s, with their details. Any the server already has (an organisation of the same name, a contact with the same e-mail address) are left as the server has them.",
			count(p.Organizations, "organisation"), count(p.Contacts, "contact")),
	}
	if len(p.Messages) > 0 {
		p.Carried = append(p.Carried, fmt.Sprintf("Your wording of %s (%s), where the server still has the built-in text.",
			count(len(p.Messages), "message"), strings.Join(p.Messages, ", ")))
	}
	p.NotCarried = []string{
		fmt.Sprintf("%s: people sign in to the server themselves, or are invited again from it.", count(p.Accounts, "account")),
		fmt.Sprintf("%s still open: their links point at this computer. Invite those people again once connected.", count(p.Invitations, "invitation")),
		"The local portal's settings (its name, sender, approvers, public address): set the server's in Settings → Portal.",
		"The local portal's audit history: it stays in its file on this computer.",
	}
	if p.Demo > 0 {
		p.NotCarried = append(p.NotCarried, fmt.Sprintf("The demo data (%d organisations and contacts): it must never reach a real portal.", p.Demo))
	}
	p.Kept = []string{
		"Import sessions, batches and their results, and the mail settings stay on this computer and work with the server.",
		"The local portal itself: Settings → Server and sign-in → “Use the local portal” goes back to it as it was.",
	}
	return p, nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Result is what carrying queued.
type Result struct {
	At            time.Time `json:"at"`
	ServerURL     string    `json:"serverUrl"`
	Organizations int       `json:"organizations"`
	Contacts      int       `json:"contacts"`
	Messages      int       `json:"messages"`
	// AlreadyThere counts the organisations and contacts the server had already.
	AlreadyThere int `json:"alreadyThere"`
	// KeptTheirs names the messages the server had reworded itself.
	KeptTheirs []string `json:"keptTheirs"`
	// Refused says which records were not queued and why.
	Refused []string `json:"refused"`
}

// Carry queues, for the server the cache now mirrors, the local portal's organisations and
// contacts the server does not have, and the messages reworded here that the server still
// has as built. It runs after the first sync with the server, so the cache holds the
// server's records to compare with.
func Carry(ctx context.Context, path string, db *cache.DB, cmds *replica.Commands, serverURL string, now time.Time) (Result, error) {
	res := Result{At: now, ServerURL: serverURL, KeptTheirs: []string{}, Refused: []string{}}
	l, err := readLocal(ctx, path)
	if err != nil {
		return res, err
	}
	theirOrgs, err := organisationsByName(ctx, db)
	if err != nil {
		return res, err
	}
	theirEmails, err := contactEmails(ctx, db)
	if err != nil {
		return res, err
	}
	orgID := map[string]string{} // local organisation -> the server's
	var changes []imports.ApplyChange
	names := map[string]string{}
	for _, o := range l.orgs {
		if id, ok := theirOrgs[imports.FoldName(o.Name)]; ok {
			orgID[o.ID] = id
			res.AlreadyThere++
			continue
		}
		orgID[o.ID] = o.ID
		o.Version = 0
		key := "golive:" + o.ID
		names[key] = o.Name
		changes = append(changes, imports.ApplyChange{Key: key, Organization: &o})
	}
	for _, c := range l.contacts {
		if c.Email != "" && theirEmails[portal.NormalizeEmail(c.Email)] {
			res.AlreadyThere++
			continue
		}
		c.OrganizationID, c.Version = orgID[c.OrganizationID], 0
		key := "golive:" + c.ID
		names[key] = c.FullName
		changes = append(changes, imports.ApplyChange{Key: key, Contact: &c})
	}
	if len(changes) > 0 {
		out, err := cmds.Queue(ctx, changes)
		if err != nil {
			return res, err
		}
		for _, r := range out.Refused {
			res.Refused = append(res.Refused, fmt.Sprintf("%s: %s", names[r.Key], r.Message))
		}
		for _, q := range out.Queued {
			switch q.Command {
			case replica.CmdCreateOrganization:
				res.Organizations++
			case replica.CmdCreateContact:
				res.Contacts++
			}
		}
	}
	for _, t := range l.messages {
		var theirs client.Template
		ok, err := db.Document(ctx, cache.EntityTemplate, t.Key, &theirs)
		if err != nil {
			return res, err
		}
		def, _ := mail.DefaultTemplate(t.Key)
		if !ok || theirs.Subject != def.Subject || theirs.Body != def.Body {
			res.KeptTheirs = append(res.KeptTheirs, t.Name)
			continue
		}
		if theirs.Subject == t.Subject && theirs.Body == t.Body {
			continue
		}
		if _, err := cmds.UpdateTemplate(ctx, t.Key, client.TemplateUpdate{Subject: t.Subject, Body: t.Body}); err != nil {
			res.Refused = append(res.Refused, fmt.Sprintf("%s: %s", t.Name, portal.ErrorMessage(err)))
			continue
		}
		res.Messages++
	}
	return res, nil
}

// organisationsByName maps the server's organisations, by name as an import compares
// them, to their IDs.
func organisationsByName(ctx context.Context, db *cache.DB) (map[string]string, error) {
	out := map[string]string{}
	for off := 0; ; off += 1000 {
		pg, err := db.ListOrganizations(ctx, cache.OrganizationFilter{Limit: 1000, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, o := range pg.Rows {
			out[imports.FoldName(o.Name)] = o.ID
		}
		if off+1000 >= pg.Total {
			return out, nil
		}
	}
}

// contactEmails is the set of the server's contacts' addresses, normalised.
func contactEmails(ctx context.Context, db *cache.DB) (map[string]bool, error) {
	out := map[string]bool{}
	for off := 0; ; off += 1000 {
		pg, err := db.ListContacts(ctx, cache.ContactFilter{Limit: 1000, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, c := range pg.Rows {
			if c.Email != "" {
				out[portal.NormalizeEmail(c.Email)] = true
			}
		}
		if off+1000 >= pg.Total {
			return out, nil
		}
	}
}
