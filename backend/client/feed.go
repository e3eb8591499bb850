package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// FeedChange is one entry of the change feed with its record already decoded into its Go
// type (see Feed). It carries the same fields as Change.
type FeedChange struct {
	Seq            int64
	Entity         string
	ID             string
	Op             string
	Version        int64
	OrganizationID string
	At             time.Time
	// Record is the record after an upsert: a *portal.Organization, *portal.Contact,
	// *portal.Account, *portal.Role, *portal.Invitation, *portal.AuditEvent,
	// *api.Template or *api.Settings; json.RawMessage for an entity this client does not
	// know; nil for a delete.
	Record any
}

// FeedPage is one page of the change feed as Feed returns it.
type FeedPage struct {
	FeedID  string
	Changes []FeedChange
	Next    int64
	More    bool
}

// Feed is Changes with every record decoded straight into its Go type. A follower that
// stores typed records uses it: the page is read once and each record parsed once, where
// Changes followed by json.Unmarshal of every Data reads each byte four to five times —
// most of the desktop's cost of a first download. The wire format is the same.
func (c *Client) Feed(ctx context.Context, after int64, limit int, entities ...string) (FeedPage, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if len(entities) > 0 {
		q.Set("entities", strings.Join(entities, ","))
	}
	p := feedReader{c: c}
	if err := c.do(ctx, http.MethodGet, "/api/v1/changes", q, nil, nil, &p); err != nil {
		return FeedPage{}, err
	}
	return p.page, nil
}

// feedReader decodes an answer body of GET /api/v1/changes (see do).
type feedReader struct {
	c    *Client
	page FeedPage
}

func (f *feedReader) readBody(resp *http.Response) error {
	f.c.feedMu.Lock()
	buf := f.c.feedBuf
	f.c.feedBuf = nil
	f.c.feedMu.Unlock()
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		// Nothing decoded points into the buffer: every string and record is a copy.
		buf.Reset()
		f.c.feedMu.Lock()
		f.c.feedBuf = buf
		f.c.feedMu.Unlock()
	}()
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare bytes to see the end
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	p, err := parseFeedPage(buf.Bytes())
	if err != nil {
		return err
	}
	f.page = p
	return nil
}

// parseFeedPage reads a ChangesPage document. The envelope (a few short fields per change)
// is read here by hand; accounts, nearly all of a first download, are read in place (see
// decodeAccount) and every other record is handed to encoding/json once, into its own
// type. Keys may come in any order and unknown keys are skipped, as encoding/json would.
func parseFeedPage(b []byte) (FeedPage, error) {
	s := &feedScanner{b: b}
	var p FeedPage
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "feedId":
			p.FeedID, err = s.str()
		case "next":
			p.Next, err = s.int()
		case "more":
			p.More, err = s.bool()
		case "changes":
			if s.null() {
				return nil
			}
			p.Changes = make([]FeedChange, 0, bytes.Count(b, []byte(`"seq":`)))
			err = s.array(func() error {
				c, err := s.change()
				if err != nil {
					return fmt.Errorf("change %d of the page: %w", len(p.Changes)+1, err)
				}
				p.Changes = append(p.Changes, c)
				return nil
			})
		default:
			err = s.skip()
		}
		return err
	})
	if err == nil {
		s.ws()
		if s.i != len(s.b) {
			err = s.fail("unexpected data after the page")
		}
	}
	if err != nil {
		return FeedPage{}, fmt.Errorf("the portal server's change feed page cannot be read: %w", err)
	}
	return p, nil
}

