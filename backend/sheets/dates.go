package sheets

import (
	"strings"
	"time"
)

// dateKind says how a number format shows a serial number: not as a date, or as a
// date, a date and time, or a time of day.
type dateKind uint8

const (
	notDate dateKind = iota
	kindDate
	kindDateTime
	kindTime
)

// builtinDateKind classifies Excel's built-in number formats by ID (ECMA-376 part 1,
// 18.8.30, plus the East Asian locale formats Excel writes by ID).
func builtinDateKind(id int) dateKind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58, id >= 71 && id <= 75:
		return kindDate
	case id == 22:
		return kindDateTime
	case id >= 18 && id <= 21, id == 32, id == 33, id >= 45 && id <= 47, id >= 76 && id <= 81:
		return kindTime
	}
	return notDate
}

// classifyNumFmt tells whether a custom number format code shows dates or times. Only the
// first section counts (the one for positive numbers); quoted text, escaped characters
// and bracketed colours or locales are not format letters.
func classifyNumFmt(code string) dateKind {
	if i := sectionEnd(code); i >= 0 {
		code = code[:i]
	}
	var hasD, hasY, hasM, hasH, hasS bool
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return notDate
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return notDate
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				hasH = true // elapsed time: [h]:mm
			}
			i += j
		case 'd', 'D':
			hasD = true
		case 'e':
			if i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') {
				i++ // scientific notation, 0.00e+00
				continue
			}
			hasY = true
		case 'y', 'Y':
			hasY = true
		case 'm', 'M':
			hasM = true
		case 'h', 'H':
			hasH = true
		case 's', 'S':
			hasS = true
		case '@':
			return notDate
		case 'G', 'g':
			if strings.HasPrefix(strings.ToLower(code[i:]), "general") {
				i += len("general") - 1
			}
		}
	}
	date := hasD || hasY || (hasM && !hasH && !hasS)
	tod := hasH || hasS
	switch {
	case date && tod:
		return kindDateTime
	case date:
		return kindDate
	case tod:
		return kindTime
	}
	return notDate
}

func sectionEnd(code string) int {
	inQuote := false
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			i++
		case ';':
			if !inQuote {
				return i
			}
		}
	}
	return -1
}

func formatDateTime(t time.Time, kind dateKind) string {
	switch kind {
	case kindTime:
		if t.Year() <= 1900 {
			return t.Format("15:04:05")
		}
		return t.Format("2006-01-02 15:04:05")
	case kindDateTime:
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format("2006-01-02")
		}
		return t.Format("2006-01-02 15:04:05")
	}
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02")
}

func dateKindFor(t time.Time) dateKind {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return kindDate
	}
	return kindDateTime
}

// parseISODateTime reads the ISO 8601 values of t="d" cells.
func parseISODateTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
