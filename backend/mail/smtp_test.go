package mail_test

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gmail "gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
	"gatehouse/backend/portal"
)

const wait = 10 * time.Second // how long WaitFor waits; never a timing assertion

func newSender(t *testing.T, sink *mailtest.Sink, edit ...func(*gmail.SMTPConfig)) *gmail.SMTPSender {
	t.Helper()
	cfg := gmail.SMTPConfig{
		Host: sink.Host(), Port: sink.Port(), Security: gmail.SecurityNone,
		From: "Riverside Portal <noreply@example.org>", Timeout: 10 * time.Second,
	}
	for _, e := range edit {
		e(&cfg)
	}
	s := gmail.NewSMTPSender(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

func msgTo(addr, subject string) gmail.Message {
	return gmail.Message{
		To:        mail.Address{Name: "Recipient", Address: addr},
		Subject:   subject,
		Text:      "Hello " + addr + "\n",
		MessageID: gmail.NewMessageID("example.org"),
	}
}

func sendErr(t *testing.T, err error) *gmail.SendError {
	t.Helper()
	var se *gmail.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	return se
}

func TestSendPlainReusesOneConnection(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	ctx := context.Background()
	const n = 50
	for i := range n {
		if err := s.Send(ctx, msgTo(fmt.Sprintf("r%02d@example.org", i), fmt.Sprintf("Message %d", i))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := sink.WaitFor(t, n, wait)
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	for i, r := range got {
		want := fmt.Sprintf("r%02d@example.org", i)
		if r.From != "noreply@example.org" || len(r.To) != 1 || r.To[0] != want {
			t.Errorf("message %d envelope = %s → %v", i, r.From, r.To)
		}
		if r.Body != "Hello "+want+"\r\n" {
			t.Errorf("message %d body = %q", i, r.Body)
		}
		if subj, _ := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Subject")); subj != fmt.Sprintf("Message %d", i) {
			t.Errorf("message %d subject = %q", i, subj)
		}
		if from := r.Header.Get("From"); from != `"Riverside Portal" <noreply@example.org>` {
			t.Errorf("From header = %q", from)
		}
		if r.Conn != 1 {
			t.Errorf("message %d came over connection %d", i, r.Conn)
		}
	}
	if c := sink.Connections(); c != 1 {
		t.Errorf("sink saw %d connections for %d messages, want 1", c, n)
	}
	if c := s.Connections(); c != 1 {
		t.Errorf("sender opened %d connections, want 1", c)
	}
}

func TestSendConcurrentCallersShareTheConnection(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- s.Send(context.Background(), msgTo(fmt.Sprintf("g%d-%d@example.org", g, i), "hi"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(sink.WaitFor(t, 80, wait)); got != 80 {
		t.Errorf("received %d, want 80", got)
	}
	if c := sink.Connections(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithSTARTTLS(), mailtest.WithAuth("mailer", "s3cret"))
	s := newSender(t, sink, func(c *gmail.SMTPConfig) {
		c.Security, c.RootCAs, c.Username, c.Password = gmail.SecurityStartTLS, sink.CertPool(), "mailer", "s3cret"
	})
	for i := range 3 {
		if err := s.Send(context.Background(), msgTo("anna@example.org", "secure")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	for _, r := range sink.WaitFor(t, 3, wait) {
		if !r.TLS || r.User != "mailer" {
			t.Errorf("message received with TLS=%v user=%q, want TLS and user mailer", r.TLS, r.User)
		}
	}
	if c := sink.Connections(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
}

func TestSendImplicitTLSWithAuth(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithTLS(), mailtest.WithAuth("mailer", "s3cret"))
	s := newSender(t, sink, func(c *gmail.SMTPConfig) {
		c.Security, c.RootCAs, c.Username, c.Password = gmail.SecurityTLS, sink.CertPool(), "mailer", "s3cret"
	})
	if err := s.Send(context.Background(), msgTo("anna@example.org", "tls")); err != nil {
		t.Fatal(err)
	}
	r := sink.WaitFor(t, 1, wait)[0]
	if !r.TLS || r.User != "mailer" {
		t.Errorf("TLS=%v user=%q", r.TLS, r.User)
	}
}

func TestSecurityFailures(t *testing.T) {
	tlsSink := mailtest.NewSink(t, mailtest.WithTLS())
	startSink := mailtest.NewSink(t, mailtest.WithSTARTTLS())
	plainSink := mailtest.NewSink(t)
	authSink := mailtest.NewSink(t, mailtest.WithSTARTTLS(), mailtest.WithAuth("mailer", "s3cret"))
	// A server that takes mail only after STARTTLS, as Postfix with smtpd_tls_security_level=encrypt.
	encryptFirst := mailtest.NewSink(t, mailtest.WithFaults(func(st mailtest.Stage, _ mailtest.Envelope) mailtest.Fault {
		if st == mailtest.StageMail {
			return mailtest.Fault{Code: 530, Text: "5.7.0 Must issue a STARTTLS command first"}
		}
		return mailtest.Fault{}
	}))
	// Reaching the STARTTLS sink through 127.0.0.2, while its certificate only names
	// 127.0.0.1 and localhost, must fail the name check.
	otherName := 0
	if canListen("127.0.0.2") {
		otherName = forward(t, "127.0.0.2", startSink.Addr())
	}
	tests := []struct {
		name      string
		sink      *mailtest.Sink
		edit      func(*gmail.SMTPConfig)
		stage     string
		code      int
		temporary bool
		says      []string
	}{
		{"implicit TLS, untrusted certificate", tlsSink, func(c *gmail.SMTPConfig) { c.Security = gmail.SecurityTLS },
			gmail.StageTLS, 0, false, []string{"secure connection (TLS)", "certificate"}},
		{"STARTTLS, untrusted certificate", startSink, func(c *gmail.SMTPConfig) { c.Security = gmail.SecurityStartTLS },
			gmail.StageTLS, 0, false, []string{"secure connection (TLS)", "certificate"}},
		{"STARTTLS, certificate for another name", startSink, func(c *gmail.SMTPConfig) {
			c.Security, c.RootCAs, c.Host, c.Port = gmail.SecurityStartTLS, startSink.CertPool(), "127.0.0.2", otherName
		}, gmail.StageTLS, 0, false, []string{"TLS", "127.0.0.2"}},
		{"STARTTLS required but not offered", plainSink, func(c *gmail.SMTPConfig) { c.Security = gmail.SecurityStartTLS },
			gmail.StageTLS, 0, false, []string{"does not offer STARTTLS"}},
		{"TLS to a plain server", plainSink, func(c *gmail.SMTPConfig) { c.Security = gmail.SecurityTLS; c.Timeout = 3 * time.Second },
			gmail.StageTLS, 0, false, []string{"answered in plain text", "Set the security to STARTTLS"}},
		{"STARTTLS to a server that expects TLS at once (port 465)", tlsSink, func(c *gmail.SMTPConfig) {
			c.Security, c.Timeout = gmail.SecurityStartTLS, 2*time.Second
		}, gmail.StageDial, 0, false, []string{"expects TLS from the first byte", "Set the security to TLS"}},
		{"530 Must issue a STARTTLS command first", encryptFirst, func(*gmail.SMTPConfig) {},
			gmail.StageMail, 530, false, []string{"only over an encrypted connection", "Set the security to STARTTLS"}},
		{"wrong password", authSink, func(c *gmail.SMTPConfig) {
			c.Security, c.RootCAs, c.Username, c.Password = gmail.SecurityStartTLS, authSink.CertPool(), "mailer", "wrong"
		}, gmail.StageAuth, 535, false, []string{"refused the user name or password", "535", "Authentication failed"}},
		{"no password for a server that wants one", authSink, func(c *gmail.SMTPConfig) {
			c.Security, c.RootCAs = gmail.SecurityStartTLS, authSink.CertPool()
		}, gmail.StageMail, 502, false, []string{"wants Gatehouse to log in", "Please authenticate first"}},
		{"user set but AUTH not offered", plainSink, func(c *gmail.SMTPConfig) { c.Username, c.Password = "u", "p" },
			gmail.StageAuth, 0, false, []string{"does not offer to log in"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "another name") && otherName == 0 {
				t.Skip("127.0.0.2 is not usable on this machine")
			}
			before := tc.sink.Count()
			s := newSender(t, tc.sink, tc.edit)
			err := s.Send(context.Background(), msgTo("anna@example.org", "x"))
			se := sendErr(t, err)
			t.Log(se)
			if se.Stage != tc.stage || se.Code != tc.code || se.Temporary != tc.temporary || se.Unknown {
				t.Errorf("got stage %q code %d temporary %v unknown %v, want %q %d %v", se.Stage, se.Code, se.Temporary, se.Unknown, tc.stage, tc.code, tc.temporary)
			}
			for _, s := range tc.says {
				if !strings.Contains(se.Error(), s) {
					t.Errorf("error %q does not say %q", se.Error(), s)
				}
			}
			if tc.sink.Count() != before {
				t.Errorf("a message arrived despite the failure")
			}
		})
	}
}

func canListen(host string) bool {
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// forward relays a loopback port on host to target and returns the port.
func forward(t *testing.T, host, target string) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = copyConn(u, c) }()
				_, _ = copyConn(c, u)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func copyConn(dst, src net.Conn) (int64, error) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err != nil {
			return n, err
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := gmail.NewSMTPSender(gmail.SMTPConfig{Host: "127.0.0.1", Port: port, Security: gmail.SecurityNone, From: "a@example.org"})
	se := sendErr(t, s.Send(context.Background(), msgTo("b@example.org", "x")))
	if se.Stage != gmail.StageDial || !se.Temporary || !strings.Contains(se.Error(), "Could not connect") {
		t.Errorf("got %+v: %v", se, se)
	}
}

// faultFor answers f at stage for the recipient addr, every time.
func faultFor(stage mailtest.Stage, addr string, f mailtest.Fault) mailtest.FaultFunc {
	return func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
		if st == stage && len(env.To) > 0 && env.To[len(env.To)-1] == addr {
			return f
		}
		return mailtest.Fault{}
	}
}

func TestServerReplies(t *testing.T) {
	tests := []struct {
		name      string
		stage     mailtest.Stage
		fault     mailtest.Fault
		wantStage string
		code      int
		temporary bool
		unknown   bool
		delivered bool
		conns     int
		says      []string
	}{
		{"4xx at RCPT is temporary", mailtest.StageRcpt, mailtest.TempFail("Greylisted, try again in 5 minutes"),
			gmail.StageRcpt, 451, true, false, false, 1, []string{"try again later", "451 4.0.0 Greylisted"}},
		{"relay refused at RCPT is permanent", mailtest.StageRcpt, mailtest.Fault{Code: 550, Text: "Relaying denied"},
			gmail.StageRcpt, 550, false, false, false, 1, []string{"refused to take mail", "relaying is denied", "550 5.0.0 Relaying denied"}},
		{"554 at RCPT is permanent", mailtest.StageRcpt, mailtest.Fault{Code: 554, Text: "Transaction failed"},
			gmail.StageRcpt, 554, false, false, false, 1, []string{"554 5.0.0 Transaction failed"}},
		{"4xx at MAIL", mailtest.StageMail, mailtest.Fault{Code: 452, Text: "Insufficient storage"},
			gmail.StageMail, 452, true, false, false, 1, []string{"452"}},
		{"5xx after DATA is permanent", mailtest.StageData, mailtest.Fault{Code: 554, Text: "Message rejected as spam"},
			gmail.StageReply, 554, false, false, false, 1, []string{"Message rejected as spam", "will not be delivered"}},
		{"4xx after DATA is temporary", mailtest.StageData, mailtest.TempFail("Queue full"),
			gmail.StageReply, 451, true, false, false, 1, []string{"Queue full"}},
		{"drop before DATA is temporary", mailtest.StageRcpt, mailtest.DropConn(),
			gmail.StageRcpt, 0, true, false, false, 3, []string{"lost before the message", "can be sent again"}},
		{"drop after DATA, not stored, is unknown", mailtest.StageData, mailtest.DropConn(),
			gmail.StageReply, 0, false, true, false, 2, []string{"may or may not have been delivered"}},
		{"drop after DATA, stored, is unknown", mailtest.StageData, mailtest.DeliverAndDrop(),
			gmail.StageReply, 0, false, true, true, 2, []string{"may or may not have been delivered"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const bad = "bad@example.org"
			faults := faultFor(tc.stage, bad, tc.fault)
			if tc.stage == mailtest.StageMail {
				// MAIL knows no recipient yet: fail the second transaction instead.
				faults = func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
					if st == mailtest.StageMail && env.Seq == 2 {
						return tc.fault
					}
					return mailtest.Fault{}
				}
			}
			sink := mailtest.NewSink(t, mailtest.WithFaults(faults))
			s := newSender(t, sink)
			ctx := context.Background()
			if err := s.Send(ctx, msgTo("first@example.org", "first")); err != nil {
				t.Fatalf("first message: %v", err)
			}
			se := sendErr(t, s.Send(ctx, msgTo(bad, "bad")))
			t.Log(se)
			if se.Stage != tc.wantStage || se.Code != tc.code || se.Temporary != tc.temporary || se.Unknown != tc.unknown {
				t.Errorf("got stage %q code %d temporary %v unknown %v; want %q %d %v %v\n%v",
					se.Stage, se.Code, se.Temporary, se.Unknown, tc.wantStage, tc.code, tc.temporary, tc.unknown, se)
			}
			for _, s := range tc.says {
				if !strings.Contains(se.Error(), s) {
					t.Errorf("error %q does not say %q", se.Error(), s)
				}
			}
			if se.Recipient != bad {
				t.Errorf("Recipient = %q", se.Recipient)
			}
			// The sender carries on after any failure, on the same connection when the
			// server only refused, on a new one when the connection broke.
			if err := s.Send(ctx, msgTo("after@example.org", "after")); err != nil {
				t.Fatalf("message after the failure: %v", err)
			}
			want := 2
			if tc.delivered {
				want = 3
			}
			got := sink.WaitFor(t, want, wait)
			if len(got) != want {
				t.Fatalf("received %d messages, want %d", len(got), want)
			}
			delivered := false
			for _, r := range got {
				delivered = delivered || r.To[0] == bad
			}
			if delivered != tc.delivered {
				t.Errorf("bad message delivered = %v, want %v", delivered, tc.delivered)
			}
			// A drop at RCPT on a reused connection is retried once on a new one.
			if c := sink.Connections(); c != tc.conns {
				t.Errorf("%d connections, want %d", c, tc.conns)
			}
		})
	}
}

func TestReconnectAfterServerDrop(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	ctx := context.Background()
	if err := s.Send(ctx, msgTo("one@example.org", "1")); err != nil {
		t.Fatal(err)
	}
	sink.WaitFor(t, 1, wait)
	sink.DropConnections() // the server restarts between two messages
	if err := s.Send(ctx, msgTo("two@example.org", "2")); err != nil {
		t.Fatalf("second message after the server dropped the connection: %v", err)
	}
	if err := s.Send(ctx, msgTo("three@example.org", "3")); err != nil {
		t.Fatal(err)
	}
	got := sink.WaitFor(t, 3, wait)
	if len(got) != 3 {
		t.Fatalf("received %d, want 3 (each once)", len(got))
	}
	if c := sink.Connections(); c != 2 {
		t.Errorf("%d connections, want 2", c)
	}
	if got[1].Conn != 2 || got[2].Conn != 2 {
		t.Errorf("messages after the drop came over connections %d and %d, want 2", got[1].Conn, got[2].Conn)
	}
}

func TestRetryOnlyOncePerMessage(t *testing.T) {
	// A server that drops every connection at RCPT: the sender reuses a connection, it
	// drops, one retry on a new connection drops too, and the error is returned.
	var drops atomic.Int32
	sink := mailtest.NewSink(t, mailtest.WithFaults(func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
		if st == mailtest.StageRcpt && env.To[0] == "bad@example.org" {
			drops.Add(1)
			return mailtest.DropConn()
		}
		return mailtest.Fault{}
	}))
	s := newSender(t, sink)
	if err := s.Send(context.Background(), msgTo("ok@example.org", "ok")); err != nil {
		t.Fatal(err)
	}
	se := sendErr(t, s.Send(context.Background(), msgTo("bad@example.org", "bad")))
	if !se.Temporary || se.Unknown {
		t.Errorf("got %+v", se)
	}
	if n := drops.Load(); n != 2 {
		t.Errorf("RCPT tried %d times, want 2 (once on the old connection, once on a new one)", n)
	}
}

func TestContextCancel(t *testing.T) {
	for _, tc := range []struct {
		stage   mailtest.Stage
		unknown bool
	}{{mailtest.StageRcpt, false}, {mailtest.StageData, true}} {
		t.Run(string(tc.stage), func(t *testing.T) {
			reached := make(chan struct{}, 1)
			sink := mailtest.NewSink(t, mailtest.WithFaults(func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
				if st == tc.stage {
					reached <- struct{}{}
					return mailtest.Fault{Delay: time.Minute} // ends when the sink closes
				}
				return mailtest.Fault{}
			}))
			s := newSender(t, sink)
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-reached; cancel() }()
			err := s.Send(ctx, msgTo("anna@example.org", "x"))
			se := sendErr(t, err)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not wrap context.Canceled", err)
			}
			if se.Unknown != tc.unknown || se.Temporary == tc.unknown {
				t.Errorf("cancel at %s: temporary %v unknown %v, want unknown %v", tc.stage, se.Temporary, se.Unknown, tc.unknown)
			}
		})
	}
}

