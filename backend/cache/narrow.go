package cache

import (
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"
)

// Search as you type narrows. Each keystroke that only extends the search ("emile" →
// "emile.t", "Annette" → "Annette V") can match only accounts the previous keystroke
// matched, so when that search was complete (under SearchCountCap) the new one checks
// those few hundred rows instead of matching a phrase of common trigrams over the whole
// index again. In typing order this is most keystrokes.
//
// It must never show a stale list: the memo is kept only from a search that saw the
// database as it is at a version (writes counts every commit twice, before and after, so
// an odd count is a commit under way), and is used only while that version holds, before
// and after the narrowing read.

type narrowMemo struct {
	mu      sync.Mutex
	key     string   // the filter without its search and page
	words   []string // the folded search words, in order
	matches []int64  // every match, by rid
	version uint64
}

// narrowKey is the part of a filter the matches depend on, besides the search.
func narrowKey(f AccountFilter) string {
	f.Query, f.Limit, f.Offset, f.Sort, f.Desc = "", 0, 0, "", false
	b, _ := json.Marshal(f)
	return string(b)
}

func searchWords(q string) []string { return strings.Fields(fold(q)) }

// refines reports whether every account matching the words next also matches prev: the
// same words, the last one lengthened, and words added. A word of three or more
// characters matches anywhere, a shorter one only at a word's start, so "em" → "emi"
// widens rather than narrows ("Jemima").
func refines(prev, next []string) bool {
	if len(prev) == 0 || len(next) < len(prev) {
		return false
	}
	last := len(prev) - 1
	for i := range last {
		if prev[i] != next[i] {
			return false
		}
	}
	o, n := prev[last], next[last]
	return strings.HasPrefix(n, o) && (utf8.RuneCountInString(o) >= 3 || utf8.RuneCountInString(n) < 3)
}

// candidates returns the previous matches when the search refines them at this version.
func (m *narrowMemo) candidates(key string, words []string, version uint64) ([]int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if version%2 != 0 || m.version != version || m.key != key || !refines(m.words, words) {
		return nil, false
	}
	return m.matches, true
}

func (m *narrowMemo) store(key string, words []string, matches []int64, version uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.key, m.words, m.matches, m.version = key, words, matches, version
}
