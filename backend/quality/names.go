package quality

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/adrg/strutil/metrics"
	"golang.org/x/text/unicode/norm"
)

// unaccented maps letters that do not decompose into a base letter and an accent.
var unaccented = map[rune]string{'ß': "ss", 'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ı': "i"}

// foldName is the comparison form of a name: no accents, lower case, letters and digits
// separated by single spaces; apostrophes and full stops vanish. "Renée  O'Brien" →
// "renee obrien". It decomposes with a norm.Iter, which costs no allocation per call
// (a transform chain costs kilobytes, and this runs for every name of every row).
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	emit := func(r rune) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			if rep, ok := unaccented[r]; ok {
				b.WriteString(rep)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
			space = false
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’', r == '.':
		default:
			space = true
		}
	}
	ascii := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) < 0
	if ascii {
		for i := 0; i < len(s); i++ {
			emit(rune(s[i]))
		}
		return b.String()
	}
	var it norm.Iter
	it.InitString(norm.NFKD, s)
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			emit(r)
			seg = seg[n:]
		}
	}
	return b.String()
}

var orgTypes = map[string]bool{
	"organisation": true, "organization": true, "org": true, "council": true, "company": true, "account": true,
	"business": true, "parish council": true, "town council": true, "city council": true, "district council": true,
	"county council": true, "group": true, "charity": true, "agency": true, "pantry": true, "household": true,
	"organisation record": true, "organization record": true, "employer": true, "club": true, "school": true,
}

var orgWords = []string{"council", "ltd", "limited", "plc", "llp", "llc", "inc", "trust", "association", "committee",
	"pantry", "foodbank", "food bank", "society", "club", "charity", "church", "parish", "school", "department", "office", "team"}

// isOrganisationRow tells an organisation's own record from a person's: by the Type
// column when there is one, otherwise by a name that is the organisation's name or reads
// like one.
func isOrganisationRow(r *Record) bool {
	if t := foldName(r.Type); t != "" {
		// A type value alone never makes a row with a person's first or last name an
		// organisation: a mis-mapped "Council type" column would otherwise turn every clerk
		// into an organisation row.
		if orgTypes[t] && foldName(r.FirstName) == "" && foldName(r.LastName) == "" {
			return true
		}
		if t == "individual" || t == "person" || t == "contact" || t == "people" || t == "clerk" || t == "staff" {
			return false
		}
	}
	org := foldName(r.Organization)
	full := foldName(r.FullName)
	if full == "" {
		full = strings.TrimSpace(foldName(r.FirstName) + " " + foldName(r.LastName))
	}
	if org != "" && full == org {
		return true
	}
	if full != "" && foldName(r.FirstName) == "" {
		for _, w := range orgWords {
			if containsWord(full, w) {
				return true
			}
		}
	}
	return false
}

func containsWord(s, w string) bool {
	for i := strings.Index(s, w); i >= 0; {
		end := i + len(w)
		if (i == 0 || s[i-1] == ' ') && (end == len(s) || s[end] == ' ') {
			return true
		}
		j := strings.Index(s[i+1:], w)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func (c *checker) orgRowField(r *Record) string {
	if strings.TrimSpace(r.Type) != "" {
		return FieldType
	}
	if strings.TrimSpace(r.FullName) != "" {
		return FieldFullName
	}
	return FieldLastName
}

func organisationRowMessage(r *Record) string {
	if t := strings.TrimSpace(r.Type); t != "" && orgTypes[foldName(t)] {
		return fmt.Sprintf("This row is an organisation (type %q), not a person: organisations are not invited. Exclude it.", t)
	}
	return "This row names an organisation, not a person: organisations are not invited. Exclude it."
}

// personName is a name split into the parts compared for duplicates.
type personName struct {
	first, last string
	full        string // folded full name, for rows where it cannot be split
	// title and suffix are the folded courtesy title (mr, ms, dr) and suffix (jr, sr),
	// from the Title column or the name itself: evidence that two rows are two people.
	title, suffix string
}

var titles = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "cllr": true,
	"councillor": true, "rev": true, "revd": true, "reverend": true, "prof": true, "professor": true, "sir": true,
	"dame": true, "lady": true, "lord": true, "fr": true, "father": true, "sister": true, "canon": true}

var suffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "mbe": true, "obe": true, "cbe": true, "phd": true, "esq": true}

