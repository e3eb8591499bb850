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
	// served is closed once Serve has returned: no connection is tracked after that.
	served     chan struct{}
	servedOnce sync.Once
}

// freshGrace is how long a connection may stay silent before a shutting-down server
// closes it.
const freshGrace = time.Second

func newFreshConns() *freshConns {
	return &freshConns{conns: map[net.Conn]time.Time{}, served: make(chan struct{})}
}

// serveReturned is called when the server's Serve has returned.
func (f *freshConns) serveReturned() { f.servedOnce.Do(func() { close(f.served) }) }

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
// when none is left and none can come. Registered with RegisterOnShutdown, it runs once
// the listeners are closed, beside Shutdown's own wait.
//
// A connection accepted just as the listener closed is tracked a moment later, by the
// Serve loop on its way out; so an empty list is final only once Serve has returned.
// Returning at the first empty list left such a connection to net/http's five seconds
// (seen once in CI, under the race detector).
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
		if next > 0 {
			time.Sleep(next)
			continue
		}
		select {
		case <-f.served:
			f.mu.Lock()
			n := len(f.conns)
			f.mu.Unlock()
			if n == 0 {
				return
			}
		case <-time.After(freshGrace / 10):
		}
	}
}
