package batch

import (
	netmail "net/mail"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// LinkPlaceholder stands in a preview where the one-time link will be: the link exists
// only once the server has created the invitation, just before the e-mail is sent. It is
// a URL (on the reserved .invalid domain) so that a template writing the link as
// [label](@InvitationUrl@) previews as a link too.
const LinkPlaceholder = "https://one-time-link.invalid/"

// ExpiresLayout is how the link's expiry is written in messages, as the server writes it.
const ExpiresLayout = "2 January 2006 15:04 MST"

// Composer renders a batch's message for one recipient. The preview and the sending
// engine use the same Composer, so the preview is the message sent, with the link and
// expiry filled in.
type Composer struct {
	BatchID     string
	Template    mail.Template
	ProductName string
	InvitedBy   string
	// From is the sender; a zero address uses the mail settings' sender.
	From netmail.Address
}

// DisplayName is the name a message is addressed to: the full name, or first and last
// name, or "" (the templates then say "Hello there").
func DisplayName(c Candidate) string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName))
}

// Vars returns the placeholder values for a recipient.
func (c Composer) Vars(r Candidate, link string, expiresAt time.Time) map[string]string {
	vars := map[string]string{
		mail.VarProductName:      c.ProductName,
		mail.VarUserName:         DisplayName(r),
		mail.VarEmail:            strings.TrimSpace(r.Email),
		mail.VarOrganizationName: r.OrganizationName,
		mail.VarInvitedBy:        c.InvitedBy,
		mail.VarInvitationURL:    link,
	}
	if !expiresAt.IsZero() {
		vars[mail.VarExpiresAt] = expiresAt.UTC().Format(ExpiresLayout)
	}
	return vars
}

// Message is the e-mail to r with the given link, expiry and Message-ID.
func (c Composer) Message(r Candidate, link string, expiresAt time.Time, messageID string) mail.Message {
	to := netmail.Address{Name: DisplayName(r), Address: strings.TrimSpace(r.Email)}
	m := mail.Compose(c.Template, to, c.Vars(r, link, expiresAt))
	m.From = c.From
	m.MessageID = messageID
	if c.BatchID != "" {
		m.Headers = map[string]string{"X-Gatehouse-Batch": c.BatchID}
	}
	return m
}

// PreviewMessage is an e-mail as the preview shows it.
type PreviewMessage struct {
	From      string `json:"from"` // "" when the mail settings' sender will be used
	To        string `json:"to"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	MessageID string `json:"messageId,omitempty"`
	// Link is the placeholder standing for the one-time link in Body ("" when the
	// message carries no link).
	Link string `json:"link,omitempty"`
}

// Preview renders the message r will receive, with LinkPlaceholder for the link and the
// expiry a link created at now would have.
func (c Composer) Preview(r Candidate, withLink bool, now time.Time, ttl time.Duration, messageID string) PreviewMessage {
	link, exp := "", time.Time{}
	if withLink {
		link, exp = LinkPlaceholder, now.Add(ttl)
	}
	m := c.Message(r, link, exp, messageID)
	pm := PreviewMessage{To: formatAddress(m.To), Subject: m.Subject, Body: m.Text, MessageID: messageID, Link: link}
	if m.From.Address != "" {
		pm.From = formatAddress(m.From)
	}
	return pm
}

// PreviewPlanned renders the e-mail a planned row will receive if the batch is formed
// with opt now.
func PreviewPlanned(p Planned, opt FormOptions, now time.Time) (PreviewMessage, error) {
	c, err := composerFor("", KindInvitation, opt)
	if err != nil {
		return PreviewMessage{}, err
	}
	return c.Preview(p.Candidate, true, now, expiresIn(opt.ExpiresInDays), ""), nil
}

func composerFor(batchID string, kind Kind, opt FormOptions) (Composer, error) {
	t, err := opt.template(kind.templateKey())
	if err != nil {
		return Composer{}, err
	}
	c := Composer{BatchID: batchID, Template: t, ProductName: opt.ProductName, InvitedBy: opt.InvitedBy}
	if opt.From != "" {
		if c.From, err = parseFrom(opt.From); err != nil {
			return Composer{}, err
		}
	}
	return c, nil
}

func formatAddress(a netmail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

func parseFrom(s string) (netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return netmail.Address{}, portal.FieldErrorf("from", "The sender %q is not an address like \"Portal <noreply@example.org>\".", s)
	}
	if _, err := portal.ParseEmail(a.Address); err != nil {
		return netmail.Address{}, portal.FieldErrorf("from", "The sender %q is not an address like \"Portal <noreply@example.org>\".", s)
	}
	return *a, nil
}

// expiresIn is the invitation lifetime for a number of days (0: the portal default).
func expiresIn(days int) time.Duration {
	// The days were checked when the batch was formed (checkOptions).
	ttl, err := portal.InvitationTTLDays(days)
	if err != nil {
		return portal.DefaultInvitationTTL
	}
	return ttl
}
