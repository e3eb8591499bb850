package server

import (
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/store"
)

type inviteData struct {
	Account      portal.Account
	Organization string
	Expires      string
	Token        string
	SSO          bool
}

func (s *Server) renderInvite(w http.ResponseWriter, r *http.Request, status int, token, errMsg string) error {
	inv, a, err := s.svc.InvitationFrom(r.Context(), token, s.clientAddr(r))
	if err != nil {
		return err
	}
	d := inviteData{Account: a, Expires: inv.ExpiresAt.Format("2 January 2006 15:04 MST"), Token: token, SSO: s.sso != nil}
	if a.OrganizationID != "" {
		_ = s.store.View(r.Context(), func(rd store.Reader) error {
			if o, err := rd.Organization(r.Context(), a.OrganizationID); err == nil {
				d.Organization = o.Name
			}
			return nil
		})
	}
	return s.render(w, r, status, "invite", "Set up your access", d, errMsg)
}

// handleInvitePage shows what a one-time invitation link offers: set a password, or bind
// the person's SSO identity. Opening it changes nothing.
func (s *Server) handleInvitePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderInvite(w, r, http.StatusOK, r.PathValue("token"), "")
}

func (s *Server) handleInvitePassword(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("confirm") {
		return s.renderInvite(w, r, http.StatusBadRequest, token, "The two passwords are not the same. Type the same password twice.")
	}
	res, err := s.svc.AcceptWithPassword(r.Context(), token, pw, s.clientAddr(r))
	if portal.ErrorCode(err) == portal.EINVALID {
		return s.renderInvite(w, r, http.StatusBadRequest, token, portal.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	s.setSession(w, res.Session)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (s *Server) handleInviteSSO(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, _, err := s.svc.InvitationForToken(r.Context(), token); err != nil {
		return err
	}
	return s.startSSO(w, r, portal.HashToken(token))
}
