package portal

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Settings are the portal-wide settings an administrator can change.
type Settings struct {
	// ProductName fills @system.ProductName@ in messages and pages.
	ProductName string `json:"productName"`
	// SignUpMode decides what a first SSO sign-in creates: a pending account that needs
	// approval, or an active client who still owes the registration form.
	SignUpMode SignUpMode `json:"signUpMode"`
	// ApproverEmails, when set, receive access requests instead of every approver.
	ApproverEmails []string `json:"approverEmails"`
	// RequestAccessIntervalMinutes is how long a pending person must wait before their
	// request e-mails the approvers again.
	RequestAccessIntervalMinutes int `json:"requestAccessIntervalMinutes"`
	// NotifyDenied e-mails a denied person the "denied" message.
	NotifyDenied bool `json:"notifyDenied"`
	// PublicURL is the address people open the portal at from their own computers
	// (https://portal.example.org): every link in a message points there. Empty: the
	// server's own address, which for the portal inside Gatehouse is this computer's and
	// reaches nobody else.
	PublicURL string `json:"publicUrl"`
	// SenderName and SenderAddress are who the portal's own messages come from (a
	// registration mailbox such as registrations@example.org); empty: the server's
	// configured sender. In the portal inside Gatehouse the desktop's mail settings send,
	// from their own address.
	SenderName    string `json:"senderName"`
	SenderAddress string `json:"senderAddress"`
	// InvitationDays is how long an invitation link stays valid unless its sender says
	// otherwise, and MaxInvitationDays the longest anyone may choose (at most 30).
	InvitationDays    int `json:"invitationDays"`
	MaxInvitationDays int `json:"maxInvitationDays"`
	// SessionHours is how long a person stays signed in to the portal's pages.
	SessionHours int       `json:"sessionHours"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Version      int64     `json:"version"`
}

// Defaults of the settings added after a portal's first version: a portal whose stored
// settings predate them reads them as these.
const (
	DefaultInvitationDays    = 7
	DefaultMaxInvitationDays = 30
	DefaultSessionHours      = 8
)

// WithDefaults fills the settings a portal stored before they existed.
func (s Settings) WithDefaults() Settings {
	if s.InvitationDays == 0 {
		s.InvitationDays = DefaultInvitationDays
	}
	if s.MaxInvitationDays == 0 {
		s.MaxInvitationDays = DefaultMaxInvitationDays
	}
	if s.SessionHours == 0 {
		s.SessionHours = DefaultSessionHours
	}
	if s.ApproverEmails == nil {
		s.ApproverEmails = []string{}
	}
	return s
}

// DefaultSettings are the settings of a new portal.
func DefaultSettings() Settings {
	return Settings{
		// The portal's name is used bare in every message ("Your Gatehouse account has been
		// approved"), so the default is a name, never "the portal".
		ProductName:                  "Gatehouse",
		SignUpMode:                   SignUpApproval,
		ApproverEmails:               []string{},
		RequestAccessIntervalMinutes: 24 * 60,
		InvitationDays:               DefaultInvitationDays,
		MaxInvitationDays:            DefaultMaxInvitationDays,
		SessionHours:                 DefaultSessionHours,
	}
}

// Validate checks settings before they are stored and normalises the addresses and names:
// the server runs it on every change, the desktop on an edit before it is queued.
func (set *Settings) Validate() error {
	set.ProductName = strings.TrimSpace(set.ProductName)
	switch {
	case set.ProductName == "":
		return FieldErrorf("productName", "Give the portal a name; it appears in every message.")
	case len(set.ProductName) > 200:
		return FieldErrorf("productName", "The portal's name is too long; keep it under 200 characters.")
	case strings.ContainsAny(set.ProductName, "\r\n"):
		return FieldErrorf("productName", "The portal's name must be one line.")
	}
	set.PublicURL = strings.TrimRight(strings.TrimSpace(set.PublicURL), "/")
	if set.PublicURL != "" {
		u, err := url.Parse(set.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") || u.User != nil {
			return FieldErrorf("publicUrl", "%q is not a public address. Enter the address people open the portal at, like https://example.org.", set.PublicURL)
		}
	}
	if set.SignUpMode != SignUpApproval && set.SignUpMode != SignUpClient {
		return FieldErrorf("signUpMode", "The sign-up mode must be %q (new SSO sign-ins wait for approval) or %q (they become clients).", SignUpApproval, SignUpClient)
	}
	if set.RequestAccessIntervalMinutes < 1 || set.RequestAccessIntervalMinutes > 30*24*60 {
		return FieldErrorf("requestAccessIntervalMinutes", "The wait between access requests must be between 1 minute and 30 days (43200 minutes).")
	}
	out := make([]string, 0, len(set.ApproverEmails))
	for i, e := range set.ApproverEmails {
		addr, err := ParseEmail(e)
		if err != nil {
			return &Error{Code: EINVALID, Field: fmt.Sprintf("approverEmails[%d]", i), Message: ErrorMessage(err)}
		}
		out = append(out, addr)
	}
	set.ApproverEmails = out
	set.SenderName = strings.Join(strings.Fields(set.SenderName), " ")
	if set.SenderAddress = strings.TrimSpace(set.SenderAddress); set.SenderAddress != "" {
		addr, err := ParseEmail(set.SenderAddress)
		if err != nil {
			return &Error{Code: EINVALID, Field: "senderAddress", Message: ErrorMessage(err)}
		}
		set.SenderAddress = addr
	} else if set.SenderName != "" {
		return FieldErrorf("senderAddress", "Give the address the portal's messages come from, or leave the name empty too.")
	}
	max := MaxInvitationTTL / (24 * time.Hour)
	switch {
	case set.MaxInvitationDays < 1 || set.MaxInvitationDays > int(max):
		return FieldErrorf("maxInvitationDays", "The longest an invitation may stay valid must be between 1 and %d days.", max)
	case set.InvitationDays < 1 || set.InvitationDays > set.MaxInvitationDays:
		return FieldErrorf("invitationDays", "An invitation must stay valid between 1 day and the longest allowed, %d days.", set.MaxInvitationDays)
	case set.SessionHours < 1 || set.SessionHours > 30*24:
		return FieldErrorf("sessionHours", "A sign-in must last between 1 hour and 30 days (720 hours).")
	}
	return nil
}

// SettingsID is the ID of the portal's one settings record, in the change feed and the
// desktop's outbox.
const SettingsID = "portal"

// MayChangePortal refuses anyone but a system administrator a change to the portal's
// settings or messages: they speak for the whole portal, not one organisation.
func MayChangePortal(a Actor, what string) error {
	if !a.SystemAdmin {
		return Errorf(EFORBIDDEN, "Only a system administrator can change %s.", what)
	}
	return nil
}
