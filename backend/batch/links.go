package batch

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"gatehouse/backend/portal"
)

// No live link at rest on the desktop either: between the portal making an invitation
// and its e-mail reaching the mail server, the link waits in batch_recipients sealed with
// a key kept outside the local database (the OS keychain; see outreach.LinkKey). Whoever
// copies the database file, or a backup of it, finds no link that works. A sent row's
// link is forgotten.

// sealedPrefix marks a sealed link; a value without it is a link stored by an earlier
// version, in the clear, and is used as it is.
const sealedPrefix = "sealed:"

// linkBound binds a sealed link to its row: moved to another row it does not open.
func linkBound(batchID string, seq int) string { return batchID + "/" + strconv.Itoa(seq) }

// sealLink returns the stored form of a recipient's link.
func (e *Engine) sealLink(batchID string, seq int, link string) (string, error) {
	if e.links == nil {
		return "", errNoLinkKey
	}
	s, err := e.links.Seal([]byte(link), linkBound(batchID, seq))
	if err != nil {
		return "", err
	}
	return sealedPrefix + s, nil
}

// openLink returns a recipient's link as the e-mail carries it.
func (e *Engine) openLink(rc Recipient) (string, error) {
	stored, ok := strings.CutPrefix(rc.url, sealedPrefix)
	if !ok {
		return rc.url, nil
	}
	if e.links == nil {
		return "", errLinkUnreadable
	}
	plain, err := e.links.Open(stored, linkBound(rc.BatchID, rc.Seq))
	if err != nil {
		return "", errLinkUnreadable
	}
	return string(plain), nil
}

// forgetLink empties a link that cannot be opened, so that resending the row makes a new
// one instead of failing the same way again.
func (r *run) forgetLink(seq int) error {
	_, err := r.e.st.db.SQL().ExecContext(context.WithoutCancel(r.ctx),
		`UPDATE batch_recipients SET invitation_url = '' WHERE batch_id = ? AND seq = ?`, r.b.ID, seq)
	return err
}

var (
	errNoLinkKey      = errors.New("no key to seal invitation links was given to the batch engine")
	errLinkUnreadable = portal.Errorf(portal.EINVALID, "The invitation link made for this person could not be read back: the key that sealed it is no longer in this computer's keychain. Resend the row to make a new link (the old one stops working).")
)
