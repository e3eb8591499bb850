package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
	"gatehouse/backend/server/service"
)

// DefaultMaxBodyBytes bounds request bodies of the admin API.
const DefaultMaxBodyBytes = 1 << 20

func statusFor(code string) int { return api.Status(code, false) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeError answers with the error's JSON form. Errors without a portal code are logged
// and shown as "internal", without their details.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var stale *service.StaleError
	if errors.As(err, &stale) {
		cur, _ := json.Marshal(stale.Current)
		w.Header().Set(api.HeaderETag, etag(stale.Now))
		writeJSON(w, http.StatusPreconditionFailed, api.Error{Code: portal.ECONFLICT, Field: api.HeaderIfMatch, Message: stale.Error(), Current: cur})
		return
	}
	setRetryAfter(w, err, s.clock.Now())
	var pe *portal.Error
	if !errors.As(err, &pe) {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, api.Error{Code: portal.EINTERNAL, Message: portal.ErrorMessage(err)})
		return
	}
	status := statusFor(pe.Code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, api.Error{Code: pe.Code, Message: pe.Message, Field: pe.Field})
}

// readBody reads a request body up to the limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, portal.FieldErrorf("Content-Type", "Send the request body as JSON with Content-Type: application/json, not %q.", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, portal.Errorf(portal.EINVALID, "The request body is larger than the limit of %d bytes. Send fewer records at a time.", mbe.Limit)
	}
	if err != nil {
		return nil, portal.Errorf(portal.EINVALID, "The request body could not be read: %v.", err)
	}
	return body, nil
}

// decodeJSON decodes body strictly into v: one JSON value, no unknown fields. An empty body
// is refused when required and otherwise leaves v as it is.
func decodeJSON(body []byte, v any, required bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return portal.Errorf(portal.EINVALID, "The request body is empty; send a JSON object.")
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	if dec.More() {
		return portal.Errorf(portal.EINVALID, "The request body holds more than one JSON value; send exactly one object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return portal.Errorf(portal.EINVALID, "The request body has something after its JSON object; send exactly one object.")
	}
	return nil
}

// jsonError turns a decoding error into a message that names the field or position.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		return portal.Errorf(portal.EINVALID, "The request body is not valid JSON: %s (line %d, column %d).", strings.TrimPrefix(syn.Error(), "json: "), line, col)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return portal.Errorf(portal.EINVALID, "The request body is not valid JSON: it ends in the middle of a value.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return portal.Errorf(portal.EINVALID, "The request body must be %s, not %s.", typeName(typ.Type.Kind().String()), typ.Value)
		}
		return portal.FieldErrorf(field, "The field %q must be %s, not %s.", field, typeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return portal.FieldErrorf(name, "The field %q is not known here; check its spelling against the API documentation.", name)
	}
	return portal.Errorf(portal.EINVALID, "The request body could not be read as JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return "a " + kind
}

func position(body []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(body)); i++ {
		if body[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// parseIfMatch reads the record version from If-Match: "3", 3 or W/"3". "*" and an absent
// header skip the check.
func parseIfMatch(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, portal.FieldErrorf(api.HeaderIfMatch, "If-Match must be the record's version as its ETag gives it, such as \"3\"; %q is not one.", h)
	}
	return n, nil
}

func checkIdempotencyKey(k string) error {
	if len(k) > 200 {
		return portal.FieldErrorf(api.HeaderIdempotencyKey, "The Idempotency-Key is too long; use at most 200 characters (a UUID is ideal).")
	}
	for _, c := range k {
		if c < '!' || c > '~' {
			return portal.FieldErrorf(api.HeaderIdempotencyKey, "The Idempotency-Key may only hold visible ASCII characters; a UUID is ideal.")
		}
	}
	return nil
}

// newCmd builds a command from the request's headers and body.
func newCmd(r *http.Request, act portal.Actor, body []byte) (*service.Cmd, error) {
	key := r.Header.Get(api.HeaderIdempotencyKey)
	if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	ifMatch, err := parseIfMatch(r.Header.Get(api.HeaderIfMatch))
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n", r.Method, r.URL.Path, r.URL.RawQuery, ifMatch)
	h.Write(body)
	return &service.Cmd{Actor: act, IdempotencyKey: key, RequestHash: hex.EncodeToString(h.Sum(nil)), IfMatch: ifMatch}, nil
}

// versionOf is the version of a record the API answers with, for its ETag; 0 for none.
func versionOf(v any) int64 {
	switch x := v.(type) {
	case portal.Account:
		return x.Version
	case portal.Organization:
		return x.Version
	case portal.Contact:
		return x.Version
	case portal.Invitation:
		return x.Version
	case portal.Role:
		return x.Version
	case api.Template:
		return x.Version
	case api.Settings:
		return x.Version
	case api.InvitationResult:
		return x.Invitation.Version
	}
	return 0
}

// respond writes a successful answer with its ETag and, for a replayed command, the
// Idempotent-Replayed header.
func respond(w http.ResponseWriter, cmd *service.Cmd, status int, v any) error {
	if n := versionOf(v); n > 0 {
		w.Header().Set(api.HeaderETag, etag(n))
	}
	if cmd != nil && cmd.Replayed {
		w.Header().Set(api.HeaderReplayed, "true")
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	writeJSON(w, status, v)
	return nil
}

// command runs one admin command: read and decode the body, build the command, call fn.
func command[Req, Res any](s *Server, w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, bodyRequired bool,
	fn func(cmd *service.Cmd, req Req) (Res, error)) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req Req
	if err := decodeJSON(body, &req, bodyRequired); err != nil {
		return err
	}
	cmd, err := newCmd(r, rc.actor, body)
	if err != nil {
		return err
	}
	res, err := fn(cmd, req)
	if err != nil {
		return err
	}
	return respond(w, cmd, status, res)
}

// empty is the body of commands that take none; "{}" and no body are both fine.
type empty struct{}

// setRetryAfter tells a throttled client when to try again (RFC 9110 10.2.3).
func setRetryAfter(w http.ResponseWriter, err error, now time.Time) {
	var th *service.ThrottledError
	if errors.As(err, &th) {
		w.Header().Set("Retry-After", strconv.Itoa(th.RetryAfter(now)))
	}
}

// clientAddr is the address a request came from, for the throttles: the connection's,
// or, when that is one of the trusted proxies, the last address in X-Forwarded-For that
// is not (a client can write anything at the front of the header; the proxies append).
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.cfg.TrustedProxies) == 0 || !s.trustedProxy(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if !s.trustedProxy(hop) {
			return hop
		}
		host = hop
	}
	return host
}

func (s *Server) trustedProxy(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}
