package batch

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/imports"
	"gatehouse/backend/internal/pgtest"
	"gatehouse/backend/mail"
)

// The crash test runs the sending loop in a child process: this test binary again, told
// by these variables what to send.
const (
	childEnv   = "GATEHOUSE_BATCH_CRASH_CHILD"
	childDB    = "GATEHOUSE_BATCH_DB"
	childBatch = "GATEHOUSE_BATCH_ID"
	childSMTP  = "GATEHOUSE_BATCH_SMTP"
	childURL   = "GATEHOUSE_BATCH_PORTAL"
	childToken = "GATEHOUSE_BATCH_TOKEN"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(crashChild())
	}
	os.Exit(pgtest.Main(m)) // stops the PostgreSQL of a GATEHOUSE_TEST_DB=postgres run
}

// crashChild sends a batch as the desktop would, and says "running" once it has taken
// the batch over; the parent kills it at a random moment after that.
func crashChild() int {
	ctx := context.Background()
	db, err := cache.Open(ctx, os.Getenv(childDB), cache.WithSchema(imports.Schema()), cache.WithSchema(Schema()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	host, port, _ := net.SplitHostPort(os.Getenv(childSMTP))
	p, _ := strconv.Atoi(port)
	sender := mail.NewSMTPSender(mail.SMTPConfig{Host: host, Port: p, Security: mail.SecurityNone, From: "Riverside Portal <portal@example.org>"})
	defer sender.Close()
	said := false
	eng := NewEngine(NewStore(db), ClientInviter{Client: client.New(os.Getenv(childURL), os.Getenv(childToken))}, sender, EngineOptions{LinkKey: testLinkKey,
		ProgressEvery: -1, Backoff: 10 * time.Millisecond,
		// One line per step (a reservation, a message, a chunk of invitations), so the
		// parent can kill at a random point of the work rather than of the clock.
		Progress: func(Progress) {
			if !said {
				said = true
				fmt.Println("running")
				return
			}
			fmt.Println("step")
		},
	})
	if _, err := eng.Run(ctx, os.Getenv(childBatch)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}
