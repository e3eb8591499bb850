package mail

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

func testSender(t *testing.T, sink *mailtest.Sink, cfg SMTPConfig) *SMTPSender {
	t.Helper()
	cfg.Host, cfg.Port = sink.Host(), sink.Port()
	if cfg.Security == "" {
		cfg.Security = SecurityNone
	}
	if cfg.From == "" {
		cfg.From = "noreply@example.org"
	}
	s := NewSMTPSender(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

func testMsg(to string) Message {
	return Message{To: mail.Address{Address: to}, Subject: "s", Text: "t"}
}

// TestRateLimit counts the waits the limiter asks for on a clock that only moves when it
// sleeps: n messages at r per second wait n-1 times, 1/r each.
func TestRateLimit(t *testing.T) {
	sink := mailtest.NewSink(t)
	clock := portal.NewFixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := testSender(t, sink, SMTPConfig{RatePerSecond: 4, Clock: clock})
	var waits []time.Duration
	s.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock.Advance(d)
		return nil
	}
	const n = 9
	for i := range n {
		if err := s.Send(context.Background(), testMsg("a@example.org")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if len(waits) != n-1 {
		t.Fatalf("%d waits for %d messages, want %d", len(waits), n, n-1)
	}
	for i, w := range waits {
		if w != 250*time.Millisecond {
			t.Errorf("wait %d = %v, want 250ms", i, w)
		}
	}
	// After a pause longer than the interval, the next message goes at once; no credit
	// piles up for a burst.
	clock.Advance(time.Hour)
	waits = nil
	for range 3 {
		if err := s.Send(context.Background(), testMsg("a@example.org")); err != nil {
			t.Fatal(err)
		}
	}
	if len(waits) != 2 {
		t.Errorf("after a pause: %d waits for 3 messages, want 2", len(waits))
	}
	if got := sink.Count(); got != n+3 {
		t.Errorf("sink received %d, want %d", got, n+3)
	}
	// A cancelled wait gives up its turn and says so.
	ctx, cancel := context.WithCancel(context.Background())
	s.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	err := s.Send(ctx, testMsg("a@example.org"))
	var se *SendError
	if !errors.As(err, &se) || se.Stage != StageWait || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

func TestIdleConnectionIsCheckedWithNoop(t *testing.T) {
	sink := mailtest.NewSink(t)
	clock := portal.NewFixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := testSender(t, sink, SMTPConfig{Clock: clock})
	if err := s.Send(context.Background(), testMsg("a@example.org")); err != nil {
		t.Fatal(err)
	}
	sink.WaitFor(t, 1, 10*time.Second)
	// The server drops the idle connection; the sender finds out with NOOP, not at
	// MAIL, and opens a new one without needing a retry.
	sink.DropConnections()
	clock.Advance(idleCheck)
	if err := s.Send(context.Background(), testMsg("b@example.org")); err != nil {
		t.Fatal(err)
	}
	if c := sink.Connections(); c != 2 {
		t.Errorf("%d connections, want 2", c)
	}
}

func TestDNSFailureSentence(t *testing.T) {
	s := NewSMTPSender(SMTPConfig{Host: "smtp.example.invalid", Port: 587, From: "a@example.org"})
	// Resolving a name would leave this machine; the dialler reports what the resolver
	// says for a name that does not exist.
	s.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "smtp.example.invalid", IsNotFound: true}}
	}
	err := s.Send(context.Background(), testMsg("b@example.org"))
	var se *SendError
	if !errors.As(err, &se) || se.Stage != StageDial || se.Temporary {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{`"smtp.example.invalid" could not be found in DNS`, "Check the SMTP host"} {
		if !strings.Contains(se.Error(), want) {
			t.Errorf("%q does not say %q", se.Error(), want)
		}
	}
}

// remoteConn is a real loopback connection that reports another remote address, to see
// what the sender does when the server is not on this machine.
type remoteConn struct {
	net.Conn
	mu      sync.Mutex
	written bytes.Buffer
}

func (c *remoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 25}
}

func (c *remoteConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.written.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func TestNoPasswordOverPlainTextToARemoteServer(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithAuth("mailer", "s3cret"))
	s := testSender(t, sink, SMTPConfig{Username: "mailer", Password: "s3cret"})
	var conn *remoteConn
	s.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn = &remoteConn{Conn: c}
		return conn, nil
	}
	err := s.Send(context.Background(), testMsg("b@example.org"))
	var se *SendError
	if !errors.As(err, &se) || se.Stage != StageAuth || !strings.Contains(se.Error(), "will not send the SMTP password") {
		t.Fatalf("got %v", err)
	}
	conn.mu.Lock()
	written := conn.written.String()
	conn.mu.Unlock()
	if strings.Contains(written, "AUTH") {
		t.Errorf("the sender started AUTH over plain text:\n%s", written)
	}
	// To a loopback server the same settings work (the sink in the other tests).
	s.dial = (&net.Dialer{}).DialContext
	if err := s.Send(context.Background(), testMsg("b@example.org")); err != nil {
		t.Fatalf("loopback: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:25": true, "127.9.9.9:25": true, "[::1]:25": true,
		"192.0.2.1:25": false, "[2001:db8::1]:25": false, "10.0.0.1:587": false,
	} {
		a, _ := net.ResolveTCPAddr("tcp", addr)
		if got := isLoopback(a); got != want {
			t.Errorf("isLoopback(%s) = %v", addr, got)
		}
	}
	if isLoopback(nil) {
		t.Error("isLoopback(nil)")
	}
}
