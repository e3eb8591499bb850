package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"gatehouse/backend/internal/wait"
	"gatehouse/backend/portal"
)

// Sender delivers one message. SMTPSender is the real one; the server and the desktop
// take a Sender so tests can choose.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var _ Sender = (*SMTPSender)(nil)

// ErrNotConfigured is a Sender's answer when no mail server is set up: the message is
// recorded as not sent, and why, rather than tried again.
var ErrNotConfigured = errors.New("no SMTP server is configured")

// Security settings for SMTPConfig.
const (
	SecurityNone     = "none"     // plain text; a password is only sent to a loopback server
	SecurityStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587); never downgraded
	SecurityTLS      = "tls"      // TLS from the first byte (port 465)
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host string
	Port int
	// Security is "none", "starttls" or "tls". Empty means "tls" on port 465 and
	// "starttls" on any other port.
	Security string
	Username string
	Password string
	// From is the default sender, "Name <address>" or a bare address, used when a
	// message has no From.
	From string
	// HeloName is the name Gatehouse gives in EHLO; empty means "localhost".
	HeloName string
	// RootCAs verifies the server's certificate; nil means the system's roots.
	RootCAs *x509.CertPool
	// Timeout bounds connecting and each command; zero means 30 seconds.
	Timeout time.Duration
	// RatePerSecond caps how many messages are sent per second; zero means no cap.
	RatePerSecond float64
	// Clock is used for Date headers, the rate limit and idle checks; nil means the
	// system clock.
	Clock portal.Clock
}

func (c SMTPConfig) security() string {
	if c.Security == "" {
		if c.Port == 465 {
			return SecurityTLS
		}
		return SecurityStartTLS
	}
	return strings.ToLower(c.Security)
}

func (c SMTPConfig) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 30 * time.Second
	}
	return c.Timeout
}

func (c SMTPConfig) helo() string {
	if c.HeloName == "" {
		return "localhost"
	}
	return c.HeloName
}

// Validate checks the settings before anything is dialled. Errors are portal.Error
// naming the field.
func (c SMTPConfig) Validate() error {
	if strings.TrimSpace(c.Host) == "" {
		return portal.FieldErrorf("host", "Enter the mail server's host name, such as smtp.example.org.")
	}
	if strings.ContainsAny(c.Host, " \t\r\n/:@") && net.ParseIP(c.Host) == nil {
		return portal.FieldErrorf("host", "%q is not a host name: enter only the server's name, without a port or scheme.", c.Host)
	}
	if c.Port < 1 || c.Port > 65535 {
		return portal.FieldErrorf("port", "The port must be a number from 1 to 65535 (usually 587 for STARTTLS or 465 for TLS).")
	}
	switch c.security() {
	case SecurityNone, SecurityStartTLS, SecurityTLS:
	default:
		return portal.FieldErrorf("security", "Security must be %q, %q or %q, not %q.", SecurityNone, SecurityStartTLS, SecurityTLS, c.Security)
	}
	if c.From != "" {
		if _, err := parseFrom(c.From); err != nil {
			return err
		}
	}
	if strings.ContainsAny(c.Username, "\r\n") || strings.ContainsAny(c.Password, "\r\n") {
		return portal.FieldErrorf("username", "The user name and password must not contain line breaks.")
	}
	if c.HeloName != "" && (strings.ContainsAny(c.HeloName, " \t\r\n") || !isDotAtom(c.HeloName)) {
		return portal.FieldErrorf("heloName", "%q is not a host name to introduce Gatehouse with.", c.HeloName)
	}
	if c.RatePerSecond < 0 {
		return portal.FieldErrorf("ratePerSecond", "The rate limit cannot be negative; use 0 for no limit.")
	}
	return nil
}

func parseFrom(s string) (mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return mail.Address{}, portal.FieldErrorf("from", "The sender %q is not an e-mail address like \"Portal <noreply@example.org>\".", s)
	}
	out, _, err := checkAddress("from", *a)
	return out, err
}

// Stages of an SMTP exchange, for SendError.Stage.
const (
	StageWait  = "wait"  // waiting for the connection or the rate limit; nothing was sent
	StageDial  = "dial"  // DNS, TCP connect, greeting
	StageTLS   = "tls"   // TLS handshake or STARTTLS
	StageAuth  = "auth"  // AUTH
	StageMail  = "mail"  // MAIL FROM
	StageRcpt  = "rcpt"  // RCPT TO
	StageData  = "data"  // DATA and the message body, up to the final dot
	StageReply = "reply" // the server's answer to the final dot
)

