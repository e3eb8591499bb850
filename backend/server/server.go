// Package server is the Gatehouse portal server: the admin JSON API that desktop clients
// sync with (/api/v1/...), the end-user pages (sign-in, request access, approval links,
// invitations), and the background work (e-mail delivery, invitation expiry). Use cases
// live in package service, storage in package store, wire types in package api.
//
// A server runs in one of two modes. Normal mode listens where it is told, and admin
// clients authenticate by trading an ID token from a trusted OpenID issuer for a session
// (POST /api/v1/session). Embedded mode, which the desktop app uses for its local portal,
// listens on 127.0.0.1 only and accepts only a random token made at each start and handed
// to the process that started it (StartEmbedded); that token acts as the system.
package server

import (
	"cmp"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

// SSOConfig configures end-user sign-in through an OpenID Provider (authorization code
// flow with PKCE). An empty ClientSecret makes Gatehouse a public client.
type SSOConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string // besides "openid"; empty means "email profile"
}

// Config configures a Server.
type Config struct {
	// Addr is the listen address, such as ":8080". Embedded mode defaults to 127.0.0.1:0
	// and refuses any host but 127.0.0.1.
	Addr string
	// DBPath is the SQLite database file, or a postgres:// URL; ignored when Store is set.
	DBPath string
	Store  store.Store
	// BaseURL is where people reach the server, for links in e-mails and the SSO
	// redirect. Empty means http://<the address actually bound>.
	BaseURL string
	// Embedded selects embedded mode (see the package documentation).
	Embedded bool
	// EmbeddedActor, in embedded mode, names who the start token acts for: the desktop's
	// administrator, so that the audit log says who did what. Asked on every request (the
	// administrator may give their name later); nil, or an actor without an ID, acts as
	// portal.SystemActor. It always acts with a system administrator's rights.
	EmbeddedActor func() portal.Actor
	// TrustedIssuers are the OpenID Providers admin clients may sign in with.
	TrustedIssuers []TrustedIssuer
	// SSO enables SSO sign-in on the end-user pages; nil disables it.
	SSO *SSOConfig
	// SMTP is the mail server; nil (and no Sender) records e-mails as not sent.
	SMTP *mail.SMTPConfig
	// Sender overrides SMTP, for tests and embedding.
	Sender mail.Sender
	// MailFrom is the sender of e-mails, "Name <address>"; empty uses SMTP.From.
	MailFrom string
	Clock    portal.Clock
	Logger   *slog.Logger
	// HTTPClient reaches the OpenID Providers; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// MaxBodyBytes bounds admin API request bodies; zero means 1 MiB.
	MaxBodyBytes  int64
	APISessionTTL time.Duration
	WebSessionTTL time.Duration
	// MailRetryInterval is how often queued e-mail is retried; zero means 30 s.
	MailRetryInterval time.Duration
	// MailLease is how long a server process holds the e-mail it took to send, so that
	// several processes on one database send each message once; zero means 10 minutes.
	MailLease time.Duration
	// ExpiryInterval is how often expired invitations are written down; zero means 1 min.
	ExpiryInterval time.Duration
	// TLS, when set, serves HTTPS with it (certificate files, or ACME's GetCertificate),
	// with HSTS; the default base URL is then https://.
	TLS *tls.Config
	// InsecureHTTP allows plain HTTP where others could listen: a listen address, base URL
	// or trusted issuer that is neither HTTPS nor on loopback. For a server behind a proxy
	// that terminates TLS; anything else sends passwords and session cookies in the clear.
	InsecureHTTP bool
	// TrustedProxies are the reverse proxies in front of the server: for a request from one
	// of them, the client's address is the last X-Forwarded-For entry that is not a proxy.
	// Empty: the connection's address (X-Forwarded-For is never believed).
	TrustedProxies []netip.Prefix
	// MailKeyFile holds the key that seals the links of waiting e-mail, outside the
	// database (created, readable by this user only, when missing). Empty means DBPath
	// with ".key" added for a SQLite file; with neither, a key for this process only (several
	// processes on one PostgreSQL database must share one file).
	MailKeyFile string
	// SCIMRate and SCIMBurst bound each directory's SCIM requests per second, in each
	// process; zero means DefaultSCIMRate and DefaultSCIMBurst.
	SCIMRate  float64
	SCIMBurst int
}

