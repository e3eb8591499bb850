package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// freshConns keeps the connections that have not yet carried a request, so that Shutdown
// closes those that are evidently unused after a moment, not after five seconds.
//
// net/http's Shutdown waits up to five seconds for such a connection, in case its first
// request is just arriving. But clients open connections they never use: Go's transport
// dials a new one while it waits for a busy one, and keeps whichever it did not need for
// later. So a server shutting down with one of those open waited the full five seconds:
// the desktop quitting, with its local portal inside, and about one test in five of the
// desktop's. A connection that has said nothing for freshGrace (longer than a TLS
// handshake over a slow link takes) is closed instead; the listener is closed already,
// so the server takes no new request either way.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]time.Time // when each was accepted
}

// freshGrace is how long a connection may stay silent before a shutting-down server
// closes it.
const freshGrace = time.Second

func newFreshConns() *freshConns { return &freshConns{conns: map[net.Conn]time.Time{}} }

// track is the http.Server's ConnState hook.
func (f *freshConns) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == http.StateNew {
		f.conns[c] = time.Now()
	} else {
		delete(f.conns, c)
	}
}

// closeSilent closes each connection once it has said nothing for freshGrace, and returns
// when none is left. Registered with RegisterOnShutdown, it runs once the listeners are
// closed, beside Shutdown's own wait.
func (f *freshConns) closeSilent() {
	for {
		f.mu.Lock()
		next := time.Duration(0)
		for c, at := range f.conns {
			if left := freshGrace - time.Since(at); left > 0 {
				next = max(next, left)
				continue
			}
			c.Close()
			delete(f.conns, c)
		}
		f.mu.Unlock()
		if next == 0 {
			return
		}
		time.Sleep(next)
	}
}