func parsePersonName(r *Record) personName {
	p := parseNameParts(r)
	for _, t := range strings.Fields(foldName(r.Title)) {
		if titles[t] {
			p.title = t
		}
	}
	return p
}

func parseNameParts(r *Record) personName {
	first, last := foldName(r.FirstName), foldName(r.LastName)
	if first == "" && last == "" && strings.TrimSpace(r.FullName) != "" {
		full := r.FullName
		if before, after, ok := strings.Cut(full, ","); ok && strings.TrimSpace(after) != "" {
			// "Smith, John"
			full = after + " " + before
			if tokens, title, suffix := nameTokens(foldName(full)); len(tokens) > 0 {
				lastTokens, _, _ := nameTokens(foldName(before))
				return personName{first: tokens[0], last: strings.Join(lastTokens, " "), full: strings.Join(tokens, " "), title: title, suffix: suffix}
			}
		}
		tokens, title, suffix := nameTokens(foldName(full))
		switch len(tokens) {
		case 0:
			return personName{title: title, suffix: suffix}
		case 1:
			return personName{last: tokens[0], full: tokens[0], title: title, suffix: suffix}
		}
		return personName{first: tokens[0], last: tokens[len(tokens)-1], full: strings.Join(tokens, " "), title: title, suffix: suffix}
	}
	p := personName{}
	if t, title, _ := nameTokens(first); len(t) > 0 {
		first, p.title = t[0], title
	}
	if t, _, suffix := nameTokens(last); len(t) > 0 {
		last, p.suffix = strings.Join(t, " "), suffix
	}
	p.first, p.last, p.full = first, last, strings.TrimSpace(first+" "+last)
	return p
}

// nameTokens splits a folded name into its words without the courtesy title and the
// suffix, which it returns apart.
func nameTokens(folded string) (tokens []string, title, suffix string) {
	for _, t := range strings.Fields(folded) {
		switch {
		case titles[t]:
			title = t
		case suffixes[t]:
			suffix = t
		default:
			tokens = append(tokens, t)
		}
	}
	return tokens, title, suffix
}

// genders of the courtesy titles that say one: a Mr and a Ms of one name are two people.
var genders = map[string]byte{"mr": 'm', "sir": 'm', "lord": 'm', "father": 'm', "fr": 'm', "master": 'm',
	"mrs": 'f', "ms": 'f', "miss": 'f', "dame": 'f', "lady": 'f', "sister": 'f', "madam": 'f'}

// nicknames maps common English short forms to the names they stand for. A short form
// may stand for several names (Chris: Christopher, Christine).
var nicknames = map[string][]string{}

