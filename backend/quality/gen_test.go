package quality

import (
	"fmt"
	"math/rand/v2"
)

var (
	genFirst = []string{"John", "Mary", "William", "Elizabeth", "James", "Margaret", "Robert", "Susan", "David", "Anne", "Peter", "Renée", "Zoë", "Siân", "Ahmed", "Priya"}
	genLast  = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke"}
)

// genRecords makes n contact rows like a council association's CRM export, with a few
// percent of every problem the checks look for.
func genRecords(n int) []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, n)
	for i := range recs {
		org := fmt.Sprintf("Council %d", rng.IntN(max(n/30, 1)))
		first, last := genFirst[rng.IntN(len(genFirst))], genLast[rng.IntN(len(genLast))]
		r := Record{Row: i + 2, FirstName: first, LastName: last, Organization: org, Role: "Clerk", Member: "Yes",
			Email: fmt.Sprintf("%s.%s%d@council%d.gov.uk", first, last, i, i%997), Type: "Individual"}
		switch rng.IntN(50) {
		case 0:
			r.Email = ""
		case 1:
			r.Email = "not an address"
		case 2:
			r.Member = "Lapsed"
		case 3:
			r.Type, r.FirstName, r.LastName = "Organisation", "", org
		case 4:
			r.RoleUntil = "03/2021"
		case 5:
			r.Email = "clerk@shared.org" // shared across councils
		case 6:
			if i > 0 {
				r.Email = recs[i-1].Email
				r.Organization = recs[i-1].Organization
			}
		case 7:
			if i > 0 && recs[i-1].FirstName != "" {
				r.FirstName, r.LastName, r.Organization = recs[i-1].FirstName[:1], recs[i-1].LastName, recs[i-1].Organization
				r.Email = ""
			}
		}
		recs[i] = r
	}
	return recs
}
