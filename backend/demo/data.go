package demo

import (
	"fmt"
	"strings"

	"gatehouse/backend/portal"
)

// The demo portal: three parish and town councils (the Suffolk roll-out) and three food
// pantries (the PantrySoft flow), each with a phone number and the three addresses.

type orgSpec struct {
	key, name, typ, phone string
	member                bool
	street, city, region  string
	postcode, country     string
	legal, shipping       string
	roles                 []roleSpec
}

type roleSpec struct{ key, name string }

func (o orgSpec) id() string { return "org_demo_" + o.key }

func (o orgSpec) roleID(key string) string { return o.id() + "_" + key }

func (o orgSpec) organization() portal.Organization {
	addr := func(line1 string) portal.Address {
		return portal.Address{Line1: line1, City: o.city, Region: o.region, PostalCode: o.postcode, Country: o.country}
	}
	return portal.Organization{
		ID: o.id(), Name: o.name, Phone: o.phone, Type: o.typ, Member: o.member,
		ActualAddress: addr(o.street), LegalAddress: addr(o.legal), ShippingAddress: addr(o.shipping),
	}
}

var councilRoles = []roleSpec{{"clerks", "Clerks"}, {"councillors", "Councillors"}}
var pantryRoles = []roleSpec{{"managers", "Pantry managers"}, {"volunteers", "Volunteer coordinators"}}

var orgs = []orgSpec{
	{key: "ashby", name: "Ashby Parish Council", typ: "council", phone: "+44 1473 260 110", member: true,
		street: "The Old School, Church Lane", city: "Ashby", region: "Suffolk", postcode: "IP14 2AB", country: "United Kingdom",
		legal: "Parish Office, 3 Church Lane", shipping: "Village Hall, 12 Green Road", roles: councilRoles},
	{key: "brampton", name: "Brampton Town Council", typ: "council", phone: "+44 1502 575 200", member: true,
		street: "Town Hall, Market Place", city: "Brampton", region: "Suffolk", postcode: "NR34 8EH", country: "United Kingdom",
		legal: "Town Hall, Market Place", shipping: "Depot, 4 Station Road", roles: councilRoles},
	{key: "cranford", name: "Cranford Parish Council", typ: "council", phone: "+44 1728 688 301", member: false,
		street: "Reading Room, The Street", city: "Cranford", region: "Suffolk", postcode: "IP13 9QR", country: "United Kingdom",
		legal: "c/o The Clerk, 7 Mill Close", shipping: "Reading Room, The Street", roles: councilRoles},
	{key: "dunmore", name: "Dunmore Community Pantry", typ: "pantry", phone: "+1 (570) 555-0142", member: true,
		street: "210 Chestnut Street", city: "Dunmore", region: "PA", postcode: "18512", country: "United States",
		legal: "PO Box 88", shipping: "Dock B, 14 Drinker Street", roles: pantryRoles},
	{key: "eastgate", name: "Eastgate Food Bank", typ: "pantry", phone: "+1 (503) 555-0178", member: true,
		street: "1800 SE Division Street", city: "Portland", region: "OR", postcode: "97202", country: "United States",
		legal: "1800 SE Division Street, Suite 2", shipping: "Warehouse 3, 45 NE Columbia Blvd", roles: pantryRoles},
	{key: "fairview", name: "Fairview Family Pantry", typ: "pantry", phone: "+1 (614) 555-0119", member: false,
		street: "77 Fairview Avenue", city: "Columbus", region: "OH", postcode: "43215", country: "United States",
		legal: "Fairview Methodist Church, 70 Fairview Avenue", shipping: "77 Fairview Avenue (rear entrance)", roles: pantryRoles},
}

var firstNames = []string{"Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jonah",
	"Kemi", "Liam", "Maya", "Noah", "Olive", "Priya", "Quinn", "Rosa", "Sami", "Tess"}

