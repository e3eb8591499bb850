package server

import (
	"net/http"
	"strings"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

// Approval links carry a one-time token made for one approver and one request, rather
// than asking the approver to sign in: approvers read these e-mails on their phones, and
// many of them have no end-user login on the portal. The token is random (256 bits),
// stored hashed, expires, is checked against the approver's current rights when used,
// and is retired, with every other link of the same request, by the first decision.
// Opening a link (GET) only shows a confirmation page, because mail scanners follow
// links; deciding takes a POST from that page, protected against CSRF.

type approveData struct {
	Account portal.Account
	Token   string
	DenyURL string
}

func (s *Server) approvalView(r *http.Request) (string, portal.Account, error) {
	token := r.URL.Query().Get("token")
	if token == "" {
		return "", portal.Account{}, portal.Errorf(portal.EINVALID, "The link has no token: open the whole link from the e-mail.")
	}
	v, err := s.svc.ApprovalLink(r.Context(), token)
	if err != nil {
		return "", portal.Account{}, err
	}
	if v.Account.Status != portal.StatusPending {
		return "", v.Account, portal.Errorf(portal.ECONFLICT, "The request of %s has already been decided: the account is %s.", v.Account.Email, v.Account.Status)
	}
	return token, v.Account, nil
}

func (s *Server) handleApprovePage(w http.ResponseWriter, r *http.Request) error {
	token, a, err := s.approvalView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "approve", "Approve the User Access Request", approveData{Account: a, Token: token, DenyURL: s.svc.ApprovalURL("deny", token)}, "")
}

type denyData struct {
	Parts, Buttons []part
	Token, Reason  string
}

func (s *Server) renderDeny(w http.ResponseWriter, r *http.Request, status int, token string, a portal.Account, reason, errMsg string) error {
	heading, _, segs, err := s.svc.PageText(r.Context(), mail.KeyDenyConfirm, &a, map[string]string{
		mail.VarConfirmDenyURL: actionConfirmDeny, mail.VarApproveInsteadURL: actionApproveInstead,
	})
	if err != nil {
		return err
	}
	parts, buttons := toParts(segs, map[string]string{actionConfirmDeny: "deny", actionApproveInstead: "approve"})
	return s.render(w, r, status, "deny", heading, denyData{Parts: parts, Buttons: buttons, Token: token, Reason: reason}, errMsg)
}

func (s *Server) handleDenyPage(w http.ResponseWriter, r *http.Request) error {
	token, a, err := s.approvalView(r)
	if err != nil {
		return err
	}
	return s.renderDeny(w, r, http.StatusOK, token, a, "", "")
}

// handleDecide approves or denies through an approval link.
func (s *Server) handleDecide(w http.ResponseWriter, r *http.Request) error {
	token, decision, reason := r.PostForm.Get("token"), r.PostForm.Get("decision"), strings.TrimSpace(r.PostForm.Get("reason"))
	if decision != "approve" && decision != "deny" {
		return portal.Errorf(portal.EINVALID, "Choose to approve or to deny the request.")
	}
	a, err := s.svc.DecideByLink(r.Context(), token, decision == "approve", reason)
	if portal.ErrorCode(err) == portal.EINVALID {
		v, verr := s.svc.ApprovalLink(r.Context(), token)
		if verr != nil {
			return verr
		}
		return s.renderDeny(w, r, http.StatusBadRequest, token, v.Account, reason, portal.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	if a.Status == portal.StatusActive {
		return s.renderMessage(w, r, http.StatusOK, "Access approved", a.Name+" ("+a.Email+") can now sign in. They have been sent an e-mail saying so.")
	}
	return s.renderMessage(w, r, http.StatusOK, "Request denied", "The request of "+a.Name+" ("+a.Email+") was denied. The account is in the recycle bin, where an administrator can still restore it.")
}
