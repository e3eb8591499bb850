// Command harness runs the real App without a window, for browser tests: it serves the built
// frontend with the bridge shim injected, so the generated Wails bindings call the App over
// HTTP, and it forwards the App's events to the browser.
//
//	harness [-addr 127.0.0.1:0] [-dist frontend/dist] [-data DIR] [-version V] [-demo]
//	        [-sync-interval 30s] [-seed-users N]
//
// The App runs as on the desktop with no server configured: its local database is
// DIR/gatehouse.db and it starts the embedded portal server on 127.0.0.1 with
// DIR/portal.db, so the browser tests drive the real backend. With -demo (or
// GATEHOUSE_DEMO=1 in the environment) the demo data is loaded and synced into the local
// database before the harness reports that it is listening. A long -sync-interval (the
// tests use 1h) leaves pulling to the App's SyncNow, so that a test can change a record
// behind the App's back and see the conflict. -seed-users N writes N accounts (spread over
// 50 organisations) straight into DIR/portal.db before the App starts, 10,000 per
// transaction, and syncs them into the local database before the harness reports that it
// is listening: a big table in seconds rather than minutes through the portal's API.
//
// Once listening it prints, one per line on stdout:
//
//	HARNESS_URL=http://127.0.0.1:PORT/
//	HARNESS_DATA=DIR            (the data folder; the database is DIR/gatehouse.db)
//	HARNESS_TOKEN=…             (this run's token: /bridge/ and /harness/ want it)
//
// It listens on loopback only. /bridge/ and /harness/ answer only requests naming this
// computer's loopback address in their Host header (no DNS rebinding) and carrying this
// run's token: in the X-Harness-Token header (a test's own calls) or the harness cookie,
// which the page gets with index.html (SameSite=Strict: another site's page cannot use it).
// Without both, another web page or a neighbour on the network could call every bound
// method, or read the embedded portal's system token at /harness/info.
//
// Besides /bridge/ (see package bridge) it serves what a test needs to act as the user's
// operating system:
//
//	POST /harness/drop         {"x":0,"y":0,"paths":["/abs/file.xlsx"]}  files dropped on the window
//	POST /harness/dialog/open  {"path":"/abs/file.xlsx"}  the next open-file dialog's answer
//	POST /harness/dialog/save  {"path":"/abs/out.xlsx"}   the next save-file dialog's answer
//	GET  /harness/info         {"dataDir":…, "databasePath":…, "portalUrl":…, "portalToken":…}
//
// portalUrl and portalToken reach the embedded portal's admin API (/api/v1/...) as the
// system: a test plays "another administrator" with them, for example to deny someone
// the App is about to approve.
//
//	GET  /harness/browser      {"urls":[…]}  what the App asked the system browser to open
//
// Sign-in secrets go to an in-memory keychain unless -keychain system is given, and the
// "system browser" only records the addresses it is asked to open (and emits each as the
// event "harness:browser") unless -system-browser is given: a browser test opens them
// itself.
//
// It stops cleanly on SIGINT or SIGTERM, and removes -data only if it created it.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gatehouse/app"
	"gatehouse/app/bridge"
	"gatehouse/backend/desk"
	"gatehouse/backend/keychain"
	"gatehouse/backend/mail/mailtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	dist := flag.String("dist", "frontend/dist", "the built frontend")
	data := flag.String("data", "", "data folder for the local database (default: a new temporary folder, removed at exit)")
	version := flag.String("version", "harness", "version the App reports")
	keychainKind := flag.String("keychain", "memory", "where sign-in secrets go: memory, or system (the OS keychain)")
	systemBrowser := flag.Bool("system-browser", false, "open sign-in pages in the real system browser instead of recording them")
	demo := flag.Bool("demo", os.Getenv("GATEHOUSE_DEMO") == "1", "load the demo data at start (also GATEHOUSE_DEMO=1)")
	interval := flag.Duration("sync-interval", 0, "how often the App pulls from the portal when nothing wakes it (0: the default, 30s)")
	seedN := flag.Int("seed-users", 0, "write this many accounts straight into the embedded portal's database before starting, and sync them")
	flag.Parse()
	if *seedN < 0 {
		return fmt.Errorf("-seed-users %d: give a number of accounts, 0 or more", *seedN)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dataDir := *data
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "gatehouse-harness-")
		if err != nil {
			return fmt.Errorf("create a data folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	dbPath := filepath.Join(dataDir, "gatehouse.db")
	portalPath := filepath.Join(dataDir, "portal.db")
	if *seedN > 0 {
		t0 := time.Now()
		if err := seedUsers(ctx, portalPath, *seedN, seedBatch, time.Now().UTC()); err != nil {
			return err
		}
		log.Info("seeded the portal", "accounts", *seedN, "took", time.Since(t0))
	}

	rt := desk.NewHeadlessRuntime()
	var kc keychain.Keychain
	switch *keychainKind {
	case "memory":
		kc = keychain.NewMemory()
	case "system":
		kc = keychain.NewSystem()
	default:
		return fmt.Errorf("-keychain %q: use memory or system", *keychainKind)
	}
	var (
		openedMu sync.Mutex
		opened   = []string{}
	)
	openURL := func(u string) error {
		openedMu.Lock()
		opened = append(opened, u)
		openedMu.Unlock()
		rt.Emit("harness:browser", map[string]string{"url": u})
		return nil
	}
	if *systemBrowser {
		openURL = nil // the App's default: the system browser
	}
	a := app.New(app.Config{Keychain: kc, OpenURL: openURL, Version: *version, DatabasePath: dbPath, PortalDatabasePath: portalPath, Logger: log, SyncInterval: *interval}, rt)
	a.Startup(ctx)
	defer a.Shutdown(context.Background())
	if *demo {
		sum, err := a.LoadDemoData()
		if err != nil {
			return fmt.Errorf("load the demo data: %s", app.Payload(err).Message)
		}
		log.Info("demo data loaded", "accounts", sum.Accounts, "organizations", sum.Organizations)
	} else if *seedN > 0 {
		t0 := time.Now()
		st, err := a.SyncNow()
		if err != nil {
			return fmt.Errorf("sync the seeded accounts: %s", app.Payload(err).Message)
		}
		if st.LastError != "" {
			return fmt.Errorf("sync the seeded accounts: %s", st.LastError)
		}
		log.Info("seeded accounts synced", "took", time.Since(t0))
	}

	br, err := bridge.New(bridge.Options{
		Bind:           app.Bound(a),
		ErrorFormatter: app.ErrorFormatter(log),
		Logger:         log,
	})
	if err != nil {
		return err
	}
	defer br.Close()
	unsubscribe := rt.Subscribe(func(e desk.Event) { br.Emit(e.Name, e.Data...) })
	defer unsubscribe()

	front, err := br.Frontend(os.DirFS(*dist))
	if err != nil {
		return fmt.Errorf("%s: %w", *dist, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/bridge/", br.Handler())
	mux.Handle("/", front)
	mux.HandleFunc("POST /harness/drop", func(w http.ResponseWriter, r *http.Request) {
		var d struct {
			X, Y  int
			Paths []string
		}
		if !decode(w, r, &d) {
			return
		}
		rt.DropFiles(d.X, d.Y, d.Paths)
		w.WriteHeader(http.StatusNoContent)
	})
	answer := func(queue func(string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var d struct{ Path string }
			if !decode(w, r, &d) {
				return
			}
			queue(d.Path)
			w.WriteHeader(http.StatusNoContent)
		}
	}
	mux.HandleFunc("POST /harness/dialog/open", answer(rt.AnswerOpenFile))
	mux.HandleFunc("POST /harness/dialog/save", answer(rt.AnswerSaveFile))
	mux.HandleFunc("GET /harness/browser", func(w http.ResponseWriter, r *http.Request) {
		openedMu.Lock()
		defer openedMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string][]string{"urls": opened})
	})
	// A real SMTP server (go-smtp's, backend/mail/mailtest) for the browser tests to send
	// mail to: GET /harness/mail lists what it received, decoded.
	sink, err := mailtest.Start(func(format string, args ...any) { log.Debug(fmt.Sprintf(format, args...)) })
	if err != nil {
		return fmt.Errorf("start the SMTP sink: %w", err)
	}
	defer sink.Close()
	mux.HandleFunc("GET /harness/mail", func(w http.ResponseWriter, r *http.Request) {
		type message struct {
			From    string   `json:"from"`
			To      []string `json:"to"`
			Subject string   `json:"subject"`
			Text    string   `json:"text"`
			HTML    string   `json:"html"`
			Raw     string   `json:"raw"`
		}
		out := []message{}
		for _, m := range sink.Messages() {
			subject := ""
			if m.Header != nil {
				subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			}
			out = append(out, message{From: m.From, To: m.To, Subject: subject, Text: m.Body, HTML: m.HTML, Raw: string(m.Data)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"messages": out})
	})
	mux.HandleFunc("GET /harness/info", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		portalURL, portalToken, _ := a.Desk().EmbeddedPortal()
		// Every value a string, so that a test reads them all alike.
		json.NewEncoder(w).Encode(map[string]string{"dataDir": dataDir, "databasePath": dbPath, "portalUrl": portalURL, "portalToken": portalToken,
			"smtpHost": sink.Host(), "smtpPort": strconv.Itoa(sink.Port())})
	})

	if err := loopbackOnly(*addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: guard(mux, token, ln.Addr().(*net.TCPAddr).Port), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("HARNESS_URL=http://%s/\nHARNESS_DATA=%s\nHARNESS_TOKEN=%s\n", ln.Addr(), dataDir, token)
	log.Info("harness listening", "url", "http://"+ln.Addr().String()+"/", "data", dataDir)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	br.Close() // ends the event streams, or Shutdown would wait for them
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// loopbackOnly refuses an address other computers could reach.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %s: the harness serves every bound method without a sign-in, so it listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make this run's token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const tokenCookie = "harness"

// guard lets /bridge/ and /harness/ through only for this computer with this run's token;
// the page (any other path) sets the token's cookie.
func guard(next http.Handler, token string, port int) http.Handler {
	hosts := map[string]bool{}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		hosts[h+":"+strconv.Itoa(port)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts[r.Host] {
			http.Error(w, "harness: this harness answers requests for its loopback address only, not "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/bridge/") || strings.HasPrefix(r.URL.Path, "/harness/") {
			got := r.Header.Get("X-Harness-Token")
			if c, err := r.Cookie(tokenCookie); got == "" && err == nil {
				got = c.Value
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				http.Error(w, "harness: this run's token is missing or wrong (X-Harness-Token, printed as HARNESS_TOKEN)", http.StatusUnauthorized)
				return
			}
		} else {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		next.ServeHTTP(w, r)
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, "harness: body is not the expected JSON: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