// SendError says why a message was not (or may not have been) delivered.
//
// Temporary: the server answered 4xx, or the connection dropped before the message was
// handed over; sending it again later is safe. Unknown: the connection broke after the
// whole message was handed over and before the server answered, so it may have been
// delivered; callers must not resend it without a person deciding. Neither: the server
// refused for good (5xx) or the settings are wrong.
type SendError struct {
	Stage     string
	Code      int    // the server's reply code, 0 when there was no reply
	Message   string // the server's reply text, or what went wrong on the connection
	Temporary bool
	Unknown   bool
	Server    string // host:port
	Recipient string
	Err       error // the underlying error (a *smtp.SMTPError, a net error, a context error)

	sentence string // replaces the generic sentence when Gatehouse itself refused
}

func (e *SendError) Unwrap() error { return e.Err }

func (e *SendError) reply() string {
	if e.Code != 0 {
		return strconv.Itoa(e.Code) + " " + e.Message
	}
	return e.Message
}

// Error is a sentence for an administrator: what happened, the server's own words, and
// what to do.
func (e *SendError) Error() string {
	if e.sentence != "" {
		return e.sentence
	}
	server := e.Server
	if server == "" {
		server = "the mail server"
	}
	rcpt := e.Recipient
	if rcpt == "" {
		rcpt = "the recipient"
	}
	var dnsErr *net.DNSError
	switch {
	case e.Unknown:
		return fmt.Sprintf("The connection to the mail server %s broke after the message to %s was handed over and before the server confirmed it (%s). It may or may not have been delivered: check with the recipient or the server's log before sending it again.", server, rcpt, e.reply())
	case e.Stage == StageWait:
		return fmt.Sprintf("Sending to %s was stopped before anything reached the mail server (%s); the message was not sent.", rcpt, e.reply())
	case e.Stage == StageDial && errors.As(e.Err, &dnsErr) && !dnsErr.IsTimeout:
		return fmt.Sprintf("The mail server's name %q could not be found in DNS (%s). Check the SMTP host in the mail settings and this computer's network connection.", dnsErr.Name, e.reply())
	case e.Stage == StageDial && e.Code != 0 && !e.Temporary:
		return fmt.Sprintf("The mail server %s refused the connection (%s). Check that this computer may send mail through it.", server, e.reply())
	case e.Stage == StageDial:
		return fmt.Sprintf("Could not connect to the mail server %s (%s). Check the host and port in the mail settings, and that the server is running and reachable from this computer.", server, e.reply())
	case e.Stage == StageTLS:
		return fmt.Sprintf("The secure connection (TLS) to the mail server %s failed (%s). Check the security setting (STARTTLS is usually port 587, TLS port 465) and that the server's certificate is valid for its name.", server, e.reply())
	case e.Stage == StageAuth && e.Temporary:
		return fmt.Sprintf("The mail server %s could not check the user name and password just now (%s). Try again later.", server, e.reply())
	case e.Stage == StageAuth:
		return fmt.Sprintf("The mail server %s refused the user name or password (%s). Check the SMTP user and password in the mail settings.", server, e.reply())
	case e.Code == 530 && strings.Contains(strings.ToUpper(e.Message), "STARTTLS"):
		return fmt.Sprintf("The mail server %s takes mail only over an encrypted connection (%s). Set the security to STARTTLS.", server, e.reply())
	case (e.Stage == StageMail || e.Stage == StageRcpt) && !e.Temporary && (e.Code == 530 || strings.Contains(strings.ToLower(e.Message), "authenticat")):
		return fmt.Sprintf("The mail server %s wants Gatehouse to log in before it takes mail (%s). Enter the SMTP user and password in the mail settings.", server, e.reply())
	case e.Temporary && e.Code != 0:
		return fmt.Sprintf("The mail server %s asked to try again later (%s); the message to %s was not sent.", server, e.reply(), rcpt)
	case e.Temporary:
		return fmt.Sprintf("The connection to the mail server %s was lost before the message to %s was handed over (%s); it was not sent and can be sent again.", server, rcpt, e.reply())
	case (e.Stage == StageMail || e.Stage == StageRcpt) && (e.Code == 550 || e.Code == 551 || e.Code == 553 || e.Code == 554):
		return fmt.Sprintf("The mail server %s refused to take mail for %s (%s). If it says relaying is denied, it does not pass on mail from this sender or to this recipient: check the From address and that the SMTP account may send through this server.", server, rcpt, e.reply())
	case e.Stage == StageReply:
		return fmt.Sprintf("The mail server %s refused the message to %s after receiving it (%s). It will not be delivered as it is.", server, rcpt, e.reply())
	default:
		return fmt.Sprintf("The mail server %s refused the message to %s at the %s step (%s). It will not be delivered as it is.", server, rcpt, strings.ToUpper(e.Stage), e.reply())
	}
}