// Server is a portal server.
type Server struct {
	cfg       Config
	store     store.Store
	ownsStore bool
	svc       *service.Service
	clock     portal.Clock
	log       *slog.Logger
	maxBody   int64
	verifiers *verifiers
	sso       *ssoClient
	pages     pageTemplates
	handler   http.Handler
	secure    bool
	closeMail func() error
	scimRate  *scimLimiter

	mu           sync.Mutex
	embeddedHash string // hash of the embedded token
	listener     net.Listener
	httpServer   *http.Server
	baseURL      string
	cancel       context.CancelFunc
	done         chan struct{}
}

// New opens the database (migrating it) and prepares a server; Start or StartEmbedded
// makes it listen.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = portal.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Embedded {
		if cfg.Addr == "" {
			cfg.Addr = "127.0.0.1:0"
		}
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil || host != "127.0.0.1" {
			return nil, fmt.Errorf("embedded mode listens on 127.0.0.1 only, not %q: use an address like 127.0.0.1:0", cfg.Addr)
		}
		if len(cfg.TrustedIssuers) > 0 {
			return nil, errors.New("embedded mode accepts only its start token: leave TrustedIssuers empty")
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	if err := checkTransport(cfg); err != nil {
		return nil, err
	}
	for _, t := range cfg.TrustedIssuers {
		if u, err := url.Parse(t.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("trusted issuer %q is not an http(s) URL", t.Issuer)
		}
		if len(t.Audiences) == 0 {
			return nil, fmt.Errorf("trusted issuer %s has no audience: give the client ID(s) its tokens are issued to", t.Issuer)
		}
	}
	s := &Server{cfg: cfg, clock: cfg.Clock, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, baseURL: strings.TrimRight(cfg.BaseURL, "/")}
	s.scimRate = &scimLimiter{rate: rate.Limit(cmp.Or(cfg.SCIMRate, DefaultSCIMRate)), burst: cmp.Or(cfg.SCIMBurst, DefaultSCIMBurst), buckets: map[string]*rate.Limiter{}}
	s.secure = strings.HasPrefix(s.baseURL, "https://") || cfg.TLS != nil
	s.verifiers = newVerifiers(cfg.HTTPClient, cfg.Clock)
	if cfg.SSO != nil {
		s.sso = &ssoClient{cfg: *cfg.SSO, verifiers: s.verifiers}
	}

	s.store = cfg.Store
	if s.store == nil {
		st, err := store.Open(ctx, cfg.DBPath, cfg.Clock)
		if err != nil {
			return nil, err
		}
		s.store, s.ownsStore = st, true
	}

	sender := cfg.Sender
	from := cfg.MailFrom
	if sender == nil && cfg.SMTP != nil {
		if err := cfg.SMTP.Validate(); err != nil {
			s.closeStore()
			return nil, fmt.Errorf("SMTP settings: %w", err)
		}
		smtp := mail.NewSMTPSender(*cfg.SMTP)
		sender, s.closeMail = smtp, smtp.Close
		if from == "" {
			from = cfg.SMTP.From
		}
	}
	var fromAddr netmail.Address
	if from != "" {
		a, err := netmail.ParseAddress(from)
		if err != nil {
			s.closeStore()
			return nil, fmt.Errorf("mail sender %q is not an address like \"Portal <portal@example.org>\": %w", from, err)
		}
		fromAddr = *a
	}
	// The desktop's issuers vouch for administrators, the portal's sign-in issuer for the
	// people it serves (the same provider may be both).
	var trust portal.IssuerTrust
	for _, t := range cfg.TrustedIssuers {
		trust.Admins = append(trust.Admins, sourceOf(t.Issuer))
	}
	if cfg.SSO != nil {
		trust.People = append(trust.People, sourceOf(cfg.SSO.Issuer))
	}
	keyFile := cfg.MailKeyFile
	if keyFile == "" && cfg.Store == nil && cfg.DBPath != "" && !store.IsPostgres(cfg.DBPath) {
		keyFile = cfg.DBPath + ".key"
	}
	var mailKey []byte
	if keyFile != "" {
		k, err := loadMailKey(keyFile)
		if err != nil {
			s.closeStore()
			return nil, err
		}
		mailKey = k
	}
	svc, err := service.New(ctx, service.Config{
		Store: s.store, Clock: cfg.Clock, BaseURL: s.baseURL, Sender: sender, From: fromAddr, Logger: cfg.Logger,
		APISessionTTL: cfg.APISessionTTL, WebSessionTTL: cfg.WebSessionTTL, Trust: trust, Local: cfg.Embedded, MailKey: mailKey, MailLease: cfg.MailLease,
	})
	if err != nil {
		s.closeStore()
		return nil, err
	}
	s.svc = svc
	s.handler = s.routes()
	return s, nil
}

