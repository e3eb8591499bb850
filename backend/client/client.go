// Package client is the Go client of the Gatehouse portal server's admin API
// (backend/server). The desktop's sync and the tests use it. Every command takes a *Cmd
// with its Idempotency-Key and the record version it is based on (If-Match); errors are
// *Error values that also unwrap to a *portal.Error, so portal.ErrorCode works on them.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// Wire types, re-exported for callers.
type (
	Change           = api.Change
	ChangesPage      = api.ChangesPage
	Session          = api.Session
	Me               = api.Me
	Template         = api.Template
	TemplateUpdate   = api.TemplateUpdate
	Settings         = api.Settings
	InvitationResult = api.InvitationResult
	AddUsersRequest  = api.AddUsersRequest
	MailItem         = api.MailItem
	AddUsersResult   = api.AddUsersResult
	PromoteRequest   = api.PromoteRequest
	SetRolesRequest  = api.SetRolesRequest
	CreateInvitation = api.CreateInvitationRequest
	ResendInvitation = api.ResendInvitationRequest
)

// Client talks to one portal server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
	mu   sync.RWMutex
	tok  string
	// feedBuf is a spare read buffer for change-feed pages: a follower reads pages of
	// megabytes one after the other, and a fresh buffer for each costs more than decoding
	// it. (A sync.Pool would lose it to every garbage collection, which a download of
	// that size triggers often.)
	feedMu  sync.Mutex
	feedBuf *bytes.Buffer
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client for the server at baseURL (such as http://127.0.0.1:8080),
// authenticating with token (may be empty until CreateSession).
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), tok: token, hc: &http.Client{Timeout: 60 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the server's address.
func (c *Client) BaseURL() string { return c.base }

// CloseIdleConnections closes the connections kept open for the next request. A client
// that is being replaced or whose app is quitting calls it: a connection its transport
// opened but never used is one the server, when it shuts down, waits five seconds for
// (net/http counts it as a request about to arrive); the desktop's own local portal is
// such a server, when the app quits.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// SetToken replaces the session token.
func (c *Client) SetToken(t string) {
	c.mu.Lock()
	c.tok = t
	c.mu.Unlock()
}

// Token is the session token in use.
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tok
}

// Error is an error answer of the server.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	// Current is the record as the server has it, when a command was refused because
	// its If-Match version was stale (Status 412).
	Current json.RawMessage
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%d %s, field %s)", e.Message, e.Status, e.Code, e.Field)
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// Unwrap gives the portal.Error form, so portal.ErrorCode and ErrorMessage work.
func (e *Error) Unwrap() error {
	return &portal.Error{Code: e.Code, Message: e.Message, Field: e.Field}
}

// Stale reports whether the command was refused because the record changed (HTTP 412).
func (e *Error) Stale() bool { return e.Status == http.StatusPreconditionFailed }

// AsError returns the server's error answer in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CurrentOf decodes the current record carried by a stale-version error into v.
func CurrentOf(err error, v any) error {
	e, ok := AsError(err)
	if !ok || len(e.Current) == 0 {
		return errors.New("the error carries no current record")
	}
	return json.Unmarshal(e.Current, v)
}

// Cmd carries a command's Idempotency-Key and the record version it is based on. Pass the
// same key again to retry a command safely: the server applies it once and replays its
// answer. A nil *Cmd, or an empty key, gets a new random key (no retry protection across
// calls). Replayed is set after the call when the answer was a replay.
type Cmd struct {
	IdempotencyKey string
	IfMatch        int64
	Replayed       bool
}

// NewKey returns a random idempotency key.
func NewKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// call is do for a request whose answer is one T: each endpoint's method names only its
// route and arguments.
func call[T any](ctx context.Context, c *Client, method, path string, q url.Values, cmd *Cmd, in any) (T, error) {
	var out T
	err := c.do(ctx, method, path, q, cmd, in, &out)
	return out, err
}

// do sends one request and decodes a successful JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, cmd *Cmd, in, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request to %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if t := c.Token(); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	if method != http.MethodGet {
		if cmd == nil {
			cmd = &Cmd{}
		}
		if cmd.IdempotencyKey == "" {
			cmd.IdempotencyKey = NewKey()
		}
		req.Header.Set(api.HeaderIdempotencyKey, cmd.IdempotencyKey)
		if cmd.IfMatch > 0 {
			req.Header.Set(api.HeaderIfMatch, `"`+strconv.FormatInt(cmd.IfMatch, 10)+`"`)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("reach the portal server at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if cmd != nil {
		cmd.Replayed = resp.Header.Get(api.HeaderReplayed) == "true"
	}
	if resp.StatusCode >= 300 {
		var e api.Error
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Code == "" {
			return &Error{Status: resp.StatusCode, Code: codeFor(resp.StatusCode), Message: fmt.Sprintf("The portal server answered %s: %s", resp.Status, strings.TrimSpace(string(b)))}
		}
		return &Error{Status: resp.StatusCode, Code: e.Code, Message: e.Message, Field: e.Field, Current: e.Current}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if br, ok := out.(bodyReader); ok {
		if err := br.readBody(resp); err != nil {
			return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
		}
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// bodyReader is an answer that reads the body itself rather than through encoding/json.
type bodyReader interface {
	readBody(resp *http.Response) error
}

func codeFor(status int) string {
	switch status {
	case 400, 413:
		return portal.EINVALID
	case 401:
		return portal.EUNAUTHORIZED
	case 403, 421:
		return portal.EFORBIDDEN
	case 404:
		return portal.ENOTFOUND
	case 409, 412:
		return portal.ECONFLICT
	case 429:
		return portal.ETOOMANY
	}
	return portal.EINTERNAL
}

func esc(s string) string { return url.PathEscape(s) }

// ---- session ----

// CreateSession trades an OpenID Connect ID token for an API session and uses it from now on.
func (c *Client) CreateSession(ctx context.Context, idToken string) (Session, error) {
	var s Session
	if err := c.do(ctx, http.MethodPost, "/api/v1/session", nil, nil, api.SessionRequest{IDToken: idToken}, &s); err != nil {
		return s, err
	}
	c.SetToken(s.Token)
	return s, nil
}

// DeleteSession signs out: the session token stops working.
func (c *Client) DeleteSession(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/session", nil, nil, nil, nil)
}

// Me describes the caller.
func (c *Client) Me(ctx context.Context) (Me, error) {
	return call[Me](ctx, c, http.MethodGet, "/api/v1/me", nil, nil, nil)
}

// Health checks that the server answers.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, nil, nil)
}

// ---- change feed ----

// Changes returns the changes after the cursor: at most limit (0: the server's default),
// only of the given entity types (none: all).
func (c *Client) Changes(ctx context.Context, after int64, limit int, entities ...string) (ChangesPage, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if len(entities) > 0 {
		q.Set("entities", strings.Join(entities, ","))
	}
	return call[ChangesPage](ctx, c, http.MethodGet, "/api/v1/changes", q, nil, nil)
}

// FollowChanges pages the feed from after until it has caught up, calling fn for every
// page, and returns the cursor to continue from. fn's error stops it; the cursor returned
// is then the one before that page.
func (c *Client) FollowChanges(ctx context.Context, after int64, limit int, fn func(ChangesPage) error) (int64, error) {
	for {
		p, err := c.Changes(ctx, after, limit)
		if err != nil {
			return after, err
		}
		if err := fn(p); err != nil {
			return after, err
		}
		after = p.Next
		if !p.More {
			return after, nil
		}
	}
}

// ListOptions page through a list.
type ListOptions struct {
	After string
	Limit int
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.After != "" {
		q.Set("after", o.After)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
