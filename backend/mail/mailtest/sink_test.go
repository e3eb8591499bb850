package mailtest_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"gatehouse/backend/mail/mailtest"
)

const msg = "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n" +
	"--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n" +
	"--XX\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--XX--\r\n"

func send(c *smtp.Client, to string) error {
	return c.SendMail("a@example.org", []string{to}, strings.NewReader(msg))
}

func TestSinkReceivesAndDecodes(t *testing.T) {
	sink := mailtest.NewSink(t)
	c, err := smtp.Dial(sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, to := range []string{"b@example.org", "c@example.org"} {
		if err := send(c, to); err != nil {
			t.Fatal(err)
		}
	}
	got := sink.WaitFor(t, 2, 10*time.Second)
	r := got[1]
	if r.From != "a@example.org" || r.To[0] != "c@example.org" || r.Body != "café" || r.HTML != "<b>hi</b>" ||
		r.Header.Get("Subject") != "hi" || r.Conn != 1 || r.TLS || string(r.Data) != msg {
		t.Errorf("received %+v", r)
	}
	if sink.Connections() != 1 || sink.Count() != 2 {
		t.Errorf("connections %d count %d", sink.Connections(), sink.Count())
	}
}

func TestSinkTLSAndAuth(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		opt := mailtest.WithSTARTTLS()
		if implicit {
			opt = mailtest.WithTLS()
		}
		sink := mailtest.NewSink(t, opt, mailtest.WithAuth("u", "p"))
		conf := &tls.Config{RootCAs: sink.CertPool(), ServerName: sink.Host()}
		var c *smtp.Client
		var err error
		if implicit {
			c, err = smtp.DialTLS(sink.Addr(), conf)
		} else {
			c, err = smtp.DialStartTLS(sink.Addr(), conf)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := send(c, "b@example.org"); err == nil {
			t.Errorf("implicit=%v: sending without AUTH worked", implicit)
		}
		if err := c.Auth(sasl.NewPlainClient("", "u", "wrong")); err == nil {
			t.Errorf("implicit=%v: wrong password accepted", implicit)
		}
		if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
			t.Fatalf("implicit=%v: %v", implicit, err)
		}
		if err := send(c, "b@example.org"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		r := sink.WaitFor(t, 1, 10*time.Second)[0]
		if !r.TLS || r.User != "u" {
			t.Errorf("implicit=%v: TLS %v user %q", implicit, r.TLS, r.User)
		}
	}
}

func TestSinkFaults(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithFaults(func(st mailtest.Stage, env mailtest.Envelope) mailtest.Fault {
		switch {
		case st == mailtest.StageRcpt && env.To[len(env.To)-1] == "temp@example.org":
			return mailtest.TempFail("later")
		case st == mailtest.StageRcpt && env.To[len(env.To)-1] == "perm@example.org":
			return mailtest.PermFail("no such user")
		case st == mailtest.StageData && env.To[0] == "lost@example.org":
			return mailtest.DeliverAndDrop()
		}
		return mailtest.Fault{}
	}))
	c, err := smtp.Dial(sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var se *smtp.SMTPError
	if err := send(c, "temp@example.org"); !errors.As(err, &se) || se.Code != 451 || se.Message != "later" {
		t.Errorf("temp: %v", err)
	}
	c.Reset()
	if err := send(c, "perm@example.org"); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("perm: %v", err)
	}
	c.Reset()
	if err := send(c, "lost@example.org"); err == nil || errors.As(err, &se) {
		t.Errorf("lost: want a broken connection, got %v", err)
	}
	got := sink.WaitFor(t, 1, 10*time.Second)
	if len(got) != 1 || got[0].To[0] != "lost@example.org" {
		t.Errorf("received %+v, want only the message whose reply was lost", got)
	}
}