// checkTransport refuses plain HTTP where others could read it, unless the operator said
// InsecureHTTP: the pages carry passwords and session cookies, the API session tokens.
func checkTransport(cfg Config) error {
	if cfg.InsecureHTTP || cfg.Embedded {
		return nil
	}
	const fix = "Serve HTTPS (--tls-cert and --tls-key, or --acme-domain), or, behind a proxy that terminates TLS, say --insecure-http"
	if cfg.TLS == nil {
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen address %q is not host:port", cfg.Addr)
		}
		if !loopbackHost(host) {
			return fmt.Errorf("listen address %s: plain HTTP on an address other computers reach. %s", cfg.Addr, fix)
		}
	}
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err == nil && u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			return fmt.Errorf("base URL %s: people would reach the portal over plain HTTP. Give an https:// address. %s", cfg.BaseURL, fix)
		}
	}
	for _, t := range cfg.TrustedIssuers {
		if u, err := url.Parse(t.Issuer); err == nil && u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			return fmt.Errorf("trusted issuer %s: its keys would be fetched over plain HTTP, so anyone on the way could sign tokens. Use its https:// address, or say --insecure-http", t.Issuer)
		}
	}
	if cfg.SSO != nil {
		if u, err := url.Parse(cfg.SSO.Issuer); err == nil && u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			return fmt.Errorf("SSO issuer %s: its keys would be fetched over plain HTTP. Use its https:// address, or say --insecure-http", cfg.SSO.Issuer)
		}
	}
	return nil
}

// loopbackHost reports whether host is this computer only (an empty host is every address).
func loopbackHost(host string) bool { return portal.IsLoopbackHost(host) }

// loadMailKey reads the key that seals links in waiting e-mail, creating the file (this
// user's only) with a new key when there is none. The key is kept beside the database, not
// in it: a copy of the database alone opens no link.
func loadMailKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := service.NewMailKey()
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create the mail key file %s: %w", path, err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("write the mail key file %s: %w", path, werr)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the mail key file %s: %w", path, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != service.MailKeySize {
		return nil, fmt.Errorf("the mail key file %s does not hold a key (%d base64-encoded bytes); restore it from where you keep it, or move it away to make a new one (waiting messages' links are then lost)", path, service.MailKeySize)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("restrict access to the mail key file %s: %w", path, err)
	}
	return key, nil
}

func (s *Server) closeStore() {
	if s.ownsStore {
		s.store.Close()
	}
}

// Service is the server's use-case layer.
func (s *Server) Service() *service.Service { return s.svc }

// Store is the server's storage.
func (s *Server) Store() store.Store { return s.store }

// Handler serves the API and the pages, for tests that bring their own listener.
func (s *Server) Handler() http.Handler { return s.handler }

