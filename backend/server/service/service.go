// Package service holds the portal server's use cases: every change an administrator, an
// approver or an end user can make, run in one store transaction together with its audit
// event, its change-feed entries and its outgoing e-mails. The business rules are
// package portal's; this layer loads records, calls portal's transitions and stores the
// results. HTTP lives in package server, SQL in package store.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"sync/atomic"
	"time"

	"gatehouse/backend/internal/seal"
	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// Config holds a Service's dependencies.
type Config struct {
	Store store.Store
	Clock portal.Clock
	// BaseURL is where people reach the server's pages, for links in e-mails
	// (for example https://portal.example.org).
	BaseURL string
	// Sender delivers e-mail; nil records outgoing messages as skipped.
	Sender mail.Sender
	// From is the sender of every e-mail.
	From   netmail.Address
	Logger *slog.Logger
	// APISessionTTL bounds API sessions (zero: 12 hours). WebSessionTTL, when set, caps the
	// portal's own setting for how long a person stays signed in to its pages.
	APISessionTTL time.Duration
	WebSessionTTL time.Duration
	// ApprovalLinkTTL bounds approve/deny links in access-request e-mails; zero means 14 days.
	ApprovalLinkTTL time.Duration
	// Trust says which identity providers may link which accounts (see portal.IssuerTrust).
	Trust portal.IssuerTrust
	// MailKey seals the links of waiting e-mail (MailKeySize bytes, kept outside the
	// database); nil makes one for this process only, so that messages it leaves waiting
	// cannot be sent by the next.
	MailKey []byte
	// Local is the portal inside the desktop, on this computer's loopback address: a
	// message whose links would point there is not sent until a public address is set
	// (portal.CheckLinkBase). A server's own address is its operator's choice.
	Local bool
	// MailLease is how long a process holds the messages it took to send (DeliverMail);
	// zero means 10 minutes.
	MailLease time.Duration
}

// Service runs the portal's use cases.
type Service struct {
	mailLease time.Duration
	store     store.Store
	clock     portal.Clock
	baseURL   string
	sender    mail.Sender
	from      netmail.Address
	log       *slog.Logger
	apiTTL    time.Duration
	webCap    time.Duration // the operator's longest web session; 0: the portal's setting alone
	linkTTL   time.Duration
	trust     portal.IssuerTrust
	local     bool
	seal      *seal.Box
	wake      chan struct{}
	// publicURL is the settings' public address, kept here so that a link is made without
	// reading the settings again; "" when unset (links use baseURL). A pointer, so that a
	// Service At another time shares it.
	publicURL *atomic.Pointer[string]
}

// New returns a Service and makes sure the database holds the built-in roles, the
// default settings and every message template.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("service: no store")
	}
	s := &Service{
		store: cfg.Store, clock: cfg.Clock, baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		sender: cfg.Sender, from: cfg.From, log: cfg.Logger,
		apiTTL: cfg.APISessionTTL, webCap: cfg.WebSessionTTL, linkTTL: cfg.ApprovalLinkTTL, trust: cfg.Trust, local: cfg.Local,
		wake: make(chan struct{}, 1), mailLease: cfg.MailLease, publicURL: new(atomic.Pointer[string]),
	}
	if s.mailLease <= 0 {
		s.mailLease = 10 * time.Minute
	}
	if s.clock == nil {
		s.clock = portal.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.apiTTL <= 0 {
		s.apiTTL = 12 * time.Hour
	}
	if s.linkTTL <= 0 {
		s.linkTTL = 14 * 24 * time.Hour
	}
	if s.from.Address == "" {
		s.from = netmail.Address{Name: "Gatehouse", Address: "gatehouse@localhost.localdomain"}
	}
	key := cfg.MailKey
	if key == nil {
		var err error
		if key, err = NewMailKey(); err != nil {
			return nil, err
		}
	}
	var err error
	if s.seal, err = seal.New(key); err != nil {
		return nil, fmt.Errorf("the key that seals links in waiting e-mail: %w", err)
	}
	if err := s.seed(ctx); err != nil {
		return nil, fmt.Errorf("prepare the portal database: %w", err)
	}
	set, err := s.settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the portal settings: %w", err)
	}
	s.publicURL.Store(&set.PublicURL)
	return s, nil
}

// Clock is the service's clock.
func (s *Service) Clock() portal.Clock { return s.clock }

