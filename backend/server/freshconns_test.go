package server_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/client"
)

// A connection that never carried a request does not hold a shutting-down server back
// past freshGrace (one second): the server closes it. net/http alone waits five seconds
// for such a connection; this Shutdown is given three, and fails if it needs more.
func TestShutdownClosesUnusedConnections(t *testing.T) {
	ctx := context.Background()
	srv, url, token := startEmbedded(t, filepath.Join(t.TempDir(), "portal.db"))
	if _, err := client.New(url, token).Me(ctx); err != nil {
		t.Fatal(err)
	}
	// Opened and never used, as Go's transport leaves the spare it dialled.
	unused, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()

	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v (it waited for the unused connection)", err)
	}
	// The server closed it: reading ends at once, not at the deadline.
	unused.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := unused.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); n != 0 || err == nil || ok && ne.Timeout() {
		t.Fatalf("the unused connection: read %d, %v; want it closed by the server", n, err)
	}
}
