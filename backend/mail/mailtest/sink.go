// Package mailtest runs a real SMTP server (go-smtp's) on 127.0.0.1 for tests: it keeps
// what it receives, can require AUTH, speak STARTTLS or implicit TLS with a self-signed
// certificate, and misbehave on demand (4xx, 5xx, dropped connections, delays).
package mailtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the sink accepted.
type Received struct {
	From   string
	To     []string
	Data   []byte      // the message exactly as received
	Header mail.Header // its parsed header (nil if it did not parse)
	Body   string      // the decoded text/plain part
	HTML   string      // the decoded text/html part, if any
	Conn   int         // which connection delivered it, counting from 1
	TLS    bool        // the connection was encrypted
	User   string      // the AUTH user, if any
}

// Stage is the point of the SMTP exchange a Fault applies to.
type Stage string

const (
	StageMail Stage = "mail" // MAIL FROM
	StageRcpt Stage = "rcpt" // each RCPT TO
	StageData Stage = "data" // after the whole message has been read
)

// Envelope tells a FaultFunc where the exchange stands.
type Envelope struct {
	Conn int      // connection number, from 1
	Seq  int      // message number across the sink (one per MAIL command), from 1
	From string   // MAIL FROM
	To   []string // recipients so far; at StageRcpt the last one is being decided
	Data []byte   // the message, at StageData only
}

// Fault is how the sink answers at a stage. The zero Fault accepts.
type Fault struct {
	Code  int           // 4xx or 5xx: answer this instead of accepting
	Text  string        // the reply text for Code
	Drop  bool          // close the connection without answering
	Store bool          // at StageData with Drop: keep the message first (delivered, never confirmed)
	Delay time.Duration // wait this long before answering; Close cuts the wait short and drops the connection
}

// FaultFunc decides how to answer; it is called from the server's goroutines.
type FaultFunc func(stage Stage, env Envelope) Fault

// TempFail answers 451 with text.
func TempFail(text string) Fault { return Fault{Code: 451, Text: text} }

// PermFail answers 550 with text.
func PermFail(text string) Fault { return Fault{Code: 550, Text: text} }

// DropConn closes the connection without answering.
func DropConn() Fault { return Fault{Drop: true} }

// DeliverAndDrop keeps the message and then closes the connection before answering the
// final dot: the sender cannot know the message arrived.
func DeliverAndDrop() Fault { return Fault{Drop: true, Store: true} }

type config struct {
	user, pass  string
	startTLS    bool
	implicitTLS bool
	faults      FaultFunc
	countOnly   bool
	readTimeout time.Duration
}

// Option configures a Sink.
type Option func(*config)

// WithAuth makes the sink require AUTH PLAIN with this user and password before MAIL.
// Without TLS the sink offers AUTH in plain text (it is on loopback).
func WithAuth(user, pass string) Option {
	return func(c *config) { c.user, c.pass = user, pass }
}

// WithSTARTTLS makes the sink offer STARTTLS with a self-signed certificate (see
// CertPool); with WithAuth, AUTH is offered only after STARTTLS.
func WithSTARTTLS() Option { return func(c *config) { c.startTLS = true } }

// WithTLS makes the sink speak TLS from the first byte, with a self-signed certificate.
func WithTLS() Option { return func(c *config) { c.implicitTLS = true } }

// WithFaults lets f decide how each stage is answered.
func WithFaults(f FaultFunc) Option { return func(c *config) { c.faults = f } }

// WithCountOnly makes the sink count messages and throw them away, for benchmarks.
func WithCountOnly() Option { return func(c *config) { c.countOnly = true } }

// WithIdleTimeout makes the sink close connections idle for d (answering 421 first),
// as real servers do.
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.readTimeout = d } }