// At returns the same service (the same store, mail and settings) reading the time from
// c instead: what it does then is recorded as done at c's time, in the records and in the
// audit log alike. The demo data uses it to give its people a past that the screens tell
// the same way everywhere; it is not reachable from any request.
func (s *Service) At(c portal.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}

// BaseURL is the public address of the server's pages.
func (s *Service) BaseURL() string { return s.baseURL }

// SetBaseURL changes the public address, for a server that learns it when it binds.
func (s *Service) SetBaseURL(u string) { s.baseURL = strings.TrimRight(u, "/") }

// LinkBase is where the links in messages and pages point: the public address from the
// settings when one is set (the address people reach this portal at from their own
// computers), else the server's own.
func (s *Service) LinkBase() string {
	if p := s.publicURL.Load(); p != nil && *p != "" {
		return *p
	}
	return s.baseURL
}

func (s *Service) seed(ctx context.Context) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		have, err := tx.Roles(ctx)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, r := range have {
			known[r.ID] = true
		}
		for _, r := range portal.DefaultRoles() {
			if !known[r.ID] {
				r := r
				if err := tx.PutRole(ctx, &r); err != nil {
					return err
				}
			}
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if set.Version == 0 {
			set.UpdatedAt = s.clock.Now()
			if err := tx.PutSettings(ctx, &set); err != nil {
				return err
			}
		}
		for _, d := range mail.Defaults() {
			if _, err := tx.Template(ctx, d.Key); err == nil {
				continue
			} else if portal.ErrorCode(err) != portal.ENOTFOUND {
				return err
			}
			t := api.Template{Key: d.Key, Name: d.Name, Subject: d.Subject, Body: d.Body, Placeholders: d.Placeholders, UpdatedAt: s.clock.Now()}
			if err := tx.PutTemplate(ctx, &t); err != nil {
				return err
			}
		}
		return nil
	})
}

// NewID returns a new random record ID with a prefix naming its kind.
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// Cmd describes one admin command: who sends it, its idempotency key and the hash of the
// request it belongs to, and the version of the record the sender saw (If-Match).
type Cmd struct {
	Actor          portal.Actor
	IdempotencyKey string
	RequestHash    string
	// IfMatch is the record version the sender based the command on; 0 skips the check.
	IfMatch int64
	// Replayed is set when the answer is a stored one from an earlier identical command.
	Replayed bool
}

// StaleError says that the sender's version of a record is out of date. Current is the
// record as it is now.
type StaleError struct {
	What    string
	ID      string
	Have    int64
	Now     int64
	Current any
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("The %s %q was changed by someone else since you loaded it (you had version %d, it is now at version %d). Look at the current record and send your change again if it still applies.", e.What, e.ID, e.Have, e.Now)
}

func checkVersion(cmd *Cmd, what, id string, version int64, current any) error {
	if cmd.IfMatch != 0 && cmd.IfMatch != version {
		return &StaleError{What: what, ID: id, Have: cmd.IfMatch, Now: version, Current: current}
	}
	return nil
}

// withoutSecrets is implemented by answers that hold something the server must not keep,
// such as a one-time link.
type withoutSecrets[T any] interface {
	WithoutSecrets() T
}

// command runs fn in a write transaction, at most once per idempotency key: a repeated
// key with the same request gets the stored answer, with a different request a conflict.
// Only successful answers are stored; a refused command changed nothing and may be sent
// again.
func command[T any](ctx context.Context, s *Service, cmd *Cmd, fn func(tx store.Tx) (T, error)) (T, error) {
	var out T
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		out, err = runCommand(ctx, s, tx, cmd, fn)
		return err
	})
	if err == nil && !cmd.Replayed {
		s.wakeMailer()
	}
	return out, err
}

