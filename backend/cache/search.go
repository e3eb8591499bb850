package cache

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// search is a parsed search-as-you-type query. Every word must match (AND). A word of three
// or more characters matches anywhere in the name, e-mail or organisation name. A shorter
// word must start a word of one of them ("an" finds "Anna Smith", "anna@example.org" and
// "Leeds Annexe"), except that a query of short words only matches names that start with
// the first one, through the name index.
//
// The trigram index holds each text with a leading space, so that the start of a word is
// " an", itself a trigram: long words and two-letter words are looked up there. A
// one-letter word beside them is checked on the row.
type search struct {
	long  []string // folded words of three or more characters
	short []string // folded words shorter than three characters
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

// ftsQuery is the FTS5 query for the long words and, beside them, the two-letter words:
// each a quoted phrase, which the trigram tokenizer matches as a substring, and which keeps
// FTS5 syntax in a name (AND, NEAR, *, :) from being obeyed.
func (s search) ftsQuery() string {
	if len(s.long) == 0 {
		return ""
	}
	var terms []string
	phrase := func(w string) { terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`) }
	for _, w := range s.long {
		phrase(w)
	}
	for _, w := range s.short {
		if utf8.RuneCountInString(w) == 2 {
			phrase(" " + w)
		}
	}
	return strings.Join(terms, " ")
}

// where returns the SQL condition on table alias t (with rid, name_key, email_key and
// organization_id columns) and its arguments. indexed says whether the trigram index may be
// used: not during a bulk load (bulk.go).
func (s search) where(t, ftsTable string, indexed bool) (string, []any) {
	var conds []string
	var args []any
	if q := s.ftsQuery(); q != "" && indexed {
		conds = append(conds, fmt.Sprintf("%s.rid IN (SELECT rowid FROM %s WHERE %s MATCH ?)", t, ftsTable, ftsTable))
		args = append(args, q)
	}
	c, a := s.rowWhere(t, indexed)
	return strings.Join(append(conds, c...), " AND "), append(args, a...)
}

// rowWhere returns the conditions checked on the row itself: those for the words ftsQuery
// leaves out, or for every word if the index is not to be used.
func (s search) rowWhere(t string, indexed bool) ([]string, []any) {
	var conds []string
	var args []any
	if !indexed {
		for _, w := range s.long {
			conds = append(conds, fmt.Sprintf(`(instr(%[1]s.name_key, ?) > 0 OR instr(%[1]s.email_key, ?) > 0
				OR instr(coalesce((SELECT name_key FROM organizations WHERE id = %[1]s.organization_id), ''), ?) > 0)`, t))
			args = append(args, w, w, w)
		}
	}
	short := s.short
	if len(s.long) == 0 && len(short) > 0 {
		conds = append(conds, fmt.Sprintf("%[1]s.name_key >= ? AND %[1]s.name_key < ?", t))
		args = append(args, short[0], prefixEnd(short[0]))
		short = short[1:]
	}
	for _, w := range short {
		if indexed && len(s.long) > 0 && utf8.RuneCountInString(w) == 2 {
			continue // in the FTS query
		}
		conds = append(conds, fmt.Sprintf(`(instr(' ' || %[1]s.name_key, ?) > 0 OR (%[1]s.email_key >= ? AND %[1]s.email_key < ?)
			OR instr(' ' || coalesce((SELECT name_key FROM organizations WHERE id = %[1]s.organization_id), ''), ?) > 0)`, t))
		args = append(args, " "+w, w, prefixEnd(w), " "+w)
	}
	return conds, args
}