// BaseURL is where the server can be reached once started.
func (s *Server) BaseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Start listens on the configured address, serves in the background and starts e-mail
// delivery and invitation expiry. It returns the base URL.
func (s *Server) Start(ctx context.Context) (string, error) {
	if s.cfg.Embedded {
		return "", errors.New("this server is in embedded mode: start it with StartEmbedded")
	}
	return s.start(ctx)
}

// StartEmbedded starts an embedded server on 127.0.0.1 and returns its base URL and the
// one token that authenticates API requests until the server stops. The token is kept
// only as a hash; give it to nobody but the desktop's own client.
func (s *Server) StartEmbedded(ctx context.Context) (baseURL, token string, err error) {
	if !s.cfg.Embedded {
		return "", "", errors.New("StartEmbedded needs Config.Embedded")
	}
	token, hash := portal.NewToken()
	s.mu.Lock()
	s.embeddedHash = hash
	s.mu.Unlock()
	baseURL, err = s.start(ctx)
	if err != nil {
		return "", "", err
	}
	return baseURL, token, nil
}

func (s *Server) start(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return "", errors.New("the server is already running")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w (is another server using the port?)", s.cfg.Addr, err)
	}
	scheme := "http"
	if s.cfg.TLS != nil {
		ln, scheme = tls.NewListener(ln, s.cfg.TLS), "https"
	}
	s.listener = ln
	if s.baseURL == "" {
		s.baseURL = scheme + "://" + ln.Addr().String()
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
			s.baseURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, tcp.Port)
		}
		s.svc.SetBaseURL(s.baseURL)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.done = make(chan struct{})
	// The goroutine serves through a local copy: Shutdown clears s.httpServer, and a close
	// right after start must not leave Serve reading a nil field.
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	fresh := newFreshConns()
	hs.ConnState = fresh.track
	hs.RegisterOnShutdown(fresh.closeSilent)
	s.httpServer = hs
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		defer fresh.serveReturned()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		s.svc.RunMailer(bg, orDuration(s.cfg.MailRetryInterval, 30*time.Second))
	}()
	go func() {
		defer wg.Done()
		s.housekeeping(bg, orDuration(s.cfg.ExpiryInterval, time.Minute))
	}()
	go func() {
		wg.Wait()
		close(s.done)
	}()
	store, where := "custom", ""
	if db, ok := s.store.(interface {
		Dialect() string
		Path() string
	}); ok {
		store, where = db.Dialect(), db.Path()
	}
	s.log.Info("Gatehouse portal server listening", "url", s.baseURL, "embedded", s.cfg.Embedded, "store", store, "database", where)
	return s.baseURL, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// housekeeping writes down expired invitations and prunes old sessions and keys.
func (s *Server) housekeeping(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if _, err := s.svc.ExpireInvitations(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("expire invitations", "err", err)
		}
		if time.Since(lastPrune) > time.Hour {
			if err := s.svc.Prune(ctx, 7*24*time.Hour); err != nil && ctx.Err() == nil {
				s.log.Error("prune sessions", "err", err)
			}
			lastPrune = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Shutdown stops listening, waits for requests in flight (until ctx ends), stops the
// background work and closes the database if the server opened it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	hs, cancel, done := s.httpServer, s.cancel, s.done
	s.listener, s.httpServer = nil, nil
	s.embeddedHash = "" // the token dies with the server
	s.mu.Unlock()
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
	}
	if s.closeMail != nil {
		err = errors.Join(err, s.closeMail())
	}
	if s.ownsStore {
		err = errors.Join(err, s.store.Close())
	}
	return err
}

// embeddedActor checks the embedded token.
func (s *Server) embeddedToken(token string) bool {
	s.mu.Lock()
	h := s.embeddedHash
	s.mu.Unlock()
	return h != "" && subtle.ConstantTimeCompare([]byte(portal.HashToken(token)), []byte(h)) == 1
}