func (s *feedScanner) change() (FeedChange, error) {
	var c FeedChange
	var data []byte
	var fast *portal.Account // data, already read as an account
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "seq":
			c.Seq, err = s.int()
		case "entity":
			c.Entity, err = s.str()
		case "id":
			c.ID, err = s.str()
		case "op":
			c.Op, err = s.str()
		case "version":
			c.Version, err = s.int()
		case "organizationId":
			c.OrganizationID, err = s.str()
		case "at":
			if !s.null() && s.time(&c.At) != nil {
				err = s.fail("expected a time")
			}
		case "data":
			if s.null() {
				return nil
			}
			start := s.i
			fast = nil
			// The server writes the entity first, so an account is usually read in
			// place, in one pass; otherwise it is delimited here and decoded below.
			if c.Entity == api.EntityAccount {
				if a := new(portal.Account); s.account(a) {
					fast = a
				} else {
					s.i = start
				}
			}
			if fast != nil {
				data = s.b[start:s.i]
			} else if err = s.skip(); err == nil {
				data = s.b[start:s.i]
			}
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil || data == nil {
		return c, err
	}
	if fast != nil && c.Entity == api.EntityAccount {
		c.Record = fast
		return c, nil
	}
	// The record is decoded once the whole entry is read: the entity may follow it.
	if c.Record, err = decodeFeedRecord(c.Entity, data); err != nil {
		return c, &RecordError{Seq: c.Seq, Entity: c.Entity, ID: c.ID, Err: err}
	}
	return c, nil
}

// RecordError is a feed entry whose record this client cannot read: the page arrived
// whole, but the server wrote the record in a form this version does not know.
type RecordError struct {
	Seq        int64
	Entity, ID string
	Err        error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("the server sent a %s %q (change %d) that Gatehouse cannot read; update Gatehouse: %v", e.Entity, e.ID, e.Seq, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

func decodeFeedRecord(entity string, data []byte) (any, error) {
	switch entity {
	case api.EntityAccount:
		return decodeAccount(data)
	case api.EntityContact:
		return decodeInto(new(portal.Contact), data)
	case api.EntityOrganization:
		return decodeInto(new(portal.Organization), data)
	case api.EntityRole:
		return decodeInto(new(portal.Role), data)
	case api.EntityInvitation:
		return decodeInto(new(portal.Invitation), data)
	case api.EntityAudit:
		return decodeInto(new(portal.AuditEvent), data)
	case api.EntityTemplate:
		return decodeInto(new(api.Template), data)
	case api.EntitySettings:
		return decodeInto(new(api.Settings), data)
	}
	// The page's buffer is not kept: copy.
	return json.RawMessage(bytes.Clone(data)), nil
}

func decodeInto[T any](v *T, data []byte) (any, error) {
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// feedScanner reads the JSON of a feed page. It validates the envelope it reads; the
// records it only delimits, and encoding/json validates them as it decodes them.
type feedScanner struct {
	b []byte
	i int
}

var errFeedEnd = errors.New("the page ends early")

func (s *feedScanner) fail(what string) error {
	if s.i >= len(s.b) {
		return errFeedEnd
	}
	return fmt.Errorf("%s at byte %d", what, s.i)
}

func (s *feedScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *feedScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *feedScanner) expect(c byte) error {
	if s.peek() != c {
		return s.fail(fmt.Sprintf("expected %q", c))
	}
	s.i++
	return nil
}

// null consumes a JSON null if one comes next.
func (s *feedScanner) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// object calls fn for every key, with the scanner at the key's value; fn must consume it.
func (s *feedScanner) object(fn func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.strBytes()
		if err != nil {
			return err
		}
		if key == nil {
			return s.fail("expected a key")
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.fail("expected , or }")
		}
	}
}

func (s *feedScanner) array(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("expected , or ]")
		}
	}
}

// strBytes reads a string (nil for null). Plain strings are returned in place; strings
// with escapes or non-ASCII bytes go through encoding/json, which decodes them the way it
// decodes every other string.
func (s *feedScanner) strBytes() ([]byte, error) {
	if s.null() {
		return nil, nil
	}
	if s.peek() != '"' {
		return nil, s.fail("expected a string")
	}
	start := s.i
	plain := true
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			if plain {
				return s.b[start+1 : j], nil
			}
			var v string
			if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
				return nil, fmt.Errorf("string at byte %d: %w", start, err)
			}
			return []byte(v), nil
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			return nil, fmt.Errorf("control character in a string at byte %d", j)
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	s.i = len(s.b)
	return nil, errFeedEnd
}

