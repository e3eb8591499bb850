package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"gatehouse/backend/client"
	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

func TestChangesPageEncodingMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	p := api.ChangesPage{FeedID: "f\"1", Next: 42, More: true, Changes: []api.Change{
		{Seq: 41, Entity: "account", ID: `a"<b>&\u2028`, Op: "upsert", Version: 3, OrganizationID: "org_1", At: at, Data: json.RawMessage(`{"name":"Zoë <x>","n":[1,2]}`)},
		{Seq: 42, Entity: "contact", ID: "c1", Op: "delete", At: at.Add(time.Second)},
		{Seq: 43, Entity: "account", ID: "plain-ascii_1@example.org", Op: "upsert", Version: 1, OrganizationID: "Zoë\x7f\x1f\\", At: at.In(time.FixedZone("", 3600)), Data: json.RawMessage(`{}`)},
	}}
	rec := httptest.NewRecorder()
	writeChangesPage(rec, p, false)
	want, _ := json.Marshal(p)
	var got, exp any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, rec.Body.String())
	}
	json.Unmarshal(want, &exp)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("hand-written page differs:\n got %s\nwant %s", rec.Body.String(), want)
	}
	var back api.ChangesPage
	if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil || back.Changes[0].ID != p.Changes[0].ID || !back.Changes[1].At.Equal(p.Changes[1].At) {
		t.Errorf("round trip: %v %+v", err, back)
	}
	empty := httptest.NewRecorder()
	writeChangesPage(empty, api.ChangesPage{FeedID: "f", Changes: []api.Change{}}, false)
	if empty.Body.String() != `{"feedId":"f","changes":[],"next":0,"more":false}`+"\n" {
		t.Errorf("empty page: %s", empty.Body.String())
	}

	// Compressed, it is the same page.
	zrec := httptest.NewRecorder()
	writeChangesPage(zrec, p, true)
	if zrec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("compressed page headers %v", zrec.Header())
	}
	zr, err := gzip.NewReader(zrec.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, rec.Body.Bytes()) {
		t.Errorf("gzipped page differs (%v):\n got %s\nwant %s", err, unzipped, rec.Body.Bytes())
	}
}

// Feed pages are compressed for a follower on another machine that accepts gzip, and
// never over loopback, where compressing costs more than copying.
func TestCompressFeedOnlyOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		remote, accept string
		want           bool
	}{
		{"192.0.2.10:5000", "gzip", true},
		{"192.0.2.10:5000", "deflate, GZIP;q=0.5", true},
		{"[2001:db8::1]:443", "br, gzip", true},
		{"192.0.2.10:5000", "gzip;q=0", false},
		{"192.0.2.10:5000", "gzip; q=0.0", false},
		{"192.0.2.10:5000", "identity", false},
		{"192.0.2.10:5000", "", false},
		{"127.0.0.1:5000", "gzip", false},
		{"[::1]:5000", "gzip", false},
		{"not an address", "gzip", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/changes", nil)
		r.RemoteAddr = tc.remote
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		if got := compressFeed(r); got != tc.want {
			t.Errorf("from %s accepting %q: compress %v, want %v", tc.remote, tc.accept, got, tc.want)
		}
	}
}

// The client reads a compressed page as it reads a plain one: net/http asks for gzip and
// unpacks it.
func TestCompressedFeedReadsTheSame(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	acc, _ := json.Marshal(portal.Account{ID: "acc_1", Name: "Zoë", Email: "z@example.org", AdditionalRoles: []string{}, Version: 2})
	page := api.ChangesPage{FeedID: "f", Next: 2, More: true, Changes: []api.Change{
		{Seq: 1, Entity: api.EntityAccount, ID: "acc_1", Op: api.OpUpsert, Version: 2, At: at, Data: acc},
		{Seq: 2, Entity: api.EntityContact, ID: "con_1", Op: api.OpDelete, At: at},
	}}
	var encodings []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = "192.0.2.1:40000" // as if from another machine
		gz := compressFeed(r)
		writeChangesPage(w, page, gz)
		encodings = append(encodings, w.Header().Get("Content-Encoding"))
	}))
	defer ts.Close()
	got, err := client.New(ts.URL, "").Feed(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(encodings) != 1 || encodings[0] != "gzip" {
		t.Errorf("the page went out with encodings %q", encodings)
	}
	if a, ok := got.Changes[0].Record.(*portal.Account); !ok || a.Name != "Zoë" || len(got.Changes) != 2 || got.Changes[1].Op != api.OpDelete || !got.More {
		t.Errorf("compressed page read as %+v", got)
	}
}