func TestInvalidMessageIsRefusedBeforeDialling(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	m := msgTo("anna@example.org\r\nRCPT TO:<victim@evil.example>", "x")
	err := s.Send(context.Background(), m)
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Field != "to" {
		t.Fatalf("got %v, want an invalid error on to", err)
	}
	if sink.Connections() != 0 || s.Connections() != 0 {
		t.Errorf("the sender connected for an invalid message")
	}
	bad := gmail.NewSMTPSender(gmail.SMTPConfig{Host: "127.0.0.1", Port: 0})
	if err := bad.Send(context.Background(), msgTo("a@example.org", "x")); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("port 0: %v", err)
	}
}

func TestInjectionOverTheWire(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	m := gmail.Message{
		From:    mail.Address{Name: "Portal\r\nBcc: victim@evil.example", Address: "noreply@example.org"},
		To:      mail.Address{Name: "Anna\r\nBcc: victim2@evil.example\r\n\r\nfake body", Address: "anna@example.org"},
		Subject: "Hi\r\nBcc: victim3@evil.example",
		Text:    "real body\n",
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := sink.WaitFor(t, 1, wait)[0]
	if len(r.To) != 1 || r.To[0] != "anna@example.org" {
		t.Errorf("envelope recipients %v", r.To)
	}
	if _, ok := r.Header["Bcc"]; ok || len(r.Header["To"]) != 1 || r.Body != "real body\r\n" {
		t.Errorf("header %v body %q", r.Header, r.Body)
	}
	if strings.Contains(string(r.Data), "\r\nBcc:") {
		t.Errorf("a Bcc line reached the server:\n%s", r.Data)
	}
}

func TestUTF8Addresses(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	if err := s.Send(context.Background(), msgTo("jörg@münchen.example", "ü")); err != nil {
		t.Fatal(err)
	}
	r := sink.WaitFor(t, 1, wait)[0]
	// The domain travels in its ASCII form; the local part needs SMTPUTF8, which the sink offers.
	if r.To[0] != "jörg@xn--mnchen-3ya.example" {
		t.Errorf("envelope recipient %q", r.To[0])
	}
}

func TestTestAndVerify(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithSTARTTLS(), mailtest.WithAuth("mailer", "s3cret"))
	s := newSender(t, sink, func(c *gmail.SMTPConfig) {
		c.Security, c.RootCAs, c.Username, c.Password = gmail.SecurityStartTLS, sink.CertPool(), "mailer", "s3cret"
	})
	ctx := context.Background()
	if err := s.Verify(ctx); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := s.Test(ctx, mail.Address{Name: "Admin", Address: "admin@example.org"}); err != nil {
		t.Fatalf("Test: %v", err)
	}
	if err := s.Test(ctx, mail.Address{Address: "admin@example.org"}); err != nil {
		t.Fatalf("Test: %v", err)
	}
	got := sink.WaitFor(t, 2, wait)
	if got[0].Header.Get("Subject") != "Gatehouse test message" || !strings.Contains(got[0].Body, "security starttls, user mailer") {
		t.Errorf("test message: %q\n%s", got[0].Header.Get("Subject"), got[0].Body)
	}
	// Each test starts from a new connection, so it tries the settings from the start.
	if c := sink.Connections(); c != 3 {
		t.Errorf("%d connections, want 3 (verify, test, test)", c)
	}
	wrong := newSender(t, sink, func(c *gmail.SMTPConfig) {
		c.Security, c.RootCAs, c.Username, c.Password = gmail.SecurityStartTLS, sink.CertPool(), "mailer", "nope"
	})
	if se := sendErr(t, wrong.Verify(ctx)); se.Stage != gmail.StageAuth {
		t.Errorf("Verify with a wrong password: %v", se)
	}
}

