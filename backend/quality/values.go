package quality

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var nonMemberWords = map[string]bool{
	"no": true, "n": true, "false": true, "0": true, "non member": true, "nonmember": true, "not member": true,
	"not a member": true, "lapsed": true, "lapsed member": true, "former": true, "former member": true, "ex member": true,
	"expired": true, "resigned": true, "cancelled": true, "canceled": true, "left": true, "none": true, "inactive": true,
	"withdrawn": true, "suspended": true, "not paid": true, "unpaid": true, "non": true,
}

var accessWords = map[string]bool{
	"yes": true, "y": true, "true": true, "1": true, "granted": true, "active": true, "enabled": true, "invited": true,
	"has access": true, "portal user": true, "access granted": true, "pilot": true, "registered": true, "x": true,
}

// IsNonMember reports whether a membership cell says "not a member" (No, Lapsed,
// Non-member, Resigned, ...).
func IsNonMember(v string) bool { return isNo(v, nonMemberWords) }

func isNo(v string, words map[string]bool) bool  { return words[foldName(v)] }
func isYes(v string, words map[string]bool) bool { return words[foldName(v)] }

var untilRE = regexp.MustCompile(`(?i)\b(?:until|till|til|to|ends?|ended|expires?|expired|left)\b[\s:\-–—]*(.+)$`)

// afterUntil finds the date in texts such as "Clerk until 03/2024" or "Clerk (until - 31/03/24)".
func afterUntil(s string) (string, bool) {
	m := untilRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return strings.Trim(m[1], " )]."), true
}

var (
	reYMD   = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$`)
	reYM    = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})$`)
	reDMY   = regexp.MustCompile(`^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})$`)
	reMY    = regexp.MustCompile(`^(\d{1,2})[-/. ](\d{4}|\d{2})$`)
	reWords = regexp.MustCompile(`^(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?([a-z]{3,9})\.?,?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?(\d{4}|\d{2})$`)
	reYear  = regexp.MustCompile(`^(\d{4})$`)
)

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
	"jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// RoleEnd reads the last day of a role from a date written the ways spreadsheets and CRMs
// write them: 2024-03-31 (real Excel dates arrive so), 31/03/2024 or 03/31/2024 (by
// dayFirst unless only one reading is possible), 31.03.24, 03/2024 and March 2024 (the
// end of that month), 31 March 2024, March 31, 2024, a bare year (its end), and Excel
// serial numbers. It reports false for anything else.
func RoleEnd(s string, dayFirst bool) (time.Time, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return time.Time{}, false
	}
	if m := reYMD.FindStringSubmatch(s); m != nil {
		return mkDate(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	}
	if m := reYM.FindStringSubmatch(s); m != nil {
		return endOfMonth(atoi(m[1]), atoi(m[2]))
	}
	if m := reDMY.FindStringSubmatch(s); m != nil {
		a, b, y := atoi(m[1]), atoi(m[2]), year(m[3])
		d, mo := a, b
		if !dayFirst {
			d, mo = b, a
		}
		if mo > 12 && d <= 12 {
			d, mo = mo, d // only the other reading is a date
		}
		return mkDate(y, mo, d)
	}
	if m := reMY.FindStringSubmatch(s); m != nil {
		return endOfMonth(year(m[2]), atoi(m[1]))
	}
	if m := reWords.FindStringSubmatch(s); m != nil {
		mo, ok := monthNames[m[2]]
		if !ok {
			return time.Time{}, false
		}
		y := year(m[4])
		day := m[1]
		if day == "" {
			day = m[3]
		}
		if day == "" {
			return endOfMonth(y, int(mo))
		}
		return mkDate(y, int(mo), atoi(day))
	}
	if m := reYear.FindStringSubmatch(s); m != nil {
		if y := atoi(m[1]); y >= 1900 && y <= 2200 {
			return mkDate(y, 12, 31)
		}
		return time.Time{}, false
	}
	// A date column read from CSV may hold Excel's serial numbers (1900 system).
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 10000 && n < 100000 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)), true
	}
	return time.Time{}, false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func year(s string) int {
	y := atoi(s)
	if len(s) == 2 {
		y += 2000
	}
	return y
}

func mkDate(y, m, d int) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 9999 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April
	}
	return t, true
}

func endOfMonth(y, m int) (time.Time, bool) {
	if m < 1 || m > 12 || y < 1900 || y > 9999 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC), true
}