// SMTPSender sends messages over one SMTP connection, kept open between messages and
// opened again when it drops. It is safe for concurrent use; messages go one at a time.
type SMTPSender struct {
	cfg   SMTPConfig
	clock portal.Clock
	// dial and sleep are fields so tests can watch them.
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	sleep func(ctx context.Context, d time.Duration) error

	cfgErr error        // what cfg.Validate said, once: the settings never change
	from   mail.Address // cfg.From, parsed

	slot chan struct{} // holds the right to use the connection
	// Guarded by slot:
	sess   *session
	next   time.Time // earliest start of the next message under the rate limit
	closed bool

	connects atomic.Int64
}

// session is one open, greeted, secured and authenticated connection.
type session struct {
	c        *smtp.Client
	conn     *trackedConn
	lastUsed time.Time
	utf8     bool // the server takes SMTPUTF8
}

// trackedConn notes write failures: a failed write of the final dot means the server
// cannot have the whole message, while a failed read after it means it may.
type trackedConn struct {
	net.Conn
	writeFailed atomic.Bool
	read        atomic.Int64 // bytes received, to tell a silent server from a slow one
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

func (c *trackedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil {
		c.writeFailed.Store(true)
	}
	return n, err
}

// idleCheck is how long a connection may sit unused before it is tested with NOOP:
// servers close idle connections, and finding out at MAIL costs a retry.
const idleCheck = 10 * time.Second

// NewSMTPSender returns a sender for cfg. Nothing is dialled until the first Send; bad
// settings are reported then (or by cfg.Validate).
func NewSMTPSender(cfg SMTPConfig) *SMTPSender {
	s := &SMTPSender{cfg: cfg, clock: cfg.Clock, slot: make(chan struct{}, 1)}
	if s.clock == nil {
		s.clock = portal.SystemClock{}
	}
	if s.cfgErr = cfg.Validate(); s.cfgErr == nil && cfg.From != "" {
		s.from, s.cfgErr = parseFrom(cfg.From)
	}
	d := &net.Dialer{}
	s.dial = d.DialContext
	s.sleep = wait.Sleep
	return s
}

func (s *SMTPSender) addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// Connections returns how many connections the sender has opened so far.
func (s *SMTPSender) Connections() int { return int(s.connects.Load()) }

func (s *SMTPSender) acquire(ctx context.Context, rcpt string) error {
	select {
	case s.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &SendError{Stage: StageWait, Message: ctx.Err().Error(), Temporary: true, Server: s.addr(), Recipient: rcpt, Err: ctx.Err()}
	}
}

func (s *SMTPSender) release() { <-s.slot }

// Send delivers m, over the open connection when there is one. m.From defaults to the
// configured sender. An invalid message gives a portal.Error; a delivery failure a
// *SendError.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	if m.From.Address == "" {
		if s.cfg.From == "" {
			return portal.FieldErrorf("from", "No sender address is set: enter the From address in the mail settings.")
		}
		from := s.from
		if m.From.Name != "" {
			from.Name = m.From.Name
		}
		m.From = from
	}
	from, fromUTF8, err := checkAddress("from", m.From)
	if err != nil {
		return err
	}
	to, toUTF8, err := checkAddress("to", m.To)
	if err != nil {
		return err
	}
	if m.MessageID == "" {
		m.MessageID = NewMessageID(from.Address[strings.LastIndexByte(from.Address, '@')+1:])
	}
	raw, err := m.Bytes(s.clock.Now())
	if err != nil {
		return err
	}

	if err := s.acquire(ctx, to.Address); err != nil {
		return err
	}
	defer s.release()
	if s.closed {
		return &SendError{Stage: StageWait, Message: "the sender was closed", Server: s.addr(), Recipient: to.Address,
			sentence: "The mail sender was closed before this message could be sent; it was not sent."}
	}
	if err := s.waitRate(ctx); err != nil {
		return &SendError{Stage: StageWait, Message: err.Error(), Temporary: true, Server: s.addr(), Recipient: to.Address, Err: err}
	}
	env := envelope{from: from.Address, to: to.Address, utf8: fromUTF8 || toUTF8, raw: raw}
	for attempt := 0; ; attempt++ {
		fresh := s.sess == nil
		if !fresh && s.clock.Now().Sub(s.sess.lastUsed) >= idleCheck {
			if err := s.noop(ctx); err != nil {
				s.drop()
				fresh = true
			}
		}
		if s.sess == nil {
			if err := s.connect(ctx); err != nil {
				err.Recipient = to.Address
				return err
			}
		}
		err := s.transact(ctx, env)
		if err == nil {
			return nil
		}
		// A reused connection the server had already given up on fails at MAIL, RCPT or
		// DATA, before any of the message was accepted: one retry on a new connection is
		// safe and saves the caller a pointless failure.
		if attempt == 0 && !fresh && err.retryable && ctx.Err() == nil {
			continue
		}
		return err.SendError
	}
}