func (s *feedScanner) str() (string, error) {
	b, err := s.strBytes()
	if err != nil || b == nil {
		return "", err
	}
	// The envelope repeats a handful of names on every change: don't allocate them.
	switch string(b) {
	case api.EntityAccount:
		return api.EntityAccount, nil
	case api.EntityContact:
		return api.EntityContact, nil
	case api.EntityOrganization:
		return api.EntityOrganization, nil
	case api.EntityRole:
		return api.EntityRole, nil
	case api.EntityInvitation:
		return api.EntityInvitation, nil
	case api.EntityAudit:
		return api.EntityAudit, nil
	case api.OpUpsert:
		return api.OpUpsert, nil
	case api.OpDelete:
		return api.OpDelete, nil
	}
	return string(b), nil
}

func (s *feedScanner) int() (int64, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	if err != nil {
		s.i = start
		return 0, s.fail("expected a whole number")
	}
	return n, nil
}

func (s *feedScanner) bool() (bool, error) {
	s.ws()
	switch {
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return true, nil
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return false, nil
	}
	return false, s.fail("expected true or false")
}

// skip moves past one value without decoding it. It checks only the nesting and the
// strings; a record it delimits is validated when encoding/json decodes it.
func (s *feedScanner) skip() error {
	switch s.peek() {
	case '"':
		_, err := s.rawString()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, err := s.rawString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errFeedEnd
	case 0:
		return errFeedEnd
	}
	// A number or a literal: up to the next delimiter.
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return s.fail("expected a value")
			}
			return nil
		}
		s.i++
	}
	return nil
}

// rawString moves past a string, with s.i at its opening quote.
func (s *feedScanner) rawString() ([]byte, error) {
	start := s.i
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return s.b[start:s.i], nil
		}
	}
	s.i = len(s.b)
	return nil, errFeedEnd
}

// decodeAccount decodes an account as the server writes it, by hand: accounts are nearly
// all of a first download, and encoding/json spends more time on its reflection and
// validation passes than on the text. Anything this does not read exactly as encoding/json
// would — an unknown or repeated key, a number or literal it does not expect — makes it
// step aside and the record goes through encoding/json instead. Strings with escapes or
// non-ASCII text are unquoted by encoding/json, so they decode identically too.
func decodeAccount(data []byte) (*portal.Account, error) {
	a := new(portal.Account)
	if fastAccount(data, a) {
		return a, nil
	}
	*a = portal.Account{}
	if err := json.Unmarshal(data, a); err != nil {
		return nil, err
	}
	return a, nil
}