// Sink is a running SMTP server on 127.0.0.1.
type Sink struct {
	cfg     config
	srv     *smtp.Server
	ln      net.Listener
	addr    *net.TCPAddr
	pool    *x509.CertPool
	certPEM string

	done      chan struct{} // closed by Close: ends fault delays
	served    chan struct{} // closed when Serve has returned
	closeOnce sync.Once

	mu      sync.Mutex
	msgs    []Received
	count   int
	seq     int
	conns   []net.Conn
	changed chan struct{} // closed and replaced whenever a message arrives
	logOff  bool
	closed  bool // Close has begun: sessions go no further and nothing more is kept
}

// NewSink starts a sink; it is closed when the test ends.
func NewSink(t testing.TB, opts ...Option) *Sink {
	t.Helper()
	s, err := Start(t.Logf, opts...)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a sink outside a test (the browser tests' harness runs one); logf receives
// the server's complaints, nil drops them. Close it when done.
func Start(logf func(format string, args ...any), opts ...Option) (*Sink, error) {
	s := &Sink{done: make(chan struct{}), served: make(chan struct{}), changed: make(chan struct{})}
	for _, o := range opts {
		o(&s.cfg)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	s.addr = tcp.Addr().(*net.TCPAddr)
	var ln net.Listener = &countingListener{Listener: tcp, sink: s}

	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "sink.localhost"
	s.srv.ReadTimeout = s.cfg.readTimeout
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 100
	s.srv.EnableSMTPUTF8 = true
	s.srv.ErrorLog = sinkLog{s, logf}
	if s.cfg.startTLS || s.cfg.implicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			_ = tcp.Close()
			return nil, fmt.Errorf("making a certificate: %w", err)
		}
		s.pool = pool
		s.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if s.cfg.implicitTLS {
			ln = tls.NewListener(ln, s.srv.TLSConfig)
		}
	} else {
		// Loopback: let tests log in without TLS.
		s.srv.AllowInsecureAuth = true
	}
	s.ln = ln
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the sink: its port no longer accepts connections, every open connection is
// dropped, and Close returns only when the server's goroutines have finished, so that
// nothing calls back into the test (fault functions, its log) afterwards; a fault function
// that never returns keeps it waiting. Messages arriving after Close began are not kept.
// Calling it again, also concurrently, waits for the first call and does nothing more.
// Tests need not call it: NewSink has the test call it when it ends.
func (s *Sink) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.logOff, s.closed = true, true
		s.mu.Unlock()
		// The listener is closed here rather than left to the server, which closes only
		// the listeners Serve has registered: a Close before the Serve goroutine ran
		// would leave the port accepting.
		_ = s.ln.Close()
		<-s.served // no connection can be accepted any more
		s.DropConnections()
		close(s.done) // ends the fault delays of the sessions just dropped
		// With every connection closed the handlers return; Shutdown waits for them.
		_ = s.srv.Shutdown(context.Background())
	})
}

// Addr returns "127.0.0.1:port".
func (s *Sink) Addr() string { return s.addr.String() }

// Host returns "127.0.0.1".
func (s *Sink) Host() string { return s.addr.IP.String() }

// Port returns the port the sink listens on.
func (s *Sink) Port() int { return s.addr.Port }

// CertPool returns a pool holding the sink's self-signed certificate (nil without TLS).
// The certificate is valid for 127.0.0.1 and localhost.
func (s *Sink) CertPool() *x509.CertPool { return s.pool }

// CertPEM is the TLS certificate (its own root) as PEM, as an administrator would paste it.
func (s *Sink) CertPEM() string { return s.certPEM }

// Messages returns a copy of what has been received so far, in order of arrival.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Count returns how many messages have been accepted (also with WithCountOnly).
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Connections returns how many TCP connections the sink has accepted.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropConnections closes every open connection, as a server restart would.
func (s *Sink) DropConnections() {
	s.mu.Lock()
	conns := append([]net.Conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// WaitFor waits until at least n messages have arrived and returns them; it fails the
// test if they have not arrived within timeout.
func (s *Sink) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := s.count, s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("mailtest: %d of %d messages arrived within %v", got, n, timeout)
			return nil
		}
	}
}

