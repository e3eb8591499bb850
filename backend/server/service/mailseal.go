package service

import (
	"encoding/json"
	"errors"
	"html"
	"strings"

	"gatehouse/backend/internal/seal"
	"gatehouse/backend/mail"
	"gatehouse/backend/server/store"
)

// No live link at rest: a message waiting in the outbox carries a placeholder where its
// invitation or approval link goes, and the links themselves are sealed with a key the
// database does not hold. Whoever reads the database file, or a backup of it, finds no
// link that works. The links are put in when the message is handed to the mail server and
// forgotten once it is finished.

// secretVars are the message variables whose value carries a live token.
var secretVars = []string{mail.VarInvitationURL, mail.VarApproveURL, mail.VarDenyURL}

// linkMarker stands for a sealed link in a stored message: an address of a reserved
// domain (RFC 2606), so that text and HTML rendering keep it as it is.
// linkMarker("") is the prefix every marker shares.
func linkMarker(name string) string { return "https://sealed-link.invalid/" + name }

// MailKeySize is the length of the key that seals links (AES-256).
const MailKeySize = seal.KeySize

// NewMailKey makes a key for sealing links.
func NewMailKey() ([]byte, error) { return seal.NewKey() }

// sealLinks takes the live links out of vars (leaving markers) and returns them sealed
// for message id; "" when there are none.
func (s *Service) sealLinks(id string, vars map[string]string) (string, error) {
	links := map[string]string{}
	for _, k := range secretVars {
		if v := vars[k]; v != "" {
			links[k], vars[k] = v, linkMarker(k)
		}
	}
	if len(links) == 0 {
		return "", nil
	}
	plain, err := json.Marshal(links)
	if err != nil {
		return "", err
	}
	// The message's ID is bound in: a sealed value moved to another row does not open.
	return s.seal.Seal(plain, id)
}

var errSealBroken = errors.New("the links of this message cannot be unsealed (the key file changed, or the row was altered); send a new link from Gatehouse")

// unsealLinks returns the message as it is to be sent: its placeholders replaced by the
// links, in the text as they are and in the HTML escaped.
func (s *Service) unsealLinks(m store.Mail) (subject, text, htmlPart string, err error) {
	if m.Sealed == "" {
		return m.Subject, m.Body, m.HTML, nil
	}
	plain, err := s.seal.Open(m.Sealed, m.ID)
	if err != nil {
		return "", "", "", errSealBroken
	}
	var links map[string]string
	if err := json.Unmarshal(plain, &links); err != nil {
		return "", "", "", errSealBroken
	}
	subject, text, htmlPart = m.Subject, m.Body, m.HTML
	for k, v := range links {
		subject = strings.ReplaceAll(subject, linkMarker(k), v)
		text = strings.ReplaceAll(text, linkMarker(k), v)
		htmlPart = strings.ReplaceAll(htmlPart, html.EscapeString(linkMarker(k)), html.EscapeString(v))
	}
	return subject, text, htmlPart, nil
}