func init() {
	for name, nicks := range map[string][]string{
		"william": {"bill", "billy", "will", "willy", "willie", "liam"}, "robert": {"bob", "bobby", "rob", "robbie", "bert", "robin"},
		"richard": {"dick", "rick", "rich", "richie", "ricky"}, "james": {"jim", "jimmy", "jamie", "jas"},
		"john": {"jack", "johnny", "jon"}, "jonathan": {"jon", "jonny", "jonty", "nathan"},
		"elizabeth": {"liz", "lizzie", "beth", "betty", "bess", "eliza", "libby", "liza", "elsie", "lisa"},
		"margaret":  {"maggie", "meg", "peggy", "marge", "margie", "greta", "madge", "maisie"},
		"catherine": {"kate", "katie", "cathy", "kath", "kitty", "kay", "cath"}, "katherine": {"kate", "katie", "kathy", "kath", "kitty", "kay", "kat"},
		"kathryn": {"kate", "katie", "kathy", "kath"}, "susan": {"sue", "susie", "suzy"}, "deborah": {"deb", "debbie", "debs"},
		"patricia": {"pat", "patty", "trish", "tricia"}, "patrick": {"pat", "paddy"}, "michael": {"mike", "mick", "mickey", "micky", "mikey"},
		"christopher": {"chris", "kit", "topher"}, "christine": {"chris", "chrissie", "tina"}, "christina": {"chris", "tina", "chrissie"},
		"alexander": {"alex", "al", "alec", "sandy", "lex", "xander"}, "alexandra": {"alex", "sandra", "sandy", "lexie"},
		"andrew": {"andy", "drew"}, "anthony": {"tony", "ant"}, "edward": {"ed", "eddie", "ted", "teddy", "ned"},
		"thomas": {"tom", "tommy"}, "timothy": {"tim", "timmy"}, "nicholas": {"nick", "nicky", "nico"}, "nicola": {"nicky", "nikki"},
		"benjamin": {"ben", "benny", "benji"}, "samuel": {"sam", "sammy"}, "samantha": {"sam", "sammy"},
		"daniel": {"dan", "danny"}, "david": {"dave", "davy", "davey"}, "joseph": {"joe", "joey"},
		"charles": {"charlie", "chas", "chuck"}, "frederick": {"fred", "freddie", "freddy"}, "henry": {"harry", "hal", "hank"},
		"harold": {"harry", "hal"}, "peter": {"pete"}, "stephen": {"steve", "stevie"}, "steven": {"steve", "stevie"},
		"matthew": {"matt", "matty"}, "philip": {"phil", "pip"}, "phillip": {"phil"}, "gerald": {"gerry", "jerry"},
		"jennifer": {"jen", "jenny", "jenn"}, "rebecca": {"becky", "becca", "bex"}, "victoria": {"vicky", "vicki", "tori"},
		"jacqueline": {"jackie", "jacqui"}, "josephine": {"jo", "josie"}, "joanne": {"jo"}, "joanna": {"jo"},
		"judith": {"judy", "jude"}, "dorothy": {"dot", "dottie", "dolly"}, "barbara": {"barb", "babs"},
		"abigail": {"abby", "abbie", "gail"}, "kenneth": {"ken", "kenny"}, "ronald": {"ron", "ronnie"},
		"donald": {"don", "donny"}, "leonard": {"len", "lenny", "leo"}, "lawrence": {"larry", "laurie", "lol"},
		"laurence": {"larry", "laurie"}, "raymond": {"ray"}, "gregory": {"greg"}, "geoffrey": {"geoff"}, "jeffrey": {"jeff"},
		"nathaniel": {"nate", "nat", "nathan"}, "zachary": {"zach", "zak"}, "douglas": {"doug", "dougie"},
		"terence": {"terry", "tel"}, "theresa": {"terry", "tess", "tessa"}, "teresa": {"terry", "tess", "tessa"},
		"francis": {"frank", "fran"}, "frances": {"fran", "frankie", "fanny"}, "albert": {"al", "bert", "bertie"},
		"alfred": {"alf", "alfie", "fred"}, "eleanor": {"ellie", "nell", "nora", "elle"}, "helen": {"nell", "nellie"},
		"mary": {"molly", "polly", "mae", "mamie"}, "sarah": {"sally", "sadie"}, "ann": {"annie", "nan"}, "anne": {"annie", "nan"},
		"anna": {"annie"}, "caroline": {"carrie", "caz", "carol"}, "penelope": {"penny", "pen"}, "gillian": {"gill", "jill", "gilly"},
		"pamela": {"pam"}, "valerie": {"val"}, "angela": {"angie"}, "vincent": {"vince", "vinny"}, "stuart": {"stu"},
		"stewart": {"stu"}, "malcolm": {"mal"}, "susannah": {"sue", "susie", "susanna"}, "cynthia": {"cindy"},
		"lucinda": {"lucy", "cindy"}, "edmund": {"ed", "ted", "ned"}, "edwin": {"ed"},
		"oliver": {"ollie", "olly"}, "olivia": {"liv", "livvy", "ollie"}, "isabel": {"izzy", "bel", "belle"},
		"isabella": {"izzy", "bella"}, "jessica": {"jess", "jessie"}, "amanda": {"mandy"}, "miranda": {"mandy"},
		"melanie": {"mel"}, "melissa": {"mel", "missy"}, "gwendolyn": {"gwen"}, "ronan": {"ro"}, "rosemary": {"rose", "rosie"},
		"rosalind": {"ros", "roz"}, "hannah": {"annie"}, "louise": {"lou", "lulu"}, "louis": {"lou"}, "lewis": {"lou"},
		"ian": {"iain"}, "iain": {"ian"}, "graham": {"graeme"}, "graeme": {"graham"}, "sean": {"shaun", "shawn"},
		"jeremy": {"jerry", "jez"}, "martin": {"marty"}, "gordon": {"gordy"}, "simon": {"si"}, "hugh": {"hughie"},
	} {
		for _, n := range nicks {
			if !slices.Contains(nicknames[n], name) {
				nicknames[n] = append(nicknames[n], name)
			}
		}
	}
}

