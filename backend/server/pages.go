package server

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html"
	"html/template"
	"net/http"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

//go:embed templates/*.html
var templateFS embed.FS

const (
	sessionCookie = "gh_session"
	csrfCookie    = "gh_csrf"
	maxFormBytes  = 64 << 10
)

// Links in page templates that stand for form buttons: the page turns them into buttons
// of a CSRF-protected POST form, so that following a link never changes anything.
const (
	actionRequestAccess  = "/account/request-access"
	actionConfirmDeny    = "/approvals/decide?decision=deny"
	actionApproveInstead = "/approvals/decide?decision=approve"
)

// part is a piece of a rendered page text: text, a link, or a form button.
type part struct {
	HTML      template.HTML
	Text      string
	URL       string
	Button    bool
	Value     string
	Secondary bool
}

// page is what every page template gets.
type page struct {
	Title, ProductName, CSRF, Error string
	Data                            any
}

type pageTemplates map[string]*template.Template

func parsePages() pageTemplates {
	out := pageTemplates{}
	for _, name := range []string{"home", "message", "account", "deny", "approve", "invite"} {
		out[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// toParts turns rendered template segments into page parts; links to the given actions
// become buttons (returned separately, in order).
func toParts(segs []mail.Segment, actions map[string]string) (parts, buttons []part) {
	for _, sg := range segs {
		if sg.URL != "" {
			if v, ok := actions[sg.URL]; ok {
				buttons = append(buttons, part{Text: sg.Text, Button: true, Value: v, Secondary: len(buttons) > 0})
				continue
			}
			parts = append(parts, part{Text: sg.Text, URL: sg.URL})
			continue
		}
		t := html.EscapeString(strings.TrimRight(sg.Text, "\n"))
		t = strings.ReplaceAll(t, "\n\n", "</p><p>")
		t = strings.ReplaceAll(t, "\n", "<br>")
		if strings.TrimSpace(t) != "" {
			parts = append(parts, part{HTML: template.HTML("<p>" + t + "</p>")}) // escaped above
		}
	}
	return parts, buttons
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	// same-origin, not no-referrer: invitation and approval links carry tokens, and no other
	// site may see them; but with no-referrer a browser sends "Origin: null" on the page's own
	// forms over plain http (where it sends no Sec-Fetch-Site either), and the cross-origin
	// check would refuse a person setting their password.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) error {
	p := page{Title: title, ProductName: s.svc.ProductName(r.Context()), CSRF: s.csrfToken(w, r), Error: errMsg, Data: data}
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write([]byte(b.String()))
	return err
}

type messageData struct {
	Parts, Buttons []part
	Form           string
	Back, BackText string
}

// renderMessage shows a short message with a way back.
func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, title, msg string) error {
	return s.render(w, r, status, "message", title, messageData{Parts: []part{{HTML: template.HTML("<p>" + html.EscapeString(msg) + "</p>")}}, Back: "/", BackText: "Go back to the sign in page"}, "")
}

// renderError shows an error as a page with the status its code stands for.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := portal.ErrorCode(err)
	title := map[string]string{
		portal.EINVALID: "Please check your input", portal.EUNAUTHORIZED: "Sign-in needed", portal.EFORBIDDEN: "Not allowed",
		portal.ENOTFOUND: "Not found", portal.ECONFLICT: "This cannot be done now", portal.ETOOMANY: "Too many tries",
	}[code]
	setRetryAfter(w, err, s.clock.Now())
	if title == "" {
		title = "Something went wrong"
		s.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e := s.renderMessage(w, r, statusFor(code), title, portal.ErrorMessage(err)); e != nil {
		s.log.Error("render error page", "err", e)
	}
}

// pageHandler wraps a page handler with headers and error pages.
func (s *Server) pageHandler(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// formHandler wraps a handler of a POST form: size limit, CSRF check (a double-submit
// cookie, on top of net/http's cross-origin protection), then h.
func (s *Server) formHandler(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return s.pageHandler(func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return portal.Errorf(portal.EINVALID, "The form could not be read (%v). Go back and try again.", err)
		}
		c, err := r.Cookie(csrfCookie)
		sent := r.PostForm.Get("csrf")
		if err != nil || sent == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(sent)) != 1 {
			return portal.Errorf(portal.EFORBIDDEN, "This form expired or was not sent from this portal's own page. Go back, reload the page and try again.")
		}
		return h(w, r)
	})
}

// csrfToken returns the browser's CSRF token, setting the cookie on first use.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return v
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	if token == "" {
		return
	}
	// The cookie may outlive the session: the session's own expiry, from the portal's
	// setting, is what the server checks.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int((30 * 24 * time.Hour).Seconds())})
}

// webAccount returns the signed-in end user, if any.
func (s *Server) webAccount(r *http.Request) (portal.Account, string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return portal.Account{}, "", false
	}
	a, err := s.svc.WebAccount(r.Context(), c.Value)
	if err != nil {
		return portal.Account{}, "", false
	}
	return a, c.Value, true
}

// pageRoutes registers the end-user pages.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	s.pages = parsePages()
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle("POST "+pattern, cop.Handler(s.formHandler(h)))
	}
	get := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle("GET "+pattern, s.pageHandler(h))
	}
	get("/{$}", s.handleHome)
	get("/login", s.handleLogin)
	get("/auth/callback", s.handleCallback)
	post("/login/password", s.handlePasswordLogin)
	post("/logout", s.handleLogout)
	get("/account", s.handleAccount)
	get("/account/request-access", s.handleAccount)
	post("/account/request-access", s.handleRequestAccess)
	post("/account/registration", s.handleRegistration)
	get("/approvals/approve", s.handleApprovePage)
	get("/approvals/deny", s.handleDenyPage)
	post("/approvals/decide", s.handleDecide)
	get("/invite/{token}", s.handleInvitePage)
	post("/invite/{token}/password", s.handleInvitePassword)
	post("/invite/{token}/sso", s.handleInviteSSO)
}
