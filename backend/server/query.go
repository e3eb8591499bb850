package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// query reads URL query parameters, remembering the first bad one.
type query struct {
	v   url.Values
	err error
}

func newQuery(r *http.Request, allowed ...string) *query {
	q := &query{v: r.URL.Query()}
	for k := range q.v {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok && q.err == nil {
			q.err = portal.FieldErrorf(k, "The query parameter %q is not known here; this endpoint takes %s.", k, strings.Join(allowed, ", "))
		}
	}
	return q
}

func (q *query) str(name string) string { return q.v.Get(name) }

func (q *query) int(name string) int {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if (err != nil || n < 0) && q.err == nil {
		q.err = portal.FieldErrorf(name, "The query parameter %q must be a whole number of 0 or more, not %q.", name, s)
	}
	return n
}

func (q *query) int64(name string) int64 {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if (err != nil || n < 0) && q.err == nil {
		q.err = portal.FieldErrorf(name, "The query parameter %q must be a whole number of 0 or more, not %q.", name, s)
	}
	return n
}

func (q *query) time(name string) time.Time {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil && q.err == nil {
		q.err = portal.FieldErrorf(name, "The query parameter %q must be a time like 2026-03-01T00:00:00Z, not %q.", name, s)
	}
	return t
}

func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (q *query) oneOf(name string, allowed ...string) string {
	s := q.v.Get(name)
	if s == "" {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if q.err == nil {
		q.err = portal.FieldErrorf(name, "The query parameter %q must be one of %s, not %q.", name, strings.Join(allowed, ", "), s)
	}
	return ""
}