// sameFirstName tells whether two folded first names may name the same person: equal,
// an initial and a name, a nickname and its name, or a small typo.
func sameFirstName(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	if len(a) == 1 || len(b) == 1 {
		return a[0] == b[0]
	}
	for _, x := range append(nicknames[a], a) {
		for _, y := range append(nicknames[b], b) {
			if x == y {
				return true
			}
		}
	}
	if len(a) >= 4 && len(b) >= 4 {
		return similar(a, b, 0.9)
	}
	return false
}

// sameLastName tells whether two folded surnames may be one: equal, or a typo apart.
func sameLastName(a, b string) bool {
	if a == b {
		return a != ""
	}
	if a == "" || b == "" {
		return false
	}
	// Double-barrelled names: "Smith-Jones" is folded to "smith jones".
	if strings.HasPrefix(a, b+" ") || strings.HasPrefix(b, a+" ") || strings.HasSuffix(a, " "+b) || strings.HasSuffix(b, " "+a) {
		return true
	}
	if a[0] != b[0] {
		return false
	}
	// Transliteration: Müller is written Mueller where there are no umlauts.
	if translit(a) == translit(b) {
		return true
	}
	if len(a) < 4 || len(b) < 4 {
		return false
	}
	return similar(a, b, 0.92)
}

// translit undoes the German way of writing umlauts without them: ae, oe, ue → a, o, u
// (after foldName has made ä, ö, ü into a, o, u).
func translit(s string) string {
	if !strings.Contains(s, "e") {
		return s
	}
	return umlautSpelling.Replace(s)
}

var umlautSpelling = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")

// similar is a typo test: Jaro-Winkler above threshold, or one edit apart for longer
// words (Jaro-Winkler is lenient with short ones and strict with late typos).
func similar(a, b string, threshold float64) bool {
	if d := len(a) - len(b); d > 2 || d < -2 {
		return false
	}
	jw := metrics.JaroWinkler{CaseSensitive: true}
	if jw.Compare(a, b) >= threshold {
		return true
	}
	lev := metrics.Levenshtein{CaseSensitive: true, InsertCost: 1, DeleteCost: 1, ReplaceCost: 1}
	return len(a) >= 6 && lev.Distance(a, b) <= 1
}

// nameMatch says whether two names may be one person's, and how they matched: the words
// a finding shows the reviewer.
func nameMatch(a, b personName) (string, bool) {
	if a.last == "" || b.last == "" {
		return "", false
	}
	if a.first == "" || b.first == "" {
		// Only one name each: compare them whole, typos allowed, as a last resort.
		if a.first == "" && b.first == "" && a.full != "" && sameLastName(a.full, b.full) && strings.Contains(a.full, " ") {
			return "the names " + quoteName(a.full) + " and " + quoteName(b.full), true
		}
		return "", false
	}
	if sameLastName(a.last, b.last) && sameFirstName(a.first, b.first) {
		return surnameWords(a.last, b.last) + ", " + firstNameWords(a.first, b.first), true
	}
	// First name and surname swapped over in one of the rows.
	if a.first == b.last && a.last == b.first {
		return "the same two names, first name and surname swapped", true
	}
	return "", false
}

