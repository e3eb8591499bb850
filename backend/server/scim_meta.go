package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	filter "github.com/scim2/filter-parser/v2"
	"golang.org/x/time/rate"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/scim"
	"gatehouse/backend/server/service"
)

// The SCIM 2.0 endpoint (/scim/v2), through which directories — Microsoft Entra ID, Okta,
// Google Workspace — create, change and deactivate people. Each request carries a
// directory's bearer token (made by an administrator in the desktop); what the directory
// may do is the portal's rules with the directory as the actor (service/directory.go).

// scimFunc is a SCIM handler: it answers, or returns the error to answer with.
type scimFunc func(w http.ResponseWriter, r *http.Request, d portal.Directory) error

// Default per-token request rate of the SCIM endpoint: enough for a directory's
// provisioning cycle (Entra sends a few requests per second), not for a flood.
const (
	DefaultSCIMRate  = 25
	DefaultSCIMBurst = 100
)

// scimLimiter holds one token bucket per directory, in this process: several server
// processes each grant the rate (the throttle on wrong tokens is in the database).
type scimLimiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func (l *scimLimiter) wait(dir string, now time.Time) time.Duration {
	l.mu.Lock()
	b := l.buckets[dir]
	if b == nil {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[dir] = b
	}
	l.mu.Unlock()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

func (s *Server) scimRoutes(mux *http.ServeMux) {
	routes := []struct {
		pattern string
		h       scimFunc
	}{
		{"GET /scim/v2/ServiceProviderConfig", s.handleSCIMConfig},
		{"GET /scim/v2/ResourceTypes", s.handleSCIMResourceTypes},
		{"GET /scim/v2/ResourceTypes/{id}", s.handleSCIMResourceTypes},
		{"GET /scim/v2/Schemas", s.handleSCIMSchemas},
		{"GET /scim/v2/Schemas/{id}", s.handleSCIMSchemas},
		{"GET /scim/v2/Users", s.handleSCIMListUsers},
		{"POST /scim/v2/Users", s.handleSCIMCreateUser},
		{"GET /scim/v2/Users/{id}", s.handleSCIMGetUser},
		{"PUT /scim/v2/Users/{id}", s.handleSCIMReplaceUser},
		{"PATCH /scim/v2/Users/{id}", s.handleSCIMPatchUser},
		{"DELETE /scim/v2/Users/{id}", s.handleSCIMDeleteUser},
		{"GET /scim/v2/Groups", s.handleSCIMListGroups},
		{"POST /scim/v2/Groups", s.handleSCIMCreateGroup},
		{"GET /scim/v2/Groups/{id}", s.handleSCIMGetGroup},
		{"PUT /scim/v2/Groups/{id}", s.handleSCIMReplaceGroup},
		{"PATCH /scim/v2/Groups/{id}", s.handleSCIMPatchGroup},
		{"DELETE /scim/v2/Groups/{id}", s.handleSCIMDeleteGroup},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, s.scim(rt.h))
	}
	mux.Handle("/scim/", s.scim(func(w http.ResponseWriter, r *http.Request, _ portal.Directory) error {
		return scim.Errorf(http.StatusNotFound, "", "There is no SCIM endpoint %s %s. The portal serves /scim/v2/Users, /scim/v2/Groups and the discovery resources.", r.Method, r.URL.Path)
	}))
}

// scim authenticates the directory, applies its rate, and answers errors as SCIM errors.
func (s *Server) scim(h scimFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		d, err := s.svc.AuthenticateDirectory(r.Context(), bearer(r), s.clientAddr(r))
		if err == nil {
			if wait := s.scimRate.wait(d.ID, s.clock.Now()); wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
				err = scim.Errorf(http.StatusTooManyRequests, "", "%s sends more than %v requests a second; wait and send again.", d.Name, float64(s.scimRate.rate))
			}
		}
		if err == nil {
			err = h(w, r, d)
		}
		if err != nil {
			s.writeSCIMError(w, r, err)
		}
	})
}

func (s *Server) scimBase() string { return s.svc.SCIMBase() }

