package cache

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// search is a parsed search-as-you-type query. Every word must match (AND). A word of three
// or more characters matches anywhere in the name, e-mail or organisation name. A shorter
// word must start a word of one of them: "an" finds "Anna Smith", "anna@example.org" and
// "Leeds Annexe", and "42" finds "user42@example.org", whose words are user, 42, example
// and org (emailWords).
//
// The trigram index holds the name, e-mail and organisation name in folded form with every
// word preceded by two spaces (ftsText), so the start of a word is itself a trigram: "  a"
// for one letter, " an" for two. Every word of a search is answered by the index alone,
// exactly (it holds the same folded text the rows are compared on): no row needs to be
// read to count or choose the matches. Without the index (during a bulk load) every word is
// checked on the row, with the same result.
type search struct {
	long  []string // folded words of three or more characters
	short []string // folded words shorter than three characters
}

// wordsFunc is the SQL function that gives emailWords of its argument, to build the index
// and to check a row without it the same way.
const wordsFunc = "gatehouse_email_words"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(wordsFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		return emailWords(s), nil
	})
}

// emailWords splits a folded e-mail address into its words — runs of letters, runs of
// digits — each preceded by two spaces: "user42@example.org" → "  user  42  example  org".
// A short search word then finds a number or a name inside an address, as people expect
// ("42" for user42@, "bo" for j.bond@).
func emailWords(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	kind := 0 // 0: none, 1: letters, 2: digits
	for _, r := range s {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != 0 && k != kind {
			b.WriteString("  ")
		}
		if k != 0 {
			b.WriteRune(r)
		}
		kind = k
	}
	return b.String()
}

// ftsText is the text the trigram index holds for a row of table (with name_key, email_key
// and organization_id), as SQL for its three columns name, email and organization. The
// e-mail column holds the address whole (for substrings) and then its words.
func ftsText(table string) string {
	return `'  ' || replace(` + table + `.name_key, ' ', '  '), '  ' || ` + table + `.email_key || ` + wordsFunc + `(` + table + `.email_key),
		'  ' || replace(coalesce((SELECT name_key FROM organizations WHERE id = ` + table + `.organization_id), ''), ' ', '  ')`
}

func parseSearch(q string) search {
	var s search
	for _, w := range strings.Fields(fold(q)) {
		if utf8.RuneCountInString(w) >= 3 {
			s.long = append(s.long, w)
		} else {
			s.short = append(s.short, w)
		}
	}
	return s
}

func (s search) empty() bool { return len(s.long) == 0 && len(s.short) == 0 }

// indexable returns the words the trigram index looks up: all of them.
func (s search) indexable() []string {
	return append(append([]string{}, s.long...), s.short...)
}

// ftsPhrase is the FTS5 query term for word w: a quoted phrase, which the trigram tokenizer
// matches as a substring and which keeps FTS5 syntax in a name (AND, NEAR, *, :) from being
// obeyed. A short word is looked up as a word start.
func ftsPhrase(w string) string {
	switch utf8.RuneCountInString(w) {
	case 1:
		w = "  " + w
	case 2:
		w = " " + w
	}
	return quote(w)
}

// orgMatch is the condition on an organisations row (no alias) for word w, and its argument.
func orgMatch(w string) (string, any) {
	if utf8.RuneCountInString(w) >= 3 {
		return "instr(name_key, ?) > 0", w
	}
	return "instr(' ' || name_key, ?) > 0", " " + w
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// searchSQL is a search compiled for table alias t.
type searchSQL struct {
	// fts is the FTS5 query for the words the index answers; "" if none.
	fts string
	// where are conditions on the row (with args): the words the index does not answer.
	where []string
	args  []any
}

// compile turns the search into SQL for table alias t (with name_key, email_key and
// organization_id columns). indexed says whether the trigram index may be used: not during
// a bulk load (bulk.go), when every word is checked on the row.
func (s search) compile(t string, indexed bool) searchSQL {
	var out searchSQL
	add := func(cond string, args ...any) {
		out.where, out.args = append(out.where, cond), append(out.args, args...)
	}
	onRow := func(w string) {
		cond, arg := orgMatch(w)
		if utf8.RuneCountInString(w) >= 3 {
			add(fmt.Sprintf(`(instr(%[1]s.name_key, ?) > 0 OR instr(%[1]s.email_key, ?) > 0
				OR %[1]s.organization_id IN (SELECT id FROM organizations WHERE %[2]s))`, t, cond), w, w, arg)
			return
		}
		add(fmt.Sprintf(`(instr(' ' || %[1]s.name_key, ?) > 0 OR instr(%[3]s(%[1]s.email_key), ?) > 0
			OR %[1]s.organization_id IN (SELECT id FROM organizations WHERE %[2]s))`, t, cond, wordsFunc), " "+w, " "+w, arg)
	}

	if s.empty() {
		return out
	}
	if !indexed {
		for _, w := range s.indexable() {
			onRow(w)
		}
		return out
	}
	var terms []string
	for _, w := range s.indexable() {
		terms = append(terms, ftsPhrase(w))
	}
	out.fts = strings.Join(terms, " ")
	return out
}

// where returns the whole search as one condition on alias t, with its arguments.
func (s search) where(t, ftsTable string, indexed bool) (string, []any) {
	c := s.compile(t, indexed)
	conds, args := c.where, c.args
	if c.fts != "" {
		conds = append([]string{fmt.Sprintf("%s.rid IN (SELECT rowid FROM %s WHERE %s MATCH ?)", t, ftsTable, ftsTable)}, conds...)
		args = append([]any{c.fts}, args...)
	}
	return strings.Join(conds, " AND "), args
}
