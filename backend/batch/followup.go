package batch

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// InvitationRow is one line of the invitations list: a recipient's delivery joined with
// the invitation's status as the cache's mirror of the server knows it.
type InvitationRow struct {
	BatchID          string `json:"batchId"`
	BatchName        string `json:"batchName"`
	Kind             Kind   `json:"kind"`
	Seq              int    `json:"seq"`
	RowRef           string `json:"rowRef"`
	ContactID        string `json:"contactId,omitempty"`
	AccountID        string `json:"accountId,omitempty"`
	Name             string `json:"name"`
	Email            string `json:"email"`
	OrganizationName string `json:"organizationName"`
	// Delivery is the e-mail's state (sent, failed, unknown, ...).
	Delivery  State      `json:"delivery"`
	SentAt    *time.Time `json:"sentAt,omitempty"`
	LastError string     `json:"lastError,omitempty"`
	// InvitationID and Status: pending, accepted, expired or revoked, judged by the clock;
	// "" when no invitation was made yet or the mirror has not synced it.
	InvitationID string                  `json:"invitationId,omitempty"`
	Status       portal.InvitationStatus `json:"status"`
	ExpiresAt    *time.Time              `json:"expiresAt,omitempty"`
	AcceptedAt   *time.Time              `json:"acceptedAt,omitempty"`
	// ReplacedBy is the reminder row (batch and seq) that sent a new link in place of
	// this one, if any.
	ReplacedBy *RecipientRef `json:"replacedBy,omitempty"`
}

// RecipientRef names one recipient of one batch.
type RecipientRef struct {
	BatchID string `json:"batchId"`
	Seq     int    `json:"seq"`
}

// InvitationQuery selects lines of the invitations list.
type InvitationQuery struct {
	BatchIDs []string `json:"batchIds"` // empty: every invitation and reminder batch
	// Status keeps invitations in this status (as StatusAt judges it).
	Status portal.InvitationStatus `json:"status"`
	// NotActivated keeps people e-mailed an invitation they have not used: pending or
	// expired (or not synced yet), and not already replaced by a reminder.
	NotActivated bool   `json:"notActivated"`
	Search       string `json:"search"`
	Offset       int    `json:"offset"`
	Limit        int    `json:"limit"` // default 100, at most 1000
}

// Invitations returns a page of the invitations list, newest batch first. The deliveries
// are this package's tables; an invitation's status is the cache's mirror of the server
// (cache.InvitationsByID), read for the page's rows, or, when the list is filtered by
// status, for every row the other conditions keep, which are then paged here.
func (s *Store) Invitations(ctx context.Context, q InvitationQuery) (Page[InvitationRow], error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	offset := max(q.Offset, 0)
	where, args := s.invitationWhere(q)
	from := ` FROM batch_recipients r JOIN batches b ON b.id = r.batch_id WHERE ` + where + ` ORDER BY b.created_at DESC, b.id, r.seq`
	page := Page[InvitationRow]{Items: []InvitationRow{}}
	if q.Status == "" && !q.NotActivated {
		if err := s.db.ReadSQL().QueryRowContext(ctx, "SELECT count(*) FROM batch_recipients r JOIN batches b ON b.id = r.batch_id WHERE "+where, args...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("count the invitations list: %w", err)
		}
		from += " LIMIT ? OFFSET ?"
		args = append(args, limit, offset)
	}
	items, err := s.invitationRows(ctx, from, args)
	if err != nil {
		return page, err
	}
	invs, err := invitationsOf(ctx, s, items, func(v InvitationRow) string { return v.InvitationID })
	if err != nil {
		return page, err
	}
	now := s.clock.Now()
	kept := items[:0]
	for _, v := range items {
		inv, synced := invs[v.InvitationID]
		if synced {
			v.Status = inv.StatusAt(now)
			v.ExpiresAt, v.AcceptedAt = &inv.ExpiresAt, inv.AcceptedAt
		}
		if (q.Status == "" || v.Status == q.Status) && (!q.NotActivated || notActivated(inv, synced)) {
			kept = append(kept, v)
		}
	}
	if q.Status == "" && !q.NotActivated {
		page.Items = kept
		return page, nil
	}
	page.Total = len(kept)
	page.Items = kept[min(offset, len(kept)):min(offset+limit, len(kept))]
	return page, nil
}