var lastNames = []string{"Abbott", "Barker", "Chowdhury", "Dawson", "Evans", "Fletcher", "Garcia", "Hughes",
	"Iqbal", "Jensen", "Kowalski", "Lopez", "Murphy", "Nakamura", "Okafor"}

// person is a demo account and the contact it is linked to.
type person struct {
	n        int // stable number: IDs and spread of times derive from it
	name     string
	email    string
	org      orgSpec
	ghost    bool
	inactive bool // deactivated
	// staff, when set, is the promotion: core role and additional role IDs.
	staff      *staffSpec
	orgAdmin   bool
	deleteCard bool // delete the leftover client record on promotion
}

type staffSpec struct {
	core       string
	additional []string
	orgRoles   []string // keys of the person's organisation's roles
}

func (p person) contactID() string { return fmt.Sprintf("con_demo_%03d", p.n) }
func (p person) subject() string   { return fmt.Sprintf("demo-%03d", p.n) }

func emailOf(first, last, domain string) string {
	return strings.ToLower(first+"."+last) + "@" + domain
}

// clientDomains are where demo clients' addresses live (reserved example domains).
var clientDomains = []string{"example.org", "example.com", "example.net"}

// Clients is how many clients (ghosts included) the demo has, besides the staff.
const Clients = 60

// people returns the clients and the staff, in a fixed order. Every sixth name goes to
// each organisation in turn; two clients never finished registering (ghost accounts) and
// two were deactivated.
func people() []person {
	var out []person
	for i := range Clients {
		first, last := firstNames[i%len(firstNames)], lastNames[(i*7)%len(lastNames)]
		p := person{n: i + 1, name: first + " " + last, email: emailOf(first, last, clientDomains[i%len(clientDomains)]), org: orgs[i%len(orgs)]}
		switch p.n {
		case 17, 44:
			p.ghost = true
		case 23, 51:
			p.inactive = true
		}
		out = append(out, p)
	}
	staff := []struct {
		first, last string
		org         int
		spec        staffSpec
		orgAdmin    bool
		deleteCard  bool
	}{
		{"Alex", "Morgan", 0, staffSpec{core: portal.RoleAdministrator}, false, true},
		{"Sam", "Patel", 3, staffSpec{core: portal.RoleAdministrator}, false, true},
		{"Jordan", "Reyes", 1, staffSpec{core: portal.RoleStaff, additional: []string{portal.RoleUserSetup}}, true, true},
		{"Casey", "Nguyen", 4, staffSpec{core: portal.RoleStaff, additional: []string{portal.RoleUserSetup, portal.RoleReports}}, false, false},
		{"Riley", "Brooks", 2, staffSpec{core: portal.RoleStaff, additional: []string{portal.RoleReports}, orgRoles: []string{"clerks"}}, true, true},
		{"Taylor", "Kim", 3, staffSpec{core: portal.RoleVolunteer, orgRoles: []string{"volunteers"}}, true, false},
		{"Morgan", "Ellis", 5, staffSpec{core: portal.RoleStaff, orgRoles: []string{"managers"}}, true, true},
		{"Jamie", "Fox", 0, staffSpec{core: portal.RoleStaff, orgRoles: []string{"clerks"}}, true, false},
	}
	for i, s := range staff {
		spec := s.spec
		p := person{n: 101 + i, name: s.first + " " + s.last, email: emailOf(s.first, s.last, "staff.example.org"),
			org: orgs[s.org], staff: &spec, orgAdmin: s.orgAdmin, deleteCard: s.deleteCard}
		out = append(out, p)
	}
	return out
}

// signUp is an SSO sign-in waiting for approval (the ClientTrack flow).
type signUp struct {
	n         int
	name      string
	email     string
	source    string   // the SSO domain shown to approvers
	org       *orgSpec // linked when the address is a known contact
	requested bool     // asked for access
	deny      string   // denied with this reason
	daysAgo   int      // when they signed in, before the load
}

func (s signUp) subject() string   { return fmt.Sprintf("signup-%03d", s.n) }
func (s signUp) contactID() string { return fmt.Sprintf("con_demo_s%02d", s.n) }

