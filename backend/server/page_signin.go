package server

import (
	"html"
	"html/template"
	"net/http"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

type homeData struct {
	SSO   bool
	Email string
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	if _, _, ok := s.webAccount(r); ok {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "home", "Sign in", homeData{SSO: s.sso != nil}, "")
}

func (s *Server) handlePasswordLogin(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	res, err := s.svc.SignInPassword(r.Context(), email, r.PostForm.Get("password"), s.clientAddr(r))
	if portal.ErrorCode(err) == portal.EUNAUTHORIZED {
		return s.render(w, r, http.StatusUnauthorized, "home", "Sign in", homeData{SSO: s.sso != nil, Email: email}, portal.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	if res.Refusal != nil && res.Session == "" {
		return s.renderRefusal(w, r, res.Account, res.Refusal)
	}
	s.setSession(w, res.Session)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if _, token, ok := s.webAccount(r); ok {
		if err := s.svc.RevokeSession(r.Context(), token); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

type accountData struct {
	Account                 portal.Account
	Ghost                   bool
	Access                  string
	LastLogin, LastLoginISO string
}

// handleAccount shows the signed-in person where they stand: signed in, waiting for
// approval (with Request access), denied, or otherwise refused.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.webAccount(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	if _, _, err := portal.SignIn(s.clock.Now(), a); err != nil {
		return s.renderRefusal(w, r, a, err)
	}
	d := accountData{Account: a, Ghost: a.Ghost()}
	var err error
	if d.Access, err = s.svc.AccessSentence(r.Context(), a); err != nil {
		return err
	}
	if a.LastLoginAt != nil {
		d.LastLogin, d.LastLoginISO = a.LastLoginAt.Format("2 January 2006 15:04 MST"), a.LastLoginAt.Format(time.RFC3339)
	}
	return s.render(w, r, http.StatusOK, "account", "Your account", d, "")
}

// renderRefusal shows why an account may not use the portal, with the configurable
// "not authorised" text and its Request access button for a pending account, and the
// "denied" text for a denied one.
func (s *Server) renderRefusal(w http.ResponseWriter, r *http.Request, a portal.Account, refusal error) error {
	switch a.Status {
	case portal.StatusPending:
		heading, _, segs, err := s.svc.PageText(r.Context(), mail.KeyNotAuthorised, &a, map[string]string{mail.VarRequestAccessURL: actionRequestAccess})
		if err != nil {
			return err
		}
		parts, buttons := toParts(segs, map[string]string{actionRequestAccess: "request"})
		if len(buttons) == 0 {
			// The template was edited and lost its link; the person must still be able to ask.
			buttons = []part{{Text: "Request Access", Button: true, Value: "request"}}
		}
		if a.AccessRequestedAt != nil {
			parts = append(parts, part{HTML: template.HTML("<p class=\"note\">Your request was sent to the approvers on " + html.EscapeString(a.AccessRequestedAt.Format("2 January 2006 15:04 MST")) + ".</p>")})
		}
		return s.render(w, r, http.StatusForbidden, "message", heading, messageData{Parts: parts, Buttons: buttons, Form: actionRequestAccess}, "")
	case portal.StatusDenied:
		heading, _, segs, err := s.svc.PageText(r.Context(), mail.KeyDenied, &a, nil)
		if err != nil {
			return err
		}
		parts, _ := toParts(segs, nil)
		return s.render(w, r, http.StatusForbidden, "message", heading, messageData{Parts: parts, Back: "/", BackText: "Go back to the sign in page"}, "")
	}
	return s.renderMessage(w, r, statusFor(portal.ErrorCode(refusal)), "You cannot sign in", portal.ErrorMessage(refusal))
}

// handleRequestAccess e-mails the approvers, once per the configured interval.
func (s *Server) handleRequestAccess(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.webAccount(r)
	if !ok {
		return portal.Errorf(portal.EUNAUTHORIZED, "Sign in first, then request access.")
	}
	b, err := s.svc.RequestAccess(r.Context(), a.ID, s.clientAddr(r))
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return s.renderMessage(w, r, http.StatusTooManyRequests, "Request not sent again", portal.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	heading, _, segs, err := s.svc.PageText(r.Context(), mail.KeyAccessRequestSent, &b, nil)
	if err != nil {
		return err
	}
	parts, _ := toParts(segs, nil)
	return s.render(w, r, http.StatusOK, "message", heading, messageData{Parts: parts}, "")
}

// handleRegistration lets a client who signed up through SSO finish registering.
func (s *Server) handleRegistration(w http.ResponseWriter, r *http.Request) error {
	a, _, ok := s.webAccount(r)
	if !ok {
		return portal.Errorf(portal.EUNAUTHORIZED, "Sign in first.")
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if name == "" {
		return portal.FieldErrorf("name", "Enter your full name.")
	}
	if _, err := s.svc.CompleteOwnRegistration(r.Context(), a.ID, name); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}