// notActivated says whether the invitation a row e-mailed can still be used or was let
// expire: pending or expired as the server last said, or not synced yet.
func notActivated(inv portal.Invitation, synced bool) bool {
	return !synced || inv.Status == portal.InvitationPending || inv.Status == portal.InvitationExpired
}

// invitationsOf reads from the cache's mirror the invitations of rows, by ID.
func invitationsOf[T any](ctx context.Context, s *Store, rows []T, id func(T) string) (map[string]portal.Invitation, error) {
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if id(r) != "" {
			ids = append(ids, id(r))
		}
	}
	return s.db.InvitationsByID(ctx, ids)
}

// invitationRows reads the lines of the invitations list that from (FROM … WHERE … ORDER
// BY …) selects, without their invitation's status.
func (s *Store) invitationRows(ctx context.Context, from string, args []any) ([]InvitationRow, error) {
	rows, err := s.db.ReadSQL().QueryContext(ctx, `SELECT r.batch_id, b.name, b.kind, r.seq, r.row_ref, r.contact_id, r.account_id, r.name, r.first_name,
		r.last_name, r.email, r.organization_name, r.state, r.sent_at, r.last_error, r.invitation_id, r.expires_at, `+replacedBy("batch_id")+`, `+replacedBy("seq")+from, args...)
	if err != nil {
		return nil, fmt.Errorf("read the invitations list: %w", err)
	}
	defer rows.Close()
	var out []InvitationRow
	for rows.Next() {
		var v InvitationRow
		var first, last string
		var nBatch sql.NullString
		var nSeq sql.NullInt64
		if err := rows.Scan(&v.BatchID, &v.BatchName, &v.Kind, &v.Seq, &v.RowRef, &v.ContactID, &v.AccountID, &v.Name, &first, &last,
			&v.Email, &v.OrganizationName, &v.Delivery, scanOpt(&v.SentAt), &v.LastError, &v.InvitationID,
			scanOpt(&v.ExpiresAt), &nBatch, &nSeq); err != nil {
			return nil, err
		}
		if v.Name == "" {
			v.Name = strings.TrimSpace(first + " " + last)
		}
		if nBatch.Valid {
			v.ReplacedBy = &RecipientRef{BatchID: nBatch.String, Seq: int(nSeq.Int64)}
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// replacedBy is a column of the reminder row that sent a new link in place of r's.
func replacedBy(col string) string {
	return `(SELECT x.` + col + ` FROM batch_recipients x WHERE x.replaces = r.invitation_id AND r.invitation_id <> '' ORDER BY x.updated_at DESC, x.batch_id, x.seq LIMIT 1)`
}

// invitationWhere is the part of q that this package's tables answer: which batches, which
// deliveries, the search; the invitation's status is judged after, from the mirror.
func (s *Store) invitationWhere(q InvitationQuery) (string, []any) {
	where := []string{"b.kind IN ('invitation', 'reminder')", "r.state <> 'excluded'"}
	var args []any
	if len(q.BatchIDs) > 0 {
		where = append(where, "r.batch_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.BatchIDs)), ", ")+")")
		for _, id := range q.BatchIDs {
			args = append(args, id)
		}
	}
	if q.Status != "" {
		where = append(where, "r.invitation_id <> ''")
	}
	if q.NotActivated {
		where = append(where, "r.state = 'sent'", "r.invitation_id <> ''",
			`NOT EXISTS (SELECT 1 FROM batch_recipients x WHERE x.replaces = r.invitation_id
				AND (x.invitation_id <> '' OR x.state IN ('queued', 'inviting', 'invited', 'sending')))`)
	}
	if t := strings.TrimSpace(q.Search); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
		where = append(where, `(r.name LIKE ? ESCAPE '\' OR r.email LIKE ? ESCAPE '\' OR r.organization_name LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	return strings.Join(where, " AND "), args
}

// ReminderOptions shape a reminder batch.
type ReminderOptions struct {
	Name string `json:"name"`
	// BatchIDs limits the reminders to people invited by these batches; empty: all.
	BatchIDs []string `json:"batchIds"`
	// Rows limits them to these lines of the invitations list; empty: everyone who has
	// not activated.
	Rows []RecipientRef `json:"rows"`
	// Template: nil means the built-in reminder.
	Template *mail.Template `json:"template,omitempty"`
	// ProductName, InvitedBy and From default to those of the batch that first invited
	// the people.
	ProductName   string `json:"productName"`
	InvitedBy     string `json:"invitedBy"`
	From          string `json:"from"`
	ExpiresInDays int    `json:"expiresInDays"`
	By            string `json:"by"`
}

// CreateReminders forms a reminder batch for people e-mailed an invitation they have not
// activated (InvitationQuery.NotActivated). Sending it replaces each invitation on the
// server (a new link; the old one dies) and e-mails the new link with the reminder
// template.
func (s *Store) CreateReminders(ctx context.Context, opt ReminderOptions) (Batch, error) {
	q := InvitationQuery{BatchIDs: opt.BatchIDs, NotActivated: true}
	where, args := s.invitationWhere(q)
	rows, err := s.db.ReadSQL().QueryContext(ctx, `SELECT `+prefixed("r.", recipientCols)+` FROM batch_recipients r
		JOIN batches b ON b.id = r.batch_id WHERE `+where+` ORDER BY b.created_at, r.seq`, args...)
	if err != nil {
		return Batch{}, fmt.Errorf("find the people to remind: %w", err)
	}
	var found []Recipient
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			rows.Close()
			return Batch{}, err
		}
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Batch{}, err
	}
	invs, err := invitationsOf(ctx, s, found, func(r Recipient) string { return r.InvitationID })
	if err != nil {
		return Batch{}, err
	}
	found = slices.DeleteFunc(found, func(r Recipient) bool {
		inv, synced := invs[r.InvitationID]
		return !notActivated(inv, synced)
	})
	if len(opt.Rows) > 0 {
		want := map[RecipientRef]bool{}
		for _, ref := range opt.Rows {
			want[ref] = true
		}
		kept := found[:0]
		for _, r := range found {
			if want[RecipientRef{r.BatchID, r.Seq}] {
				kept = append(kept, r)
				delete(want, RecipientRef{r.BatchID, r.Seq})
			}
		}
		for ref := range want {
			return Batch{}, portal.Errorf(portal.ECONFLICT, "Row %d of batch %s is not waiting for activation (already activated, reminded, or never e-mailed); refresh the list.", ref.Seq, ref.BatchID)
		}
		found = kept
	}
	// One reminder per person: the latest invitation of a row wins.
	byRef := map[string]int{}
	var rs []Recipient
	for _, r := range found {
		if i, ok := byRef[r.RowRef]; ok {
			rs[i] = r
			continue
		}
		byRef[r.RowRef] = len(rs)
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return Batch{}, portal.Errorf(portal.EINVALID, "Everyone invited has activated their access or has a reminder on its way; there is nobody to remind.")
	}
	first, err := s.Get(ctx, rs[0].BatchID)
	if err != nil {
		return Batch{}, err
	}
	fo := FormOptions{Template: opt.Template, ProductName: opt.ProductName, InvitedBy: opt.InvitedBy, From: opt.From,
		ExpiresInDays: opt.ExpiresInDays, By: opt.By}
	if fo.ProductName == "" {
		fo.ProductName = first.ProductName
	}
	if fo.InvitedBy == "" {
		fo.InvitedBy = first.InvitedBy
	}
	if fo.From == "" {
		fo.From = first.From
	}
	name := strings.TrimSpace(opt.Name)
	if name == "" {
		name = fmt.Sprintf("Reminders (%d)", len(rs))
	}
	return s.derive(ctx, KindReminder, name, "", "reminders", fo, rs)
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
