package mail_test

import (
	"bytes"
	"context"
	"net/mail"
	"testing"

	"github.com/emersion/go-smtp"

	gmail "gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
)

func benchMessage() gmail.Message {
	d, _ := gmail.DefaultTemplate(gmail.KeyInvitation)
	vars := gmail.SampleValues()
	return gmail.Message{
		From:      mail.Address{Name: "Riverside Portal", Address: "noreply@example.org"},
		To:        mail.Address{Name: "Anna Example", Address: "anna@example.org"},
		Subject:   gmail.Render(d.Subject, vars),
		Text:      gmail.Render(d.Body, vars),
		MessageID: gmail.NewMessageID("example.org"),
	}
}

// BenchmarkSMTPSend: messages per second through SMTPSender over one reused connection
// to a local go-smtp sink, building each message (headers, quoted-printable) as it goes.
func BenchmarkSMTPSend(b *testing.B) {
	sink := mailtest.NewSink(b, mailtest.WithCountOnly())
	s := gmail.NewSMTPSender(gmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), Security: gmail.SecurityNone, From: "noreply@example.org"})
	defer s.Close()
	m := benchMessage()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if sink.Connections() != 1 {
		b.Errorf("%d connections", sink.Connections())
	}
}

// BenchmarkRawGoSMTP: the same message, prebuilt, sent in a plain go-smtp client loop to
// the same kind of sink: the ceiling SMTPSender is measured against.
func BenchmarkRawGoSMTP(b *testing.B) {
	sink := mailtest.NewSink(b, mailtest.WithCountOnly())
	raw, err := benchMessage().Bytes(testNow)
	if err != nil {
		b.Fatal(err)
	}
	c, err := smtp.Dial(sink.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.SendMail("noreply@example.org", []string{"anna@example.org"}, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSMTPSendTLS: as BenchmarkSMTPSend, over STARTTLS with AUTH.
func BenchmarkSMTPSendTLS(b *testing.B) {
	sink := mailtest.NewSink(b, mailtest.WithCountOnly(), mailtest.WithSTARTTLS(), mailtest.WithAuth("u", "p"))
	s := gmail.NewSMTPSender(gmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), Security: gmail.SecurityStartTLS,
		RootCAs: sink.CertPool(), Username: "u", Password: "p", From: "noreply@example.org"})
	defer s.Close()
	m := benchMessage()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkBytes(b *testing.B) {
	m := benchMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Bytes(testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	d, _ := gmail.DefaultTemplate(gmail.KeyInvitation)
	vars := gmail.SampleValues()
	b.ReportAllocs()
	for b.Loop() {
		_ = gmail.Render(d.Body, vars)
	}
}
