package replica_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
)

// TestContactsFollowTheirOrganisation: contacts queued after their organisation's
// creation wait while it is still to be sent, and are refused naming it, with its
// reason, once it is refused for good — not with an identifier the import made up.
func TestContactsFollowTheirOrganisation(t *testing.T) {
	var orgAnswer atomic.Int32 // 0: the server answers; otherwise this status
	p := newNormalPortal(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if st := int(orgAnswer.Load()); st != 0 && r.Method == http.MethodPost && r.URL.Path == "/api/v1/organizations" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(st)
				code := map[int]string{http.StatusInternalServerError: portal.EINTERNAL, http.StatusForbidden: portal.EFORBIDDEN}[st]
				_, _ = w.Write([]byte(`{"code":"` + code + `","message":"Only a system administrator may add organisations."}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := newDesk(t, p)
	d.pull()
	queue := func(org, name string, people ...string) []string {
		changes := []imports.ApplyChange{{Key: "k-" + org, Organization: &portal.Organization{ID: org, Name: name}}}
		for _, id := range people {
			changes = append(changes, imports.ApplyChange{Key: "k-" + id, Contact: &portal.Contact{ID: id, OrganizationID: org, FullName: "Person " + id, Email: id + "@example.org"}})
		}
		out, err := d.eng.ImportQueue().Queue(d.ctx, changes)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, c := range changes {
			if out[c.Key].Refused {
				t.Fatalf("%s refused when queued: %s", c.Key, out[c.Key].Reason)
			}
			keys = append(keys, c.Key)
		}
		return keys
	}

	// The server fails on the organisation for a moment: its contacts wait for it.
	orgAnswer.Store(http.StatusInternalServerError)
	keys := queue("org_acton", "Acton Parish Council", "con_a1", "con_a2")
	d.push()
	st, err := d.eng.ImportQueue().States(d.ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys[1:] {
		if st[k].Refused || st[k].Sent {
			t.Fatalf("%s while its organisation waits: %+v", k, st[k])
		}
	}
	orgAnswer.Store(0)
	d.clock.Advance(2 * time.Minute)
	d.push()
	if st, err = d.eng.ImportQueue().States(d.ctx, keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !st[k].Sent {
			t.Fatalf("%s not sent once its organisation could be: %+v", k, st[k])
		}
	}

	// The organisation is refused for good: so are its contacts, saying why.
	orgAnswer.Store(http.StatusForbidden)
	keys = queue("org_brent", "Brent Town Council", "con_b1")
	d.push()
	if st, err = d.eng.ImportQueue().States(d.ctx, keys); err != nil {
		t.Fatal(err)
	}
	if !st["k-org_brent"].Refused {
		t.Fatalf("organisation: %+v", st["k-org_brent"])
	}
	c := st["k-con_b1"]
	if !c.Refused || !strings.Contains(c.Reason, `"Brent Town Council" was not created: Only a system administrator`) {
		t.Fatalf("contact of a refused organisation: %+v", c)
	}
}