type envelope struct {
	from, to string
	utf8     bool
	raw      []byte
}

// sendErr is a *SendError that may also say the connection should be retried.
type sendErr struct {
	*SendError
	retryable bool
}

func (s *SMTPSender) classify(ctx context.Context, stage string, err error, rcpt string) *SendError {
	e := &SendError{Stage: stage, Server: s.addr(), Recipient: rcpt, Err: err, Message: err.Error()}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e.Code, e.Message = se.Code, replyText(se)
		e.Temporary = se.Code/100 == 4
	} else {
		e.Temporary = stage != StageTLS && !isDNSNotFound(err)
	}
	if ctx.Err() != nil {
		e.Err = ctx.Err()
		e.Message = ctx.Err().Error() + ": " + e.Message
	}
	return e
}

func replyText(se *smtp.SMTPError) string {
	if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != smtp.EnhancedCodeNotSet {
		return fmt.Sprintf("%d.%d.%d %s", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	}
	return se.Message
}

func isDNSNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary
}

func isSMTPReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// connect dials, greets, secures and authenticates a new session.
func (s *SMTPSender) connect(ctx context.Context) *SendError {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.timeout())
	defer cancel()
	raw, err := s.dial(cctx, "tcp", s.addr())
	if err != nil {
		return s.classify(ctx, StageDial, err, "")
	}
	s.connects.Add(1)
	tc := &trackedConn{Conn: raw}
	// go-smtp sets its own deadlines on every command, so a deadline of ours would be
	// overwritten; closing the connection is what reliably stops a command.
	stop := context.AfterFunc(cctx, func() { tc.Close() })
	defer stop()
	fail := func(stage string, err error) *SendError {
		tc.Close()
		e := s.classify(ctx, stage, err, "")
		if ctx.Err() == nil && cctx.Err() != nil {
			e.Err, e.Message = cctx.Err(), "no answer within "+s.cfg.timeout().String()+": "+e.Message
			e.Temporary = true
		}
		return e
	}

	tlsConf := &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	var c *smtp.Client
	secure := false
	switch s.cfg.security() {
	case SecurityTLS:
		tconn := tls.Client(tc, tlsConf)
		if err := tconn.HandshakeContext(cctx); err != nil {
			e := fail(StageTLS, err)
			var rh tls.RecordHeaderError
			if errors.As(err, &rh) {
				// The server spoke plain SMTP ("220 …") where TLS was expected.
				e.sentence = fmt.Sprintf("The mail server %s answered in plain text, not TLS: this port expects STARTTLS (usually port 587) or no encryption. Set the security to STARTTLS.", s.addr())
			}
			return e
		}
		c, secure = smtp.NewClient(tconn), true
		s.setTimeouts(c)
		if err := c.Hello(s.cfg.helo()); err != nil {
			return fail(StageDial, err)
		}
	case SecurityStartTLS:
		// NewClientStartTLS greets as "localhost" before TLS; the real name follows over TLS.
		c, err = smtp.NewClientStartTLS(tc, tlsConf)
		if err != nil && cctx.Err() != nil && ctx.Err() == nil && tc.read.Load() == 0 {
			// Not a byte in answer: a server that expects TLS from the first byte (port 465)
			// waits for our handshake while we wait for its greeting.
			e := fail(StageDial, err)
			e.Temporary = false
			e.sentence = fmt.Sprintf("The mail server %s said nothing within %s: a server on this port probably expects TLS from the first byte (usually port 465). Set the security to TLS, or use the STARTTLS port (usually 587).", s.addr(), s.cfg.timeout())
			return e
		}
		if err != nil {
			var se *smtp.SMTPError
			if errors.As(err, &se) {
				// The greeting, EHLO or the STARTTLS command itself was refused.
				if se.Code == 454 || strings.Contains(strings.ToUpper(se.Message), "TLS") {
					return fail(StageTLS, err)
				}
				return fail(StageDial, err)
			}
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				e := fail(StageTLS, err)
				e.Temporary = false
				e.sentence = fmt.Sprintf("The mail server %s does not offer STARTTLS, so Gatehouse will not send over it: choose the security setting the server supports (TLS, usually on port 465), or \"none\" only for a server on this computer.", s.addr())
				return e
			}
			return fail(StageDial, err)
		}
		secure = true
		s.setTimeouts(c)
		if err := c.Hello(s.cfg.helo()); err != nil {
			if isSMTPReply(err) {
				return fail(StageDial, err)
			}
			return fail(StageTLS, err)
		}
	default:
		c = smtp.NewClient(tc)
		s.setTimeouts(c)
		if err := c.Hello(s.cfg.helo()); err != nil {
			return fail(StageDial, err)
		}
	}

	if s.cfg.Username != "" {
		if !secure && !isLoopback(raw.RemoteAddr()) {
			tc.Close()
			return &SendError{Stage: StageAuth, Server: s.addr(), Message: "refused to send a password unencrypted",
				sentence: fmt.Sprintf("Gatehouse will not send the SMTP password to %s over an unencrypted connection. Set the security to STARTTLS or TLS.", s.addr())}
		}
		ok, mechs := c.Extension("AUTH")
		if !ok {
			tc.Close()
			return &SendError{Stage: StageAuth, Server: s.addr(), Message: "the server does not offer AUTH",
				sentence: fmt.Sprintf("The mail server %s does not offer to log in (no AUTH), but a user name is set. Clear the user name, or check the port and security setting: many servers only offer AUTH on port 587 after STARTTLS.", s.addr())}
		}
		var client sasl.Client
		switch {
		case hasWord(mechs, sasl.Plain):
			client = sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
		case hasWord(mechs, sasl.Login):
			client = sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
		default:
			tc.Close()
			return &SendError{Stage: StageAuth, Server: s.addr(), Message: "AUTH mechanisms offered: " + mechs,
				sentence: fmt.Sprintf("The mail server %s offers no password login Gatehouse knows (it offers %s; Gatehouse uses PLAIN or LOGIN).", s.addr(), mechs)}
		}
		if err := c.Auth(client); err != nil {
			return fail(StageAuth, err)
		}
	}
	ok, _ := c.Extension("SMTPUTF8")
	s.sess = &session{c: c, conn: tc, lastUsed: s.clock.Now(), utf8: ok}
	return nil
}

