package server

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"gatehouse/backend/server/api"
)

func TestChangesPageEncodingMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	p := api.ChangesPage{FeedID: "f\"1", Next: 42, More: true, Changes: []api.Change{
		{Seq: 41, Entity: "account", ID: `a"<b>&\u2028`, Op: "upsert", Version: 3, OrganizationID: "org_1", At: at, Data: json.RawMessage(`{"name":"Zoë <x>","n":[1,2]}`)},
		{Seq: 42, Entity: "contact", ID: "c1", Op: "delete", At: at.Add(time.Second)},
	}}
	rec := httptest.NewRecorder()
	writeChangesPage(rec, p)
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
	writeChangesPage(empty, api.ChangesPage{FeedID: "f", Changes: []api.Change{}})
	if empty.Body.String() != `{"feedId":"f","changes":[],"next":0,"more":false}`+"\n" {
		t.Errorf("empty page: %s", empty.Body.String())
	}
}
