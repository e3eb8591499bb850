package desk

import (
	"gatehouse/backend/client"
)

// The portal's outgoing mail, for its system administrators: where each message stands and
// why, never what it says. A message waiting for a mail server that was down can be tried
// again at once; one that failed is sent again, unless it carried a link (then the person
// needs a new one, from their record).

// PortalMail lists the portal's outgoing mail; status "" lists all, otherwise queued,
// sent, skipped or failed.
func (a *Desk) PortalMail(status string) ([]client.MailItem, error) {
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	items, err := c.cl.Mail(a.ctx(), status)
	if items == nil {
		items = []client.MailItem{}
	}
	return items, err
}

// RetryPortalMail sends a waiting or failed message again.
func (a *Desk) RetryPortalMail(id string) (client.MailItem, error) {
	c, err := a.current()
	if err != nil {
		return client.MailItem{}, err
	}
	return c.cl.RetryMail(a.ctx(), id)
}
