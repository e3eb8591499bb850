package mailtest_test

import (
	"crypto/tls"
	"errors"
	"strings"
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
