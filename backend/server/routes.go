package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

// reqCtx is what an authenticated API request carries.
type reqCtx struct {
	actor   portal.Actor
	account *portal.Account
	token   string
}

type apiFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error

// Route is one admin API route, listed for documentation and the authorisation test.
type Route struct {
	Method, Pattern string
	Public          bool
}

// routes builds the handler. The API table below is the contract with backend/client.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		h := rt.h
		if rt.public {
			mux.Handle(rt.method+" "+rt.pattern, s.publicAPI(h))
		} else {
			mux.Handle(rt.method+" "+rt.pattern, s.api(h))
		}
	}
	mux.Handle("/api/", s.publicAPI(func(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
		return portal.Errorf(portal.ENOTFOUND, "There is no API endpoint %s %s. See GET /api/v1 for the list.", r.Method, r.URL.Path)
	}))
	mux.Handle("GET /api/v1", s.publicAPI(s.handleIndex))
	// /healthz: the process answers (for a supervisor that restarts it). /readyz: it can
	// serve, its database reachable and its schema current (for a load balancer that sends
	// it requests).
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	s.pageRoutes(mux)
	s.scimRoutes(mux)
	return s.hsts(s.guardHost(mux))
}

// hsts tells browsers to come back over HTTPS only, for a year, when the server serves it.
func (s *Server) hsts(next http.Handler) http.Handler {
	if s.cfg.TLS == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

type apiRoute struct {
	method, pattern string
	public          bool
	h               apiFunc
}

func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"POST", "/api/v1/session", true, s.handleCreateSession},
		{"DELETE", "/api/v1/session", false, s.handleDeleteSession},
		{"GET", "/api/v1/me", false, s.handleMe},
		{"GET", "/api/v1/changes", false, s.handleChanges},

		{"GET", "/api/v1/organizations", false, s.handleListOrganizations},
		{"POST", "/api/v1/organizations", false, s.handleCreateOrganization},
		{"GET", "/api/v1/organizations/{id}", false, s.handleGetOrganization},
		{"PUT", "/api/v1/organizations/{id}", false, s.handleUpdateOrganization},
		{"DELETE", "/api/v1/organizations/{id}", false, s.handleDeleteOrganization},

		{"GET", "/api/v1/contacts", false, s.handleListContacts},
		{"POST", "/api/v1/contacts", false, s.handleCreateContact},
		{"POST", "/api/v1/contacts/bulk", false, s.handleBulkContacts},
		{"GET", "/api/v1/contacts/{id}", false, s.handleGetContact},
		{"PUT", "/api/v1/contacts/{id}", false, s.handleUpdateContact},
		{"DELETE", "/api/v1/contacts/{id}", false, s.handleDeleteContact},
		{"POST", "/api/v1/users", false, s.handleAddUsers},

		{"GET", "/api/v1/accounts", false, s.handleListAccounts},
		{"GET", "/api/v1/accounts/{id}", false, s.handleGetAccount},
		{"POST", "/api/v1/accounts/{id}/approve", false, s.accountAction((*service.Service).Approve)},
		{"POST", "/api/v1/accounts/{id}/deny", false, s.handleDeny},
		{"POST", "/api/v1/accounts/{id}/approve-instead", false, s.accountAction((*service.Service).ApproveInstead)},
		{"POST", "/api/v1/accounts/{id}/restore", false, s.accountAction((*service.Service).Restore)},
		{"POST", "/api/v1/accounts/{id}/purge", false, s.handlePurge},
		{"POST", "/api/v1/accounts/{id}/promote", false, s.handlePromote},
		{"POST", "/api/v1/accounts/{id}/roles", false, s.handleSetRoles},
		{"POST", "/api/v1/accounts/{id}/org-admin", false, s.handleSetOrgAdmin},
		{"POST", "/api/v1/accounts/{id}/deactivate", false, s.accountAction((*service.Service).Deactivate)},
		{"POST", "/api/v1/accounts/{id}/reactivate", false, s.accountAction((*service.Service).Reactivate)},
		{"POST", "/api/v1/accounts/{id}/complete-registration", false, s.accountAction((*service.Service).CompleteRegistration)},
		{"POST", "/api/v1/accounts/{id}/delete-client-record", false, s.accountAction((*service.Service).DeleteClientRecord)},

		{"GET", "/api/v1/invitations", false, s.handleListInvitations},
		{"POST", "/api/v1/invitations", false, s.handleCreateInvitation},
		{"POST", "/api/v1/invitations/bulk", false, s.handleBulkInvitations},
		{"GET", "/api/v1/invitations/{id}", false, s.handleGetInvitation},
		{"POST", "/api/v1/invitations/{id}/resend", false, s.handleResendInvitation},
		{"POST", "/api/v1/invitations/{id}/revoke", false, s.handleRevokeInvitation},

		{"GET", "/api/v1/roles", false, s.handleListRoles},
		{"PUT", "/api/v1/roles/{id}", false, s.handlePutRole},
		{"DELETE", "/api/v1/roles/{id}", false, s.handleDeleteRole},

		{"GET", "/api/v1/audit", false, s.handleListAudit},
		{"POST", "/api/v1/audit/desktop-events", false, s.handleRecordDesktopEvents},
		{"GET", "/api/v1/mail", false, s.handleListMail},
		{"POST", "/api/v1/mail/{id}/retry", false, s.handleRetryMail},

		{"GET", "/api/v1/templates", false, s.handleListTemplates},
		{"GET", "/api/v1/templates/{key}", false, s.handleGetTemplate},
		{"PUT", "/api/v1/templates/{key}", false, s.handleUpdateTemplate},

		{"GET", "/api/v1/directory-tokens", false, s.handleListDirectoryTokens},
		{"POST", "/api/v1/directory-tokens", false, s.handleCreateDirectoryToken},
		{"POST", "/api/v1/directory-tokens/{id}/revoke", false, s.handleRevokeDirectoryToken},

		{"GET", "/api/v1/settings", false, s.handleGetSettings},
		{"PUT", "/api/v1/settings", false, s.handleUpdateSettings},
	}
}