func fastAccount(data []byte, a *portal.Account) bool {
	s := &feedScanner{b: data}
	if !s.account(a) {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// account reads an account object at the scanner's position the way encoding/json would,
// or reports false (the scanner's position is then undefined).
func (s *feedScanner) account(a *portal.Account) bool {
	var seen uint32
	err := s.object(func(key []byte) error {
		f := accountField(key)
		if f < 0 || seen&(1<<f) != 0 {
			return errSlowPath
		}
		seen |= 1 << f
		if s.peek() == 'n' {
			// null leaves a fresh account's field as it is, as encoding/json does.
			if !s.null() {
				return errSlowPath
			}
			return nil
		}
		var err error
		switch f {
		case accID:
			a.ID, err = s.strictStr()
		case accContactID:
			a.ContactID, err = s.strictStr()
		case accOrganizationID:
			a.OrganizationID, err = s.strictStr()
		case accEmail:
			a.Email, err = s.strictStr()
		case accName:
			a.Name, err = s.strictStr()
		case accStatus:
			var v string
			v, err = s.strictStr()
			a.Status = portal.Status(v)
		case accKind:
			var v string
			v, err = s.strictStr()
			a.Kind = portal.Kind(v)
		case accOrgAdmin:
			a.OrgAdmin, err = s.strictBool()
		case accCoreRole:
			a.CoreRole, err = s.strictStr()
		case accAdditionalRoles:
			a.AdditionalRoles = []string{}
			err = s.array(func() error {
				r, err := s.strictStr()
				a.AdditionalRoles = append(a.AdditionalRoles, r)
				return err
			})
		case accSource:
			a.Source, err = s.strictStr()
		case accSubject:
			a.Subject, err = s.strictStr()
		case accRegistrationComplete:
			a.RegistrationComplete, err = s.strictBool()
		case accClientRecord:
			a.ClientRecord, err = s.strictBool()
		case accAccessRequestedAt:
			a.AccessRequestedAt, err = s.timePtr()
		case accDenyReason:
			a.DenyReason, err = s.strictStr()
		case accDecidedBy:
			a.DecidedBy, err = s.strictStr()
		case accDecidedAt:
			a.DecidedAt, err = s.timePtr()
		case accLastLoginAt:
			a.LastLoginAt, err = s.timePtr()
		case accCreatedAt:
			err = s.time(&a.CreatedAt)
		case accUpdatedAt:
			err = s.time(&a.UpdatedAt)
		case accVersion:
			a.Version, err = s.strictInt()
		}
		return err
	})
	return err == nil
}

// errSlowPath sends a record to encoding/json.
var errSlowPath = errors.New("not on the fast path")

const (
	accID = iota
	accContactID
	accOrganizationID
	accEmail
	accName
	accStatus
	accKind
	accOrgAdmin
	accCoreRole
	accAdditionalRoles
	accSource
	accSubject
	accRegistrationComplete
	accClientRecord
	accAccessRequestedAt
	accDenyReason
	accDecidedBy
	accDecidedAt
	accLastLoginAt
	accCreatedAt
	accUpdatedAt
	accVersion
)

// accountFieldCount is the number of fields accountField knows; TestFastAccountKnowsEveryField
// keeps them in step with portal.Account.
const accountFieldCount = accVersion + 1

// accountField maps portal.Account's JSON names to the constants above; -1 for any other.
func accountField(key []byte) int {
	switch string(key) {
	case "id":
		return accID
	case "contactId":
		return accContactID
	case "organizationId":
		return accOrganizationID
	case "email":
		return accEmail
	case "name":
		return accName
	case "status":
		return accStatus
	case "kind":
		return accKind
	case "orgAdmin":
		return accOrgAdmin
	case "coreRole":
		return accCoreRole
	case "additionalRoles":
		return accAdditionalRoles
	case "source":
		return accSource
	case "subject":
		return accSubject
	case "registrationComplete":
		return accRegistrationComplete
	case "clientRecord":
		return accClientRecord
	case "accessRequestedAt":
		return accAccessRequestedAt
	case "denyReason":
		return accDenyReason
	case "decidedBy":
		return accDecidedBy
	case "decidedAt":
		return accDecidedAt
	case "lastLoginAt":
		return accLastLoginAt
	case "createdAt":
		return accCreatedAt
	case "updatedAt":
		return accUpdatedAt
	case "version":
		return accVersion
	}
	return -1
}

// strictStr reads a string value (not null).
func (s *feedScanner) strictStr() (string, error) {
	if s.peek() != '"' {
		return "", errSlowPath
	}
	b, err := s.strBytes()
	if err != nil {
		return "", errSlowPath
	}
	return string(b), nil
}

func (s *feedScanner) strictBool() (bool, error) {
	v, err := s.bool()
	if err != nil {
		return false, errSlowPath
	}
	return v, nil
}

// strictInt reads an integer written as encoding/json writes one: no leading zeros,
// fraction or exponent.
func (s *feedScanner) strictInt() (int64, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return 0, errSlowPath
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, errSlowPath
		}
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	if err != nil {
		return 0, errSlowPath
	}
	return n, nil
}

func (s *feedScanner) time(t *time.Time) error {
	if s.peek() != '"' {
		return errSlowPath
	}
	// Time.UnmarshalJSON reads the quoted text as it is, without unquoting it.
	raw, err := s.rawString()
	if err != nil || bytes.IndexByte(raw, '\\') >= 0 || t.UnmarshalText(raw[1:len(raw)-1]) != nil {
		return errSlowPath
	}
	return nil
}

func (s *feedScanner) timePtr() (*time.Time, error) {
	t := new(time.Time)
	if err := s.time(t); err != nil {
		return nil, err
	}
	return t, nil
}