// runCommand is command inside a write transaction that is already open: a bulk command
// runs one per item.
func runCommand[T any](ctx context.Context, s *Service, tx store.Tx, cmd *Cmd, fn func(tx store.Tx) (T, error)) (T, error) {
	var out T
	if cmd.IdempotencyKey != "" {
		rec, ok, err := tx.Idempotent(ctx, cmd.Actor.ID, cmd.IdempotencyKey)
		if err != nil {
			return out, err
		}
		if ok {
			if rec.RequestHash != cmd.RequestHash {
				return out, &portal.Error{Code: portal.ECONFLICT, Field: api.HeaderIdempotencyKey,
					Message: fmt.Sprintf("The Idempotency-Key %q was already used on %s for a different request. Use a new key for a new command.", cmd.IdempotencyKey, rec.CreatedAt.Format(time.RFC3339))}
			}
			cmd.Replayed = true
			return out, json.Unmarshal(rec.Body, &out)
		}
	}
	v, err := fn(tx)
	if err != nil {
		return out, err
	}
	if cmd.IdempotencyKey != "" {
		stored := v
		if w, ok := any(v).(withoutSecrets[T]); ok {
			stored = w.WithoutSecrets()
		}
		body, err := json.Marshal(stored)
		if err != nil {
			return out, err
		}
		if err := tx.SaveIdempotent(ctx, store.Idempotency{ActorID: cmd.Actor.ID, Key: cmd.IdempotencyKey, RequestHash: cmd.RequestHash, Body: body, CreatedAt: s.clock.Now()}); err != nil {
			return out, err
		}
	}
	return v, nil
}

// op builds the context of a transition. It leaves ActiveSystemAdmins at 0: only a change
// to an active system administrator needs it (see opFor).
func (s *Service) op(ctx context.Context, r store.Reader, actor portal.Actor) (portal.Op, error) {
	roles, err := r.Roles(ctx)
	if err != nil {
		return portal.Op{}, err
	}
	return portal.Op{Now: s.clock.Now(), Actor: actor, Roles: portal.NewRoles(roles...)}, nil
}

// opFor builds the context of a transition of account a. When a is an active system
// administrator it counts them, inside the writing transaction, which no other writer can
// interleave with, so the last-admin guard cannot be raced.
func (s *Service) opFor(ctx context.Context, r store.Reader, actor portal.Actor, a portal.Account) (portal.Op, error) {
	op, err := s.op(ctx, r, actor)
	if err != nil || !op.Roles.IsActiveSystemAdmin(a) {
		return op, err
	}
	op.ActiveSystemAdmins, err = r.CountActiveSystemAdmins(ctx)
	return op, err
}

// keepAnAdmin is the guard's second line, in SQL: a change that started with active system
// administrators (before of them) must not end with none, whatever path it took. A portal
// that never had one (the desktop's embedded portal, run by the system) is left alone.
func keepAnAdmin(ctx context.Context, tx store.Tx, before int) error {
	if before == 0 {
		return nil
	}
	n, err := tx.CountActiveSystemAdmins(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return portal.Errorf(portal.ECONFLICT, "This change would leave the portal without an active system administrator, so it was not made. Make someone else a system administrator first.")
	}
	return nil
}

// audit stores ev, filling in the actor when the transition did not.
func audit(ctx context.Context, tx store.Tx, ev portal.AuditEvent) error {
	return tx.AddAudit(ctx, &ev)
}

func jsonOf(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func errNoAdminRights() error { return portal.Actor{}.CanReadAdmin() }

// orgScope returns the organisations whose people the actor may manage: nil for all.
func orgScope(act portal.Actor) ([]string, error) {
	switch {
	case act.SystemAdmin:
		return nil, nil
	case act.OrgAdminOf != "":
		return []string{act.OrgAdminOf}, nil
	}
	return nil, errNoAdminRights()
}

// Limits of list pages.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

func pageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// ResolveActor works out what the owner of an account may do now. A session whose account
// is no longer active is refused with the reason.
func (s *Service) ResolveActor(ctx context.Context, accountID string) (portal.Actor, portal.Account, error) {
	var act portal.Actor
	var acc portal.Account
	// On every request, so without a snapshot (Store.Read): an account and the roles read
	// a moment apart are as current as either would be, and nothing here needs them to
	// agree.
	err := s.store.Read(ctx, func(r store.Reader) error {
		a, err := r.Account(ctx, accountID)
		if err != nil {
			if portal.ErrorCode(err) == portal.ENOTFOUND {
				return portal.Errorf(portal.EUNAUTHORIZED, "The account of this session no longer exists. Sign in again.")
			}
			return err
		}
		if _, _, err := portal.SignIn(s.clock.Now(), a); err != nil {
			return err
		}
		roles, err := r.Roles(ctx)
		if err != nil {
			return err
		}
		acc, act = a, portal.ActorFor(a, portal.NewRoles(roles...))
		return nil
	})
	return act, acc, err
}
