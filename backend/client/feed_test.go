package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/api"
)

// randText mixes plain ASCII with what JSON has to escape or encoding/json rewrites.
func randText(r *rand.Rand) string {
	parts := []string{"Anna", "O'Brien", "Zoë", "李", `"quoted"`, `back\slash`, "<b>&amp;", "\u2028", "tab\there",
		"\x01", "\x7f", "x@example.org", "", " ", "😀", "\xff\xfe"}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

func randTime(r *rand.Rand) time.Time {
	t := time.Date(2000+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(3)*r.IntN(1e9), time.UTC)
	if r.IntN(4) == 0 {
		t = t.In(time.FixedZone("", (r.IntN(25)-12)*3600))
	}
	return t
}

func randAccount(r *rand.Rand) portal.Account {
	tp := func() *time.Time {
		if r.IntN(2) == 0 {
			return nil
		}
		t := randTime(r)
		return &t
	}
	a := portal.Account{ID: randText(r), ContactID: randText(r), OrganizationID: randText(r), Email: randText(r), Name: randText(r),
		Status: portal.Status(randText(r)), Kind: portal.Kind(randText(r)), OrgAdmin: r.IntN(2) == 0, CoreRole: randText(r),
		Source: randText(r), Subject: randText(r), RegistrationComplete: r.IntN(2) == 0, ClientRecord: r.IntN(2) == 0,
		AccessRequestedAt: tp(), DenyReason: randText(r), DecidedBy: randText(r), DecidedAt: tp(), LastLoginAt: tp(),
		CreatedAt: randTime(r), UpdatedAt: randTime(r), Version: r.Int64N(1<<40) - 5}
	switch r.IntN(3) {
	case 0:
		a.AdditionalRoles = []string{}
	case 1:
		for range 1 + r.IntN(3) {
			a.AdditionalRoles = append(a.AdditionalRoles, randText(r))
		}
	}
	return a
}

// An account is decoded exactly as encoding/json decodes it, for accounts as the server
// writes them (text that JSON escapes, times in other zones, nil and empty role lists).
func TestDecodeAccountMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		data, err := json.Marshal(randAccount(r))
		if err != nil {
			t.Fatal(err)
		}
		var want portal.Account
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeFeedRecord(api.EntityAccount, data)
		if a, ok := got.(*portal.Account); err != nil || !ok || !reflect.DeepEqual(*a, want) {
			t.Fatalf("account %d: %v\n got %+v\nwant %+v\njson %s", i, err, got, want, data)
		}
	}
}

