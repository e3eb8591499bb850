package server_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
	"gatehouse/backend/server"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/store"
)

// slowSender is a mail server that takes its time: each message moves the clock on.
type slowSender struct {
	mail.Sender
	clock *portal.FixedClock
	step  time.Duration
}

func (s slowSender) Send(ctx context.Context, m mail.Message) error {
	s.clock.Advance(s.step)
	return s.Sender.Send(ctx, m)
}

// A process sends the messages it took only while its lease on them lasts: past three
// quarters of it, the rest are left for whoever takes them when it ends (another process
// may be sending them by then), so that no message goes out twice because one process was
// slow.
func TestMailStopsWhenItsLeaseRunsOut(t *testing.T) {
	const lease = 4 * time.Minute
	var clock *portal.FixedClock
	e := newEnv(t, func(c *server.Config) {
		clock = c.Clock.(*portal.FixedClock)
		c.MailLease = lease
		c.Sender = slowSender{Sender: mail.NewSMTPSender(*c.SMTP), clock: clock, step: 70 * time.Second}
		c.MailRetryInterval = time.Hour // after its first round, the mailer waits to be woken
	})
	admin := e.sysAdmin()
	org := e.org("Riverside Council")
	emails := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}
	// The clock stands still until the first message is sent, so the mailer takes the
	// messages at this time. Read after the request, it could already be 70 s on.
	claimed := clock.Now()
	if _, err := e.client(admin.ID).AddUsers(e.ctx, api.AddUsersRequest{OrganizationID: org.ID, Emails: emails, Invite: true, Send: true}, nil); err != nil {
		t.Fatal(err)
	}
	// The server's mailer takes them at once. 70 seconds a message: the third starts at
	// 2:20, before the three-minute mark, and ends at 3:30; the other two wait until the
	// lease ends, at 4:00.
	e.sink.WaitFor(t, 3, 10*time.Second)
	var queued []store.Mail
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent, err := e.svc.Outbox(e.ctx, store.MailFilter{Status: store.MailSent})
		if err != nil {
			t.Fatal(err)
		}
		if queued, err = e.svc.Outbox(e.ctx, store.MailFilter{Status: store.MailQueued}); err != nil {
			t.Fatal(err)
		}
		if len(sent) == 3 && len(queued) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %d and waiting %d, want 3 sent within the lease and 2 waiting", len(sent), len(queued))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range queued {
		if !m.NextAttemptAt.Equal(claimed.Add(lease)) || m.Attempts != 0 {
			t.Errorf("%s: next attempt %s (attempts %d), want the lease's end %s", m.ToAddr, m.NextAttemptAt, m.Attempts, claimed.Add(lease))
		}
	}
	clock.Set(claimed.Add(lease))
	if _, err := e.svc.DeliverMail(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.sink.WaitFor(t, 5, 10*time.Second); len(got) != 5 {
		t.Fatalf("%d messages in all, want each of the 5 once", len(got))
	}
}