func quoteName(s string) string { return "“" + s + "”" }

func surnameWords(a, b string) string {
	switch {
	case a == b:
		return "the same surname"
	case translit(a) == translit(b):
		return "surnames " + quoteName(a) + " and " + quoteName(b) + " (one spelling without umlauts)"
	case strings.Contains(a, " ") || strings.Contains(b, " "):
		return "surnames " + quoteName(a) + " and " + quoteName(b) + " (one double-barrelled)"
	}
	return "surnames " + quoteName(a) + " and " + quoteName(b) + " (a typo apart)"
}

func firstNameWords(a, b string) string {
	switch {
	case a == b:
		return "the same first name"
	case len(a) == 1 || len(b) == 1:
		return "first names " + quoteName(a) + " and " + quoteName(b) + " (an initial)"
	}
	for _, x := range append(nicknames[a], a) {
		for _, y := range append(nicknames[b], b) {
			if x == y {
				return "first names " + quoteName(a) + " and " + quoteName(b) + " (a short form)"
			}
		}
	}
	return "first names " + quoteName(a) + " and " + quoteName(b) + " (a typo apart)"
}

// apart reports evidence that two rows with matching names are two people: titles of
// different genders, different suffixes (Jr, Sr), or different working addresses and
// different phone numbers both.
func apart(a, b *rowInfo) (string, bool) {
	ga, gb := genders[a.name.title], genders[b.name.title]
	switch {
	case ga != 0 && gb != 0 && ga != gb:
		return "titles " + a.name.title + " and " + b.name.title, true
	case a.name.suffix != "" && b.name.suffix != "" && a.name.suffix != b.name.suffix:
		return "suffixes " + a.name.suffix + " and " + b.name.suffix, true
	case a.phone != "" && b.phone != "" && a.phone != b.phone && (a.emailKey == "" || b.emailKey == "" || a.emailKey != b.emailKey):
		// Different phones, and no address in common: two people's contact details.
		return "different phone numbers and e-mail addresses", true
	}
	return "", false
}

// differences names what differs between two rows judged the same person, for the
// reviewer to weigh.
func differences(a, b *rowInfo) string {
	var d []string
	switch {
	case a.emailKey != "" && b.emailKey != "" && a.emailKey != b.emailKey:
		d = append(d, "different e-mail addresses")
	case (a.emailKey == "") != (b.emailKey == ""):
		d = append(d, "one has no working e-mail address")
	}
	if a.phone != "" && a.phone == b.phone {
		return strings.Join(append(d, "the same phone number"), ", ")
	}
	if a.phone != "" && b.phone != "" {
		d = append(d, "different phone numbers")
	}
	return strings.Join(d, ", ")
}