func (s *SMTPSender) setTimeouts(c *smtp.Client) {
	c.CommandTimeout = s.cfg.timeout()
	// Servers may scan a message before answering the final dot; a reply that never
	// comes makes the message's fate unknown, so wait longer here.
	c.SubmissionTimeout = 4 * s.cfg.timeout()
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

func isLoopback(a net.Addr) bool {
	if a == nil {
		return false
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// transact runs MAIL, RCPT and DATA for one message on the open session.
func (s *SMTPSender) transact(ctx context.Context, env envelope) *sendErr {
	sess := s.sess
	c := sess.c
	stop := context.AfterFunc(ctx, func() { sess.conn.Close() })
	defer stop()
	// broken ends the session after a failure; reset keeps it after a refusal.
	broken := func(stage string, err error) *sendErr {
		s.drop()
		e := s.classify(ctx, stage, err, env.to)
		return &sendErr{SendError: e, retryable: stage != StageReply && (e.Code == 0 || e.Code == 421)}
	}
	refused := func(stage string, err error) *sendErr {
		e := s.classify(ctx, stage, err, env.to)
		if e.Code == 421 {
			// 421: the server is closing the connection.
			s.drop()
			return &sendErr{SendError: e, retryable: stage != StageReply}
		}
		if stage != StageReply {
			if c.Reset() != nil {
				s.drop()
			}
		}
		return &sendErr{SendError: e}
	}
	step := func(stage string, err error) *sendErr {
		if isSMTPReply(err) {
			return refused(stage, err)
		}
		return broken(stage, err)
	}

	if env.utf8 && !sess.utf8 {
		return &sendErr{SendError: &SendError{Stage: StageMail, Server: s.addr(), Recipient: env.to, Message: "SMTPUTF8 not offered",
			sentence: fmt.Sprintf("The mail server %s does not accept addresses with non-ASCII characters before the @ (SMTPUTF8), so the message from %s to %s cannot be sent through it.", s.addr(), env.from, env.to)}}
	}
	opts := &smtp.MailOptions{Size: int64(len(env.raw)), UTF8: env.utf8}
	if err := c.Mail(env.from, opts); err != nil {
		return step(StageMail, err)
	}
	if err := c.Rcpt(env.to, nil); err != nil {
		return step(StageRcpt, err)
	}
	w, err := c.Data()
	if err != nil {
		return step(StageData, err)
	}
	if _, err := w.Write(env.raw); err != nil {
		// The final dot was not sent: the server cannot take a partial message.
		e := broken(StageData, err)
		e.retryable = false
		return e
	}
	sess.conn.writeFailed.Store(false)
	if _, err := w.CloseWithResponse(); err != nil {
		if isSMTPReply(err) {
			return refused(StageReply, err)
		}
		if sess.conn.writeFailed.Load() {
			// Writing the final dot itself failed, so the message is incomplete at the
			// server: not delivered.
			e := broken(StageData, err)
			e.retryable = false
			return e
		}
		e := broken(StageReply, err)
		e.Unknown, e.Temporary = true, false
		return e
	}
	sess.lastUsed = s.clock.Now()
	return nil
}

func (s *SMTPSender) noop(ctx context.Context) error {
	sess := s.sess
	stop := context.AfterFunc(ctx, func() { sess.conn.Close() })
	defer stop()
	if err := sess.c.Noop(); err != nil {
		return err
	}
	sess.lastUsed = s.clock.Now()
	return nil
}

// drop closes the session without QUIT; it has failed or is no longer wanted.
func (s *SMTPSender) drop() {
	if s.sess != nil {
		s.sess.c.Close()
		s.sess = nil
	}
}

func (s *SMTPSender) waitRate(ctx context.Context) error {
	if s.cfg.RatePerSecond <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / s.cfg.RatePerSecond)
	now := s.clock.Now()
	if s.next.Before(now) {
		s.next = now
	}
	wait := s.next.Sub(now)
	s.next = s.next.Add(interval)
	if wait <= 0 {
		return nil
	}
	if err := s.sleep(ctx, wait); err != nil {
		s.next = s.next.Add(-interval) // this message gave up its turn
		return err
	}
	return nil
}

// Verify connects, secures and logs in (or checks the open connection with NOOP) without
// sending anything: the settings screen's "check connection".
func (s *SMTPSender) Verify(ctx context.Context) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	if err := s.acquire(ctx, ""); err != nil {
		return err
	}
	defer s.release()
	if s.sess != nil {
		if s.noop(ctx) == nil {
			return nil
		}
		s.drop()
	}
	if err := s.connect(ctx); err != nil {
		return err
	}
	return nil
}

// Test sends a short test message to to over a new connection, so that the current
// settings are tried from the start: the settings screen's "send test message".
func (s *SMTPSender) Test(ctx context.Context, to mail.Address) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	if err := s.acquire(ctx, to.Address); err != nil {
		return err
	}
	s.drop()
	s.release()
	security := s.cfg.security()
	user := s.cfg.Username
	if user == "" {
		user = "(none)"
	}
	m := Message{
		To:      to,
		Subject: "Gatehouse test message",
		Text: "This is a test message from Gatehouse.\n\n" +
			"If you can read it, Gatehouse can send invitations and notifications with these mail settings:\n" +
			"server " + s.addr() + ", security " + security + ", user " + user + ".\n\n" +
			"Sent " + s.clock.Now().Format(time.RFC1123Z) + ".\n",
	}
	return s.Send(ctx, m)
}

// Close ends the session politely (QUIT) and makes the sender refuse further messages.
func (s *SMTPSender) Close() error {
	s.slot <- struct{}{}
	defer s.release()
	s.closed = true
	if s.sess == nil {
		return nil
	}
	sess := s.sess
	s.sess = nil
	t := time.AfterFunc(5*time.Second, func() { sess.conn.Close() })
	defer t.Stop()
	if err := sess.c.Quit(); err != nil {
		sess.c.Close()
	}
	return nil
}