// Routes lists the admin API routes.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.apiRoutes() {
		out = append(out, Route{Method: r.method, Pattern: r.pattern, Public: r.public})
	}
	return out
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	writeJSON(w, http.StatusOK, map[string]any{"routes": s.Routes(), "embedded": s.cfg.Embedded})
	return nil
}

// api wraps a handler that needs an authenticated caller.
func (s *Server) api(h apiFunc) http.Handler {
	return s.publicAPI(func(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
		rc, err := s.authenticate(r.Context(), r)
		if err != nil {
			return err
		}
		return h(w, r, rc)
	})
}

func (s *Server) publicAPI(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := h(w, r, &reqCtx{}); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// embeddedActor is who the embedded portal's start token acts for (Config.EmbeddedActor).
func (s *Server) embeddedActor() portal.Actor {
	if s.cfg.EmbeddedActor == nil {
		return portal.SystemActor()
	}
	act := s.cfg.EmbeddedActor()
	if act.ID == "" {
		return portal.SystemActor()
	}
	act.SystemAdmin, act.UserSetup, act.OrgAdminOf = true, true, ""
	return act
}

// authenticate works out who sent an API request.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*reqCtx, error) {
	token := bearer(r)
	if token == "" {
		return nil, portal.Errorf(portal.EUNAUTHORIZED, "Sign in first: send your API session token as \"Authorization: Bearer <token>\" (get one from POST /api/v1/session).")
	}
	if s.cfg.Embedded {
		if s.embeddedToken(token) {
			return &reqCtx{actor: s.embeddedActor(), token: token}, nil
		}
		return nil, portal.Errorf(portal.EUNAUTHORIZED, "This embedded portal accepts only the token it was started with.")
	}
	sess, err := s.svc.Authenticate(ctx, token, service.SessionAPI)
	if err != nil {
		return nil, err
	}
	act, acc, err := s.svc.ResolveActor(ctx, sess.AccountID)
	if err != nil {
		return nil, err
	}
	return &reqCtx{actor: act, account: &acc, token: token}, nil
}

// guardHost refuses requests in embedded mode whose Host is not the loopback address the
// server listens on, so that a web page cannot reach it through DNS rebinding.
func (s *Server) guardHost(next http.Handler) http.Handler {
	if !s.cfg.Embedded {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(s.BaseURL())
		// The public address the administrator set (a tunnel or a proxy to this computer)
		// is this portal too; any other name is someone else's page pointing here.
		pub, _ := url.Parse(s.svc.LinkBase())
		if err != nil || (r.Host != u.Host && (pub == nil || r.Host != pub.Host)) {
			writeJSON(w, http.StatusMisdirectedRequest, api.Error{Code: portal.EFORBIDDEN, Message: "This embedded portal answers only requests addressed to " + u.Host + "."})
			return
		}
		next.ServeHTTP(w, r)
	})
}
