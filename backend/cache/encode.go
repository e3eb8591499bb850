package cache

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// TimeLayout is how the desktop database stores times: fixed-width UTC, so stored times
// sort and compare as text. The packages with tables of their own in it (batch, imports,
// sync state) and the report queries use this codec, so a time is written one way only.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

const timeLayout = TimeLayout

// FormatTime is a time as the desktop database stores it.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTime(t time.Time) string { return FormatTime(t) }

// FormatTimePtr is FormatTime for an optional time: nil (SQL NULL) for a nil or zero time.
func FormatTimePtr(t *time.Time) any { return fmtTimePtr(t) }

// fmtTimePtr returns nil (SQL NULL) for a nil or zero time.
func fmtTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("the local database holds a malformed time %q: %w", s, err)
	}
	return t, nil
}

// Time lets a row's Scan read a stored time straight into its field: Scan(cache.Time(&r.At)).
// The scanners keep the codec in one place and spare every scan function the parse-and-check
// lines after its Scan.
func Time(dst *time.Time) sql.Scanner { return timeScanner{dst} }

// OptTime is Time for an optional time: NULL or "" reads as nil.
func OptTime(dst **time.Time) sql.Scanner { return optTimeScanner{dst} }

type timeScanner struct{ dst *time.Time }

func (s timeScanner) Scan(v any) error {
	text, err := storedText(v)
	if err != nil {
		return err
	}
	*s.dst, err = parseTime(text)
	return err
}

type optTimeScanner struct{ dst **time.Time }

func (s optTimeScanner) Scan(v any) error {
	if v == nil {
		*s.dst = nil
		return nil
	}
	text, err := storedText(v)
	if err != nil || text == "" {
		*s.dst = nil
		return err
	}
	t, err := parseTime(text)
	*s.dst = &t
	return err
}

// storedText is a TEXT column's value as the driver hands it over.
func storedText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("the local database holds %T where a time belongs", v)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonList encodes a string list as a JSON array, never null.
func jsonList[T ~string](xs []T) string {
	if len(xs) == 0 {
		return "[]"
	}
	b, err := json.Marshal(xs)
	if err != nil {
		panic(err) // a string slice always marshals
	}
	return string(b)
}

func parseList[T ~string](s, what string) ([]T, error) {
	xs := []T{}
	if s == "" {
		return xs, nil
	}
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, fmt.Errorf("the local database holds a malformed %s list %q: %w", what, s, err)
	}
	return xs, nil
}

func jsonValue(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// rawOrNull stores a JSON document, or SQL NULL for none.
func rawOrNull(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

func nullRaw(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

var foldAccents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// foldLetters spells out the Latin letters that have no accent decomposition, so that
// "Soren" finds "Søren" and "Lodz" finds "Łódź" as an administrator typing on an English
// keyboard expects.
var foldLetters = strings.NewReplacer(
	"ø", "o", "Ø", "o", "ł", "l", "Ł", "l", "đ", "d", "Đ", "d", "ð", "d", "Ð", "d",
	"æ", "ae", "Æ", "ae", "œ", "oe", "Œ", "oe", "ß", "ss", "ẞ", "ss", "þ", "th", "Þ", "th", "ı", "i",
)

// fold is the comparison form of a name or address for sorting and prefix search:
// lower-case, accents removed, surrounding space trimmed. It matches what the trigram
// index does with remove_diacritics, so "Émile" and "emile" find each other both ways.
func fold(s string) string {
	s = strings.TrimSpace(s)
	ascii := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) < 0
	if ascii {
		return strings.ToLower(s)
	}
	out, _, err := transform.String(foldAccents, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(foldLetters.Replace(out))
}
