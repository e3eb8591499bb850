package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/portal"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func openTest(t testing.TB, opts ...Option) (*DB, *portal.FixedClock) {
	t.Helper()
	clock := portal.NewFixedClock(t0)
	// Deferred index builds run only when a test asks (FinishBulkLoad), never on a timer.
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"), append([]Option{WithClock(clock), WithBulkIdle(0)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, clock
}

func mustApply(t testing.TB, db *DB, fn func(*Tx) error) {
	t.Helper()
	if err := db.Apply(context.Background(), fn); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// upsertAll stores organisations, then accounts, one at a time.
func upsertAll(orgs []portal.Organization, accounts []portal.Account) func(*Tx) error {
	return func(tx *Tx) error {
		for _, o := range orgs {
			if err := tx.UpsertOrganization(o); err != nil {
				return err
			}
		}
		for _, a := range accounts {
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
		}
		return nil
	}
}

func mustFinishBulk(t testing.TB, db *DB) {
	t.Helper()
	if err := db.FinishBulkLoad(context.Background()); err != nil {
		t.Fatalf("FinishBulkLoad: %v", err)
	}
}

// modes runs a test against a cache whose indexes are built and one still bulk loading.
var modes = []struct {
	name    string
	indexed bool
}{{"indexed", true}, {"loading", false}}

// schemaOf returns every index, trigger and table definition by name.
func schemaOf(t testing.TB, db *DB) map[string]string {
	t.Helper()
	rows, err := db.ReadSQL().Query("SELECT name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		m[name] = sql
	}
	return m
}

func tp(t time.Time) *time.Time { return &t }

func mkOrg(id, name string) portal.Organization {
	return portal.Organization{
		ID: id, Name: name, Phone: "+44 20 7946 0000", Type: "pantry", Member: true,
		ActualAddress:   portal.Address{Line1: "1 High Street", City: "Leeds", PostalCode: "LS1 1AA", Country: "GB"},
		LegalAddress:    portal.Address{Line1: "PO Box 7", City: "Leeds", Country: "GB"},
		ShippingAddress: portal.Address{Line1: "Unit 4", Line2: "Dock Road", City: "Hull", Region: "East Riding", Country: "GB"},
		CreatedAt:       t0.Add(-48 * time.Hour), UpdatedAt: t0.Add(-24 * time.Hour), Version: 1,
	}
}

func mkAccount(id, name, email string, mods ...func(*portal.Account)) portal.Account {
	a := portal.Account{
		ID: id, Name: name, Email: email, Status: portal.StatusActive, Kind: portal.KindClient,
		AdditionalRoles: []string{}, Source: "example.org", Subject: "sub-" + id,
		RegistrationComplete: true, ClientRecord: true,
		CreatedAt: t0.Add(-72 * time.Hour), UpdatedAt: t0.Add(-time.Hour), Version: 1,
	}
	for _, m := range mods {
		m(&a)
	}
	return a
}

var (
	firstNames = []string{"Anna", "Annette", "Johan", "John", "Joanna", "Émile", "Zoë", "María", "Li", "Oluwaseun",
		"Søren", "Fatima", "Mohammed", "Aiko", "Chen", "Grace", "Hannah", "Ian", "Jamal", "Kwame", "Lars", "Mei",
		"Nadia", "Olga", "Pavel", "Quinn", "Rosa", "Sanjay", "Tomás", "Ursula", "Viktor", "Wendy", "Xavier", "Yusuf"}
	lastNames = []string{"Smith", "Johnson", "Nguyễn", "Müller", "O'Brien", "García", "Kowalski", "Okafor", "Tanaka",
		"Andersson", "Dubois", "Rossi", "Ivanova", "Haddad", "Patel", "Kim", "Silva", "Jansen", "Novak", "Cohen",
		"Murphy", "Wright", "Hughes", "Walker", "Khan", "Ali", "Moreau", "Costa", "Fischer", "Yilmaz", "Ng"}
	orgWords = []string{"Pantry", "Council", "Food Bank", "Association", "Agency", "Trust", "Kitchen", "Shelter"}
	places   = []string{"Leeds", "York", "Hull", "Bradford", "Sheffield", "Wakefield", "Harrogate", "Halifax", "Skipton",
		"Ripon", "Selby", "Goole", "Barnsley", "Rotherham", "Doncaster", "Huddersfield", "Keighley", "Ilkley", "Otley",
		"Whitby", "Scarborough", "Malton", "Thirsk", "Northallerton", "Richmond", "Settle", "Hebden Bridge", "Todmorden",
		"Pontefract", "Castleford", "Batley", "Dewsbury", "Pudsey", "Beverley", "Bridlington", "Driffield", "Pickering"}
	domains = []string{"example.org", "mail.example.com", "pantry.example.net", "council.example.gov", "gmail.example"}
	roleIDs = []string{portal.RoleStaff, portal.RoleVolunteer, portal.RoleUserSetup, portal.RoleReports, "org-driver"}
)

// people generates reproducible accounts and organisations that look like a portal's.
type people struct{ r *rand.Rand }

func newPeople(seed uint64) *people {
	return &people{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (p *people) pick(xs []string) string { return xs[p.r.IntN(len(xs))] }

func (p *people) orgs(n int) []portal.Organization {
	out := make([]portal.Organization, n)
	for i := range out {
		out[i] = mkOrg(fmt.Sprintf("org-%04d", i), fmt.Sprintf("%s %s %d", p.name(places, 2, 3), p.pick(orgWords), i))
	}
	return out
}

// syllables make up most names, so that a million of them are about as varied as real
// ones; the lists above add accents, apostrophes and very common names.
var syllables = []string{"ka", "ri", "mo", "la", "ne", "so", "ta", "vi", "an", "el", "or", "us", "be", "di", "fa",
	"go", "hu", "jo", "ke", "lu", "ma", "ni", "pa", "ro", "sa", "te", "ul", "va", "we", "ya", "zi", "cha", "sho",
	"tha", "bre", "tri", "sta", "klo", "gra", "dru", "mir", "len", "tov", "sen", "ham", "berg", "win", "ley"}

func (p *people) name(list []string, minSyl, maxSyl int) string {
	if p.r.IntN(3) == 0 {
		return p.pick(list)
	}
	var b strings.Builder
	for range minSyl + p.r.IntN(maxSyl-minSyl+1) {
		b.WriteString(p.pick(syllables))
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func (p *people) account(i int, orgs []portal.Organization) portal.Account {
	first, last := p.name(firstNames, 2, 3), p.name(lastNames, 2, 4)
	local := strings.ToLower(fold(first) + "." + strings.ReplaceAll(fold(last), "'", ""))
	a := mkAccount(fmt.Sprintf("acc-%07d", i), first+" "+last, fmt.Sprintf("%s%d@%s", local, i, p.pick(domains)))
	a.Status = portal.Statuses[p.r.IntN(len(portal.Statuses))]
	if p.r.IntN(3) == 0 {
		a.Kind, a.ClientRecord = portal.KindStaff, p.r.IntN(2) == 0
		a.CoreRole = roleIDs[p.r.IntN(2)]
		for _, r := range roleIDs[2:] {
			if p.r.IntN(3) == 0 {
				a.AdditionalRoles = append(a.AdditionalRoles, r)
			}
		}
	}
	if len(orgs) > 0 && p.r.IntN(5) != 0 {
		o := orgs[p.r.IntN(len(orgs))]
		a.OrganizationID = o.ID
		a.OrgAdmin = p.r.IntN(10) == 0
	}
	if p.r.IntN(5) != 0 {
		a.ContactID = fmt.Sprintf("con-%07d", i)
	}
	a.RegistrationComplete = p.r.IntN(6) != 0
	if p.r.IntN(4) != 0 {
		a.LastLoginAt = tp(t0.Add(-time.Duration(p.r.IntN(400*24)) * time.Hour))
	}
	a.Version = int64(1 + p.r.IntN(5))
	return a
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
