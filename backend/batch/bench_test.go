package batch

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gatehouse/backend/mail"
	"gatehouse/backend/mail/mailtest"
)

const benchRecipients = 10000

// BenchmarkSend10k sends 10,000 messages end to end to a local go-smtp sink with the
// crash-safety protocol on (durable reservations, a commit before and after every
// message), and reports beside each figure the raw go-smtp throughput measured in the
// same run (a plain client loop of prebuilt messages over one connection, as
// mail.BenchmarkRawGoSMTP does):
//
//   - invitations: each invitation created on the real portal server (in process, its own
//     SQLite file) over loopback HTTP, then e-mailed: the whole invitation path. The
//     invitations go in bulk requests of one chunk each (128; every row still its own
//     idempotent command, audit event and feed entries, in one server transaction per
//     chunk), with the durable commits before and after each chunk; the server's CPU
//     counts, as it shares the machine;
//   - notifications: the same engine without invitations (a pre-notification batch), the
//     engine's own ceiling;
//   - notifications-strict: as notifications, with every per-message commit flushed to
//     disk (EngineOptions.StrictDurability).
func BenchmarkSend10k(b *testing.B) {
	b.Run("invitations", func(b *testing.B) { benchSend(b, KindInvitation, false) })
	b.Run("notifications", func(b *testing.B) { benchSend(b, KindPreNotification, false) })
	b.Run("notifications-strict", func(b *testing.B) { benchSend(b, KindPreNotification, true) })
}

func benchSend(b *testing.B, kind Kind, strict bool) {
	var sent int
	var elapsed, raw time.Duration
	for range b.N {
		b.StopTimer()
		// 4 organisations, one of them not a member: 13,333 people give 10,000 to send.
		e := newEnv(b, envOptions{people: benchRecipients * 4 / 3, sink: []mailtest.Option{mailtest.WithCountOnly()}})
		bt := e.form(FormOptions{})
		if bt.Counts.Queued != benchRecipients {
			b.Fatalf("formed %d to send", bt.Counts.Queued)
		}
		inviter := Inviter(ClientInviter{Client: e.client})
		if kind == KindPreNotification {
			var err error
			if bt, err = e.st.CreatePreNotification(e.ctx, bt.ID, NotifyOptions{}); err != nil {
				b.Fatal(err)
			}
			inviter = nil
		}
		sender := mail.NewSMTPSender(mail.SMTPConfig{Host: e.sink.Host(), Port: e.sink.Port(), Security: mail.SecurityNone,
			From: "Riverside Portal <portal@example.org>"})
		eng := NewEngine(e.st, inviter, sender, EngineOptions{LinkKey: testLinkKey, StrictDurability: strict})
		raw += rawGoSMTP(b, e, bt)
		b.StartTimer()
		t0 := time.Now()
		p, err := eng.Run(context.Background(), bt.ID)
		elapsed += time.Since(t0)
		b.StopTimer()
		sender.Close()
		if err != nil || p.Counts.Sent != benchRecipients {
			b.Fatalf("run: %v %+v", err, p.Counts)
		}
		sent += p.Counts.Sent
	}
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(sent)/raw.Seconds(), "raw-go-smtp-msgs/s")
}

// rawGoSMTP sends 10,000 copies of the batch's first message with a plain go-smtp client
// over one connection to a sink like the benchmark's, and returns how long it took.
func rawGoSMTP(b *testing.B, e *env, bt Batch) time.Duration {
	b.Helper()
	sink := mailtest.NewSink(b, mailtest.WithCountOnly())
	comp, err := bt.composer()
	if err != nil {
		b.Fatal(err)
	}
	r := e.recipients(bt.ID, StateQueued)[0]
	m := comp.Message(r.Candidate, LinkPlaceholder, start, r.MessageID)
	m.From.Address = "portal@example.org"
	data, err := m.Bytes(start)
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
	t0 := time.Now()
	for range benchRecipients {
		if err := c.SendMail("portal@example.org", []string{r.Email}, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(t0)
	if sink.Count() != benchRecipients {
		b.Fatalf("raw: the sink counted %d", sink.Count())
	}
	return d
}