func writeSCIM(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scim.ContentType+"; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeSCIMError answers in the SCIM error schema (RFC 7644 3.12), with the portal's
// sentence as the detail.
func (s *Server) writeSCIMError(w http.ResponseWriter, r *http.Request, err error) {
	var se *scim.Error
	if errors.As(err, &se) {
		writeSCIM(w, se.Code(), se)
		return
	}
	var stale *service.StaleError
	if errors.As(err, &stale) {
		w.Header().Set("ETag", scim.ETag(stale.Now))
		writeSCIM(w, http.StatusPreconditionFailed, scim.Errorf(http.StatusPreconditionFailed, "", "%s", stale.Error()))
		return
	}
	setRetryAfter(w, err, s.clock.Now())
	var pe *portal.Error
	if !errors.As(err, &pe) {
		s.log.Error("SCIM request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeSCIM(w, http.StatusInternalServerError, scim.Errorf(http.StatusInternalServerError, "", "%s", portal.ErrorMessage(err)))
		return
	}
	status, typ := statusFor(pe.Code), ""
	switch {
	case pe.Code == portal.EINVALID:
		typ = "invalidValue"
	case pe.Code == portal.ECONFLICT && (pe.Field == "userName" || pe.Field == "displayName"):
		typ = "uniqueness"
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse-scim"`)
	}
	writeSCIM(w, status, scim.Errorf(status, typ, "%s", pe.Message))
}

// readSCIM reads a SCIM request body: JSON, as application/scim+json or application/json.
func (s *Server) readSCIM(w http.ResponseWriter, r *http.Request) (scim.Doc, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return scim.ParseDoc(body)
}

// ifMatch reads the version a directory saw, from If-Match (W/"3"); 0 when absent.
func ifMatch(r *http.Request) (int64, error) {
	v, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		return 0, scim.Errorf(http.StatusBadRequest, "invalidValue", "%s", portal.ErrorMessage(err))
	}
	return v, nil
}

// respondResource answers with a resource, its ETag and, for a new one, its Location.
func respondResource(w http.ResponseWriter, status int, meta scim.Meta, v any) error {
	w.Header().Set("ETag", meta.Version)
	if status == http.StatusCreated {
		w.Header().Set("Location", meta.Location)
	}
	writeSCIM(w, status, v)
	return nil
}

// writeList answers one page of a list: the startIndex/count window of all of it, with the
// total (RFC 7644 3.4.2).
func writeList(w http.ResponseWriter, all []any, start, count int) {
	from, to := scim.Page(len(all), start, count)
	writeSCIM(w, http.StatusOK, scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, TotalResults: len(all),
		StartIndex: max(start, 1), ItemsPerPage: to - from, Resources: all[from:to]})
}

// listRequest reads a list request: startIndex, count and filter (nil for none).
func listRequest(r *http.Request) (start, count int, expr filter.Expression, err error) {
	if start, count, err = listParams(r); err != nil {
		return 0, 0, nil, err
	}
	if raw := r.URL.Query().Get("filter"); raw != "" {
		expr, err = scim.ParseFilter(raw)
	}
	return start, count, expr, err
}

// readReplace reads a PUT: the resource and the version the directory saw.
func (s *Server) readReplace(w http.ResponseWriter, r *http.Request) (scim.Doc, int64, error) {
	doc, err := s.readSCIM(w, r)
	if err != nil {
		return nil, 0, err
	}
	version, err := ifMatch(r)
	return doc, version, err
}

// readPatch reads a PATCH: its operations and the version the directory saw.
func (s *Server) readPatch(w http.ResponseWriter, r *http.Request) ([]scim.Op, int64, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, 0, err
	}
	ops, err := scim.ParsePatch(body)
	if err != nil {
		return nil, 0, err
	}
	version, err := ifMatch(r)
	return ops, version, err
}

// listParams reads startIndex and count (RFC 7644 3.4.2.4).
func listParams(r *http.Request) (start, count int, err error) {
	start, count = 1, scim.DefaultCount
	q := r.URL.Query()
	if v := q.Get("startIndex"); v != "" {
		if start, err = strconv.Atoi(v); err != nil {
			return 0, 0, scim.Errorf(http.StatusBadRequest, "invalidValue", "startIndex must be a whole number, not %q.", v)
		}
	}
	if v := q.Get("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil {
			return 0, 0, scim.Errorf(http.StatusBadRequest, "invalidValue", "count must be a whole number, not %q.", v)
		}
	}
	return start, min(count, scim.MaxCount), nil
}

func (s *Server) handleSCIMConfig(w http.ResponseWriter, _ *http.Request, _ portal.Directory) error {
	writeSCIM(w, http.StatusOK, scim.ServiceProviderConfig(s.scimBase()))
	return nil
}

func (s *Server) handleSCIMResourceTypes(w http.ResponseWriter, r *http.Request, _ portal.Directory) error {
	return discovery(w, r, scim.ResourceTypes(s.scimBase()))
}

func (s *Server) handleSCIMSchemas(w http.ResponseWriter, r *http.Request, _ portal.Directory) error {
	return discovery(w, r, scim.Schemas(s.scimBase()))
}

// discovery answers a list of discovery resources, or the one named by the path.
func discovery(w http.ResponseWriter, r *http.Request, all []map[string]any) error {
	if id := r.PathValue("id"); id != "" {
		for _, res := range all {
			if res["id"] == id {
				writeSCIM(w, http.StatusOK, res)
				return nil
			}
		}
		return scim.Errorf(http.StatusNotFound, "", "There is no %q here.", id)
	}
	items := make([]any, len(all))
	for i, res := range all {
		items[i] = res
	}
	writeSCIM(w, http.StatusOK, scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, TotalResults: len(items), StartIndex: 1, ItemsPerPage: len(items), Resources: items})
	return nil
}