func TestSinkCountOnly(t *testing.T) {
	sink := mailtest.NewSink(t, mailtest.WithCountOnly())
	c, err := smtp.Dial(sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		if err := send(c, "b@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	sink.WaitFor(t, 5, 10*time.Second)
	if sink.Count() != 5 || len(sink.Messages()) != 0 {
		t.Errorf("count %d messages %d", sink.Count(), len(sink.Messages()))
	}
}

func TestSinkClose(t *testing.T) {
	cases := []struct {
		name string
		tls  bool
		idle bool // a connection that has said nothing yet
		// hold keeps a session in its DATA stage while Close runs: "delay" with a fault's
		// delay, "busy" in a fault function that is still running.
		hold string
	}{
		{name: "right after start"},
		{name: "idle connection", idle: true},
		{name: "session in a fault's delay", idle: true, hold: "delay"},
		{name: "session in a fault's delay over TLS", tls: true, idle: true, hold: "delay"},
		{name: "fault function still running", hold: "busy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			var returned atomic.Bool
			opts := []mailtest.Option{mailtest.WithFaults(func(st mailtest.Stage, _ mailtest.Envelope) mailtest.Fault {
				if st != mailtest.StageData {
					return mailtest.Fault{}
				}
				close(entered)
				if tc.hold == "busy" {
					<-release
					returned.Store(true)
					return mailtest.Fault{}
				}
				// Long enough never to end on its own within the test: only Close ends it.
				return mailtest.Fault{Delay: time.Hour}
			})}
			if tc.tls {
				opts = append(opts, mailtest.WithTLS())
			}
			sink := mailtest.NewSink(t, opts...)
			// Should the test stop early, the fault function still ends before the sink's
			// Close (cleanups run last first), which waits for it.
			releaseFn := sync.OnceFunc(func() { close(release) })
			t.Cleanup(releaseFn)

			var idle net.Conn
			if tc.idle {
				var err error
				if idle, err = net.Dial("tcp", sink.Addr()); err != nil {
					t.Fatal(err)
				}
				defer idle.Close()
			}
			sent := make(chan error, 1)
			if tc.hold != "" {
				var c *smtp.Client
				var err error
				if tc.tls {
					c, err = smtp.DialTLS(sink.Addr(), &tls.Config{RootCAs: sink.CertPool(), ServerName: sink.Host()})
				} else {
					c, err = smtp.Dial(sink.Addr())
				}
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				go func() { sent <- send(c, "b@example.org") }()
				<-entered
			}

			closed := make(chan struct{})
			go func() { sink.Close(); close(closed) }()
			if tc.hold == "busy" {
				// Close stops accepting first; from then on it must wait for the session.
				for {
					c, err := net.Dial("tcp", sink.Addr())
					if err != nil {
						break
					}
					c.Close()
				}
				select {
				case <-closed:
					t.Fatal("Close returned while a session's fault function was still running")
				default:
				}
				releaseFn()
			}
			<-closed
			if tc.hold == "busy" && !returned.Load() {
				t.Error("Close returned before the session it dropped had finished")
			}

			if c, err := net.Dial("tcp", sink.Addr()); err == nil {
				c.Close()
				t.Fatalf("%s still accepts connections after Close", sink.Addr())
			}
			if idle != nil {
				// The sink closed it: reading reaches the end (after the greeting, if sent). A
				// connection the sink had not yet accepted when its listener closed is reset
				// by the system instead, which closes it just as well.
				if err := idle.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if b, err := io.ReadAll(idle); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("the idle connection stayed open after Close: %v (read %q)", err, b)
				}
			}
			if tc.hold != "" {
				if err := <-sent; err == nil {
					t.Error("the held message was confirmed although Close dropped its connection")
				}
				if n := sink.Count(); n != 0 {
					t.Errorf("the sink kept %d messages from the connection it dropped", n)
				}
			}

			// Idempotent, also when called at once from several goroutines.
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(sink.Close)
			}
			wg.Wait()
			if c, err := net.Dial("tcp", sink.Addr()); err == nil {
				c.Close()
				t.Fatalf("%s accepts connections after Close was called again", sink.Addr())
			}
		})
	}
}