// Whatever the bytes, the decoder agrees with encoding/json: the same account, or an error
// where encoding/json has one.
func TestDecodeAccountAgreesOnDamagedInput(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	snippets := []string{"null", " ", "\n", "\x1f", "\t", "é", "\xff", ",", ":", "}", "{", "[", "]", `"`, `\`, "0", "-", "01", "1.5", "1e3", "true", "fals",
		`"name":"x",`, `"NAME":"y",`, `"extra":1,`, `"version":null,`, `"additionalRoles":null,`, `"lastLoginAt":"2026-01-02T03:04:05Z",`,
		`"createdAt":"\u0032026-01-01T00:00:00Z",`, `"updatedAt":"2026-13-01T00:00:00Z",`, `"n\u0061me":"esc",`}
	for i := range 20000 {
		data, _ := json.Marshal(randAccount(r))
		for range 1 + r.IntN(3) {
			p := r.IntN(len(data) + 1)
			switch r.IntN(3) {
			case 0: // insert
				data = append(data[:p:p], append([]byte(snippets[r.IntN(len(snippets))]), data[p:]...)...)
			case 1: // delete
				if p < len(data) {
					data = append(data[:p:p], data[p+1+r.IntN(min(4, len(data)-p)):]...)
				}
			default: // the first key again, after the brace
				data = append([]byte(`{"id":"dup",`), data[1:]...)
			}
		}
		var want portal.Account
		wantErr := json.Unmarshal(data, &want)
		got, err := decodeFeedRecord(api.EntityAccount, data)
		switch {
		case wantErr != nil && err == nil:
			t.Fatalf("case %d: encoding/json refuses %s (%v), the decoder took it: %+v", i, data, wantErr, got)
		case wantErr == nil && err != nil:
			t.Fatalf("case %d: encoding/json reads %s, the decoder fails: %v", i, data, err)
		case wantErr == nil && !reflect.DeepEqual(*got.(*portal.Account), want):
			t.Fatalf("case %d: %s\n got %+v\nwant %+v", i, data, got, want)
		}
	}
}

// A page read by parseFeedPage is the page encoding/json reads, with every record decoded
// into its type; key order, white space and unknown keys do not matter.
func TestParseFeedPageMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	acc := randAccount(r)
	recs := map[string]any{
		api.EntityAccount:      &acc,
		api.EntityContact:      &portal.Contact{ID: "con_1", FullName: "Zoë \"Z\" <Lee>", Email: "z@example.org", Version: 2},
		api.EntityOrganization: &portal.Organization{ID: "org_1", Name: "Pantry", Version: 4},
		api.EntityRole:         &portal.Role{ID: "role_1", Name: "Reports", Version: 1},
		api.EntityInvitation:   &portal.Invitation{ID: "inv_1", Email: "i@example.org", Version: 3},
		api.EntityAudit:        &portal.AuditEvent{ID: 9, Action: "approve", Before: json.RawMessage(`{"a":1}`), After: json.RawMessage(`{"a":2}`)},
		api.EntityTemplate:     &api.Template{Key: "welcome", Subject: "Hi @name@", Placeholders: []string{"name"}, Version: 1},
		api.EntitySettings:     &api.Settings{ProductName: "Gatehouse", ApproverEmails: []string{}, Version: 1},
		"gadget":               json.RawMessage(`{"some":["thing",1,null,{"x":"}"}]}`),
	}
	entities := []string{api.EntityAccount, api.EntityContact, api.EntityOrganization, api.EntityRole, api.EntityInvitation,
		api.EntityAudit, api.EntityTemplate, api.EntitySettings, "gadget"}
	for round := range 50 {
		var fields [][]string // each change as key:value pairs
		for i := range 1 + r.IntN(12) {
			e := entities[r.IntN(len(entities))]
			q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
			f := []string{`"seq":` + fmt.Sprint(i+1), `"entity":` + q(e), `"id":` + q(fmt.Sprintf("%s_%d\"é", e, i)),
				`"version":` + fmt.Sprint(i), `"at":` + q(at.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano))}
			if r.IntN(4) == 0 {
				f = append(f, `"op":"delete"`)
			} else {
				d, _ := json.Marshal(recs[e])
				f = append(f, `"op":"upsert"`, `"data":`+string(d))
			}
			if r.IntN(2) == 0 {
				f = append(f, `"organizationId":"org_1"`)
			}
			if r.IntN(3) == 0 {
				f = append(f, `"future":{"nested":[1,"]"]}`)
			}
			r.Shuffle(len(f), func(a, b int) { f[a], f[b] = f[b], f[a] })
			fields = append(fields, f)
		}
		ws := []string{"", " ", "\n  "}[round%3]
		var b strings.Builder
		b.WriteString(`{"feedId":"feed-` + fmt.Sprint(round) + `",` + ws + `"changes":[`)
		for i, f := range fields {
			if i > 0 {
				b.WriteString("," + ws)
			}
			b.WriteString("{" + ws + strings.Join(f, ","+ws) + ws + "}")
		}
		b.WriteString(`],"next":` + fmt.Sprint(len(fields)) + `,` + ws + `"more":` + fmt.Sprint(round%2 == 0) + ws + "}\n")
		doc := []byte(b.String())

		var want api.ChangesPage
		if err := json.Unmarshal(doc, &want); err != nil {
			t.Fatalf("test page is not JSON: %v\n%s", err, doc)
		}
		got, err := parseFeedPage(doc)
		if err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, doc)
		}
		if got.FeedID != want.FeedID || got.Next != want.Next || got.More != want.More || len(got.Changes) != len(want.Changes) {
			t.Fatalf("round %d: page %+v, want %+v", round, got, want)
		}
		for i, w := range want.Changes {
			g := got.Changes[i]
			if g.Seq != w.Seq || g.Entity != w.Entity || g.ID != w.ID || g.Op != w.Op || g.Version != w.Version ||
				g.OrganizationID != w.OrganizationID || !g.At.Equal(w.At) {
				t.Fatalf("round %d change %d: %+v, want %+v", round, i, g, w)
			}
			if w.Data == nil {
				if g.Record != nil {
					t.Errorf("round %d change %d: a delete with record %v", round, i, g.Record)
				}
				continue
			}
			var wantRec any = json.RawMessage(w.Data)
			if typ := reflect.TypeOf(recs[w.Entity]); typ.Kind() == reflect.Pointer {
				v := reflect.New(typ.Elem())
				if err := json.Unmarshal(w.Data, v.Interface()); err != nil {
					t.Fatal(err)
				}
				wantRec = v.Interface()
			}
			if !reflect.DeepEqual(g.Record, wantRec) {
				t.Errorf("round %d change %d (%s): record %#v, want %#v", round, i, w.Entity, g.Record, wantRec)
			}
		}
	}
}

// A damaged page is an error, wherever it is cut or changed, never a panic or a silently
// shorter page.
func TestParseFeedPageRefusesDamage(t *testing.T) {
	acc, _ := json.Marshal(portal.Account{ID: "a1", Name: "Anna", AdditionalRoles: []string{"x"}})
	doc := `{"feedId":"f","changes":[{"seq":1,"entity":"account","id":"a1","op":"upsert","version":1,"at":"2026-03-02T09:00:00Z","data":` +
		string(acc) + `},{"seq":2,"entity":"contact","id":"c1","op":"delete","version":0,"at":"2026-03-02T09:00:01Z"}],"next":2,"more":false}`
	if _, err := parseFeedPage([]byte(doc)); err != nil {
		t.Fatalf("the intact page: %v", err)
	}
	for cut := range len(doc) - 1 {
		if p, err := parseFeedPage([]byte(doc[:cut])); err == nil {
			t.Fatalf("page cut at %d read as %+v", cut, p)
		}
	}
	for _, bad := range []string{
		strings.Replace(doc, `"seq":1`, `"seq":"1"`, 1),
		strings.Replace(doc, `"at":"2026-03-02T09:00:00Z"`, `"at":"yesterday"`, 1),
		strings.Replace(doc, `"name":"Anna"`, `"name":Anna`, 1),
		strings.Replace(doc, `"more":false`, `"more":nope`, 1),
		strings.Replace(doc, `}],"next"`, `},],"next"`, 1),
		doc + `{}`,
		`[` + doc + `]`,
	} {
		if p, err := parseFeedPage([]byte(bad)); err == nil {
			t.Errorf("damaged page read as %+v:\n%s", p, bad)
		}
	}
	if p, err := parseFeedPage(bytes.TrimSpace([]byte(" \n" + doc + "\n "))); err != nil || len(p.Changes) != 2 {
		t.Errorf("white space around the page: %v %+v", err, p)
	}
}

// The record is decoded by the entity the change ends up with, as encoding/json would see
// it, when a change names its entity twice.
func TestParseFeedPageRepeatedEntity(t *testing.T) {
	acc, _ := json.Marshal(portal.Account{ID: "x1", Email: "x@example.org", Name: "X", Version: 3})
	doc := `{"feedId":"f","changes":[{"seq":1,"entity":"account","id":"x1","op":"upsert","version":3,"at":"2026-03-02T09:00:00Z","data":` +
		string(acc) + `,"entity":"contact"}],"next":1,"more":false}`
	p, err := parseFeedPage([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var want portal.Contact
	if err := json.Unmarshal(acc, &want); err != nil {
		t.Fatal(err)
	}
	if got, ok := p.Changes[0].Record.(*portal.Contact); p.Changes[0].Entity != api.EntityContact || !ok || !reflect.DeepEqual(*got, want) {
		t.Errorf("change read as %s %#v, want the contact %#v", p.Changes[0].Entity, p.Changes[0].Record, want)
	}
}