// checkNames finds rows of one organisation that likely name the same person under
// different or missing addresses. Rows are compared only within their organisation and
// initial of surname (blocking), and, in organisations with thousands of rows, initial of
// first name too, so 100,000 rows take a fraction of a second.
func (c *checker) checkNames(records []Record) {
	blocks := map[string][]int{}
	byName := map[[3]string]int{} // organisation, first name, surname -> first row with them
	orgSize := map[string]int{}
	for i := range records {
		if c.rows[i].person && c.rows[i].name.last != "" {
			orgSize[c.rows[i].orgKey]++
		}
	}
	for i := range records {
		ri := &c.rows[i]
		if !ri.person || ri.name.last == "" {
			continue
		}
		// One block per word of the surname, so that Smith-Jones meets Jones.
		for _, w := range strings.Fields(ri.name.last) {
			key := ri.orgKey + "\x00" + w[:1]
			if orgSize[ri.orgKey] > 2000 {
				key += "\x00" + firstInitial(ri.name.first)
			}
			if n := len(blocks[key]); n == 0 || blocks[key][n-1] != i {
				blocks[key] = append(blocks[key], i)
			}
		}
		// Names swapped over: a row meets the rows whose first name is its surname and
		// whose surname is its first name.
		if f := ri.name.first; f != "" && f != ri.name.last {
			k := [3]string{ri.orgKey, f, ri.name.last}
			if _, ok := byName[k]; !ok {
				byName[k] = i
			}
		}
	}
	// Each row names the rows it matched itself, and how: a chain of likenesses (A like B,
	// B like C) is not a finding about A and C, who may be namesakes kept apart.
	why := map[[2]int]string{} // row indexes (low, high) -> how they matched
	for k, i := range byName {
		j, ok := byName[[3]string{k[0], k[2], k[1]}]
		if !ok || j <= i {
			continue // no swapped namesake, or the pair is met from its other row
		}
		a, b := &c.rows[i], &c.rows[j]
		if (a.emailKey != "" && a.emailKey == b.emailKey) || (c.cfg.Distinct != nil && c.cfg.Distinct[pairKey(records[i].Row, records[j].Row)]) {
			continue
		}
		if _, two := apart(a, b); two {
			continue
		}
		how := "the same two names, first name and surname swapped"
		if d := differences(a, b); d != "" {
			how += "; " + d
		}
		why[[2]int{i, j}] = how
	}
	for _, idx := range blocks {
		for ai := 0; ai < len(idx); ai++ {
			for bi := ai + 1; bi < len(idx); bi++ {
				i, j := min(idx[ai], idx[bi]), max(idx[ai], idx[bi])
				if _, seen := why[[2]int{i, j}]; seen {
					continue
				}
				a, b := &c.rows[i], &c.rows[j]
				if a.emailKey != "" && a.emailKey == b.emailKey {
					continue // the same address: a duplicate_email already
				}
				if c.cfg.Distinct != nil && c.cfg.Distinct[pairKey(records[i].Row, records[j].Row)] {
					continue // the reviewer said these are two people
				}
				how, ok := nameMatch(a.name, b.name)
				if !ok {
					continue
				}
				if _, two := apart(a, b); two {
					continue
				}
				if d := differences(a, b); d != "" {
					how += "; " + d
				}
				why[[2]int{i, j}] = how
			}
		}
	}
	partners := map[int][]int{}
	for p := range why {
		partners[p[0]] = append(partners[p[0]], p[1])
		partners[p[1]] = append(partners[p[1]], p[0])
	}
	rows := make([]int, 0, len(partners))
	for i := range partners {
		rows = append(rows, i)
	}
	slices.Sort(rows)
	for _, i := range rows {
		g := partners[i]
		slices.Sort(g)
		var related []int
		var said []string
		for _, j := range g {
			related = append(related, records[j].Row)
			said = append(said, fmt.Sprintf("row %d, %s (%s)", records[j].Row, displayName(&records[j]), why[[2]int{min(i, j), max(i, j)}]))
		}
		if len(said) > 5 {
			said = append(said[:5], fmt.Sprintf("and %d more", len(said)-5))
		}
		c.add(Finding{Row: records[i].Row, Code: PossibleDuplicate, Field: nameField(&records[i]), Action: ActionMerge, Related: related,
			Message: fmt.Sprintf("%s may be the same person as %s in the same organisation. If so, merge them: keep one row and exclude the others; if not, mark them as different people.",
				displayName(&records[i]), strings.Join(said, "; "))})
	}
}

// pairKey is the key of two rows in Config.Distinct, lower row first.
func pairKey(a, b int) [2]int { return [2]int{min(a, b), max(a, b)} }

// PairKey is pairKey for callers that remember which rows are different people.
func PairKey(a, b int) [2]int { return pairKey(a, b) }

func firstInitial(s string) string {
	if s == "" {
		return "_"
	}
	if canon := nicknames[s]; len(canon) > 0 {
		return canon[0][:1]
	}
	return s[:1]
}

func displayName(r *Record) string {
	if n := strings.TrimSpace(r.FullName); n != "" {
		return n
	}
	if n := strings.TrimSpace(strings.TrimSpace(r.FirstName) + " " + strings.TrimSpace(r.LastName)); n != "" {
		return n
	}
	return fmt.Sprintf("row %d", r.Row)
}

func nameField(r *Record) string {
	if strings.TrimSpace(r.FullName) != "" {
		return FieldFullName
	}
	return FieldLastName
}