func signUps() []signUp {
	return []signUp{
		{n: 1, name: "Harriet Cole", email: "harriet.cole@ashby.example.org", source: "ashby.example.org", org: &orgs[0], requested: true, daysAgo: 1},
		{n: 2, name: "Imran Shah", email: "imran.shah@brampton.example.org", source: "brampton.example.org", org: &orgs[1], requested: true, daysAgo: 2},
		{n: 3, name: "Lucia Romano", email: "lucia.romano@dunmore.example.org", source: "dunmore.example.org", org: &orgs[3], daysAgo: 3},
		{n: 4, name: "Pete Walsh", email: "pete.walsh@mail.example.com", source: "mail.example.com", requested: true, daysAgo: 4},
		{n: 5, name: "Wen Li", email: "wen.li@eastgate.example.org", source: "eastgate.example.org", org: &orgs[4], daysAgo: 6},
		{n: 6, name: "Oscar Bell", email: "oscar.bell@mail.example.net", source: "mail.example.net", daysAgo: 9},
		{n: 7, name: "Zed Unknown", email: "zed.unknown@mail.example.net", source: "mail.example.net", requested: true,
			deny: "Not a member of any of our organisations; asked twice under different names.", daysAgo: 12},
	}
}

// invitee is a contact invited by e-mail (the Creatio and Suffolk flows).
type invitee struct {
	n       int
	name    string
	email   string
	org     orgSpec
	state   portal.InvitationStatus // pending, expired or accepted once loaded
	daysAgo int                     // when the invitation was sent, before the load
	// orgAdmin makes an accepted invitee their organisation's administrator: an
	// administrator who signs in with the password the invitation set, not yet with SSO.
	orgAdmin bool
}

func (v invitee) contactID() string { return fmt.Sprintf("con_demo_i%02d", v.n) }

func invitees() []invitee {
	return []invitee{
		{n: 1, name: "Clerk Abbott", email: "clerk@ashby-pc.example.org", org: orgs[0], state: portal.InvitationPending, daysAgo: 2},
		{n: 2, name: "Mary Dunn", email: "mary.dunn@brampton-tc.example.org", org: orgs[1], state: portal.InvitationPending, daysAgo: 3},
		{n: 3, name: "Felix Ward", email: "felix.ward@eastgate.example.org", org: orgs[4], state: portal.InvitationPending, daysAgo: 5},
		{n: 4, name: "Nora Quinn", email: "nora.quinn@cranford-pc.example.org", org: orgs[2], state: portal.InvitationExpired, daysAgo: 20},
		{n: 5, name: "Abel Stone", email: "abel.stone@fairview.example.org", org: orgs[5], state: portal.InvitationExpired, daysAgo: 35},
		{n: 6, name: "Gina Hart", email: "gina.hart@dunmore.example.org", org: orgs[3], state: portal.InvitationAccepted, daysAgo: 40, orgAdmin: true},
		{n: 7, name: "Theo Marsh", email: "theo.marsh@brampton-tc.example.org", org: orgs[1], state: portal.InvitationAccepted, daysAgo: 60},
		{n: 8, name: "Hal Price", email: "hal.price@dunmore.example.org", org: orgs[3], state: portal.InvitationPending, daysAgo: 1},
	}
}

// spareContact is a contact without an account yet: someone to invite next.
type spareContact struct {
	n     int
	name  string
	email string
	org   orgSpec
}

func (c spareContact) contactID() string { return fmt.Sprintf("con_demo_c%02d", c.n) }

func spareContacts() []spareContact {
	var out []spareContact
	for i, o := range orgs {
		first, last := firstNames[(i*3+5)%len(firstNames)], lastNames[(i*5+2)%len(lastNames)]
		out = append(out, spareContact{n: i + 1, name: first + " " + last, email: emailOf(first, last, o.key+".example.org"), org: o})
	}
	return out
}
