package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/server"
)

// childEnv carries a childConfig to a child server process.
const childEnv = "GATEHOUSE_TEST_CHILD_SERVER"

// childConfig is what a child portal server process runs with.
type childConfig struct {
	DB, Addr, BaseURL, MailKeyFile, SMTPHost string
	SMTPPort                                 int
	MailInterval, MailLease                  time.Duration
}

// runChild is a portal server process: it says where it listens on stdout and serves until
// SIGTERM (or until the test kills it).
func runChild() int {
	var c childConfig
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &c); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.New(ctx, server.Config{
		DBPath: c.DB, Addr: c.Addr, BaseURL: c.BaseURL, MailKeyFile: c.MailKeyFile,
		SMTP:              &mail.SMTPConfig{Host: c.SMTPHost, Port: c.SMTPPort, Security: mail.SecurityNone, From: "Portal <portal@example.org>"},
		MailRetryInterval: c.MailInterval, MailLease: c.MailLease,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if _, err := srv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	// Where this process listens (its base URL is the first process's, shared by all).
	fmt.Println("LISTENING", "http://"+c.Addr)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}