func (s *Sink) store(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.count++
	if !s.cfg.countOnly {
		s.msgs = append(s.msgs, r)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Sink) fault(stage Stage, env Envelope) Fault {
	if s.cfg.faults == nil {
		return Fault{}
	}
	return s.cfg.faults(stage, env)
}

// apply carries out a fault; it returns the error to answer with, or nil to go on.
func (s *Sink) apply(f Fault, c *smtp.Conn) error {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
		}
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if f.Drop || closed {
		_ = c.Conn().Close()
		return errDropped
	}
	if f.Code != 0 {
		text := f.Text
		if text == "" {
			text = "Refused by the test sink"
		}
		return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode{f.Code / 100, 0, 0}, Message: text}
	}
	return nil
}

var errDropped = errors.New("mailtest: connection dropped on purpose")

type countingListener struct {
	net.Listener
	sink *Sink
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.sink.mu.Lock()
		l.sink.conns = append(l.sink.conns, c)
		l.sink.mu.Unlock()
	}
	return c, err
}

// connNumber finds which accepted connection c is (from 1).
func (s *Sink) connNumber(c *smtp.Conn) int {
	raw := c.Conn()
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.conns {
		if x == raw {
			return i + 1
		}
	}
	return 0
}

type sinkLog struct {
	s    *Sink
	logf func(format string, args ...any)
}

func (l sinkLog) Printf(format string, v ...any) { l.Println(fmt.Sprintf(format, v...)) }
func (l sinkLog) Println(v ...any) {
	msg := strings.TrimSpace(fmt.Sprintln(v...))
	if strings.Contains(msg, errDropped.Error()) || strings.Contains(msg, "use of closed network connection") {
		return
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.logOff && l.logf != nil {
		l.logf("mailtest server: %s", msg)
	}
}

type backend struct{ s *Sink }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, c: c, conn: b.s.connNumber(c), tls: isTLS}, nil
}

type session struct {
	s    *Sink
	c    *smtp.Conn
	conn int
	tls  bool
	user string
	env  Envelope
}

func (x *session) AuthMechanisms() []string {
	if x.s.cfg.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || x.s.cfg.user == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if identity != "" && identity != user {
			return smtp.ErrAuthFailed
		}
		if user != x.s.cfg.user || pass != x.s.cfg.pass {
			return smtp.ErrAuthFailed
		}
		x.user = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.cfg.user != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.s.mu.Lock()
	x.s.seq++
	seq := x.s.seq
	x.s.mu.Unlock()
	x.env = Envelope{Conn: x.conn, Seq: seq, From: from}
	return x.s.apply(x.s.fault(StageMail, x.env), x.c)
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	env := x.env
	env.To = append(append([]string(nil), x.env.To...), to)
	if err := x.s.apply(x.s.fault(StageRcpt, env), x.c); err != nil {
		return err
	}
	x.env.To = env.To
	return nil
}

func (x *session) Data(r io.Reader) error {
	if x.s.cfg.countOnly && x.s.cfg.faults == nil {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		x.s.store(Received{})
		return nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	env := x.env
	env.Data = data
	f := x.s.fault(StageData, env)
	if f.Drop && f.Store {
		x.s.store(x.received(data))
	}
	if err := x.s.apply(f, x.c); err != nil {
		return err
	}
	x.s.store(x.received(data))
	return nil
}

func (x *session) received(data []byte) Received {
	r := Received{From: x.env.From, To: x.env.To, Data: data, Conn: x.conn, TLS: x.tls, User: x.user}
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		r.Header = msg.Header
		r.Body, r.HTML = decodeBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	return r
}

func (x *session) Reset()        { x.env = Envelope{} }
func (x *session) Logout() error { return nil }

// decodeBody returns the text and HTML parts of a body, decoded.
func decodeBody(ctype, cte string, body io.Reader) (text, html string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			t, h := decodeBody(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, _ := io.ReadAll(r)
	if mt == "text/html" {
		return "", string(b)
	}
	return string(b), ""
}

// selfSigned makes a short-lived certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest sink " + strconv.FormatInt(serial.Int64()%100000, 10)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