func TestClosedSenderRefuses(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	if err := s.Send(context.Background(), msgTo("a@example.org", "x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if se := sendErr(t, s.Send(context.Background(), msgTo("b@example.org", "x"))); se.Temporary || se.Unknown {
		t.Errorf("send after close: %+v", se)
	}
	if sink.Count() != 1 {
		t.Errorf("count %d", sink.Count())
	}
}

func TestConfigValidate(t *testing.T) {
	ok := gmail.SMTPConfig{Host: "smtp.example.org", Port: 587, From: "Portal <noreply@example.org>"}
	tests := []struct {
		field string
		edit  func(*gmail.SMTPConfig)
	}{
		{"", func(*gmail.SMTPConfig) {}},
		{"host", func(c *gmail.SMTPConfig) { c.Host = "" }},
		{"host", func(c *gmail.SMTPConfig) { c.Host = "smtp://smtp.example.org" }},
		{"port", func(c *gmail.SMTPConfig) { c.Port = 70000 }},
		{"security", func(c *gmail.SMTPConfig) { c.Security = "ssl" }},
		{"from", func(c *gmail.SMTPConfig) { c.From = "not an address" }},
		{"username", func(c *gmail.SMTPConfig) { c.Username = "a\r\nb" }},
		{"heloName", func(c *gmail.SMTPConfig) { c.HeloName = "my host" }},
		{"ratePerSecond", func(c *gmail.SMTPConfig) { c.RatePerSecond = -1 }},
	}
	for _, tc := range tests {
		c := ok
		tc.edit(&c)
		err := c.Validate()
		var pe *portal.Error
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &pe) || pe.Field != tc.field) {
			t.Errorf("want field %q, got %v", tc.field, err)
		}
	}
}

func TestServer421AtMailReconnects(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithFaults(func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
		if st == mailtest.StageMail && env.Seq == 2 {
			return mailtest.Fault{Code: 421, Text: "Too many messages on this connection"}
		}
		return mailtest.Fault{}
	}))
	s := newSender(t, sink)
	for i := range 3 {
		if err := s.Send(context.Background(), msgTo(fmt.Sprintf("r%d@example.org", i), "x")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := sink.WaitFor(t, 3, wait)
	if len(got) != 3 || sink.Connections() != 2 || got[1].Conn != 2 {
		t.Errorf("%d messages over %d connections", len(got), sink.Connections())
	}
}

func TestServerIdleTimeoutReconnects(t *testing.T) {
	const idle = 50 * time.Millisecond
	sink := mailtest.NewSink(t, mailtest.WithIdleTimeout(idle))
	s := newSender(t, sink)
	for i := range 3 {
		if err := s.Send(context.Background(), msgTo(fmt.Sprintf("r%d@example.org", i), "x")); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		// Outwait the server's idle timeout so it closes the connection (with a 421)
		// between messages. Only the outcome is checked, never how long anything took.
		time.Sleep(4 * idle)
	}
	got := sink.WaitFor(t, 3, wait)
	if len(got) != 3 || sink.Connections() != 3 {
		t.Errorf("%d messages over %d connections, want 3 over 3", len(got), sink.Connections())
	}
}

func TestCompose(t *testing.T) {
	d, _ := gmail.DefaultTemplate(gmail.KeyInvitation)
	vars := gmail.SampleValues()
	m := gmail.Compose(d, mail.Address{Name: "Anna Example", Address: "anna@example.org"}, vars)
	if m.Subject != "Your invitation to Riverside Portal" || !strings.Contains(m.Text, vars[gmail.VarInvitationURL]) || m.To.Address != "anna@example.org" {
		t.Errorf("Compose = %+v", m)
	}
	sink := mailtest.NewSink(t)
	s := newSender(t, sink)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := sink.WaitFor(t, 1, wait)[0]
	if r.Body != strings.ReplaceAll(m.Text, "\n", "\r\n") {
		t.Errorf("body over the wire:\n%s", r.Body)
	}
}
