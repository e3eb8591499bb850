package mail

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"unicode/utf8"

	"gatehouse/backend/portal"
)

// The placeholder grammar. Scanning goes left to right; at each "@" the first rule that
// matches wins, and whatever a placeholder produces is never scanned again.
//
//	placeholder = "@" name [ "|" default ] "@"
//	name        = ident *( "." ident )             ; UserName, system.ProductName
//	ident       = ( ALPHA / "_" ) *( ALPHA / DIGIT / "_" )   ; ASCII only
//	default     = DQUOTE *dchar DQUOTE             ; "this user"
//	            / 2DQUOTE *dchar 2DQUOTE           ; ""this user"" (as seed 003 writes it)
//	dchar       = any character but DQUOTE, CR and LF (an "@" is fine)
//	escape      = "@@"                             ; a literal "@"
//
// `""@` right after the "|" is always the empty default, so a doubled-quote default
// cannot begin with "@" (`@a|""@x""@` is the placeholder @a|""@ followed by text).
//
// Any other "@" is ordinary text and is kept as it is: "support@example.org" stays intact
// because "@example.org" is followed by neither "@" nor "|". A placeholder is replaced by
// its value; a missing or empty value gives the default, and no default gives "".
// (The one thing to avoid is an address glued to a placeholder, "a@b.org@UserName@",
// which reads as the placeholder "@b.org@": put a space between them.)

// placeholder is one parsed "@name|default@".
type placeholder struct {
	name       string
	def        string
	hasDefault bool
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// scanName reads a name starting at s[i] and returns the index just past it, or i when
// there is none.
func scanName(s string, i int) int {
	j := i
	for {
		if j >= len(s) || !isIdentStart(s[j]) {
			return i
		}
		j++
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		i = j
		if j+1 < len(s) && s[j] == '.' && isIdentStart(s[j+1]) {
			j++
			continue
		}
		return i
	}
}

// parseAt tries to read a placeholder at s[i] == '@' and returns it with the index just
// past it.
func parseAt(s string, i int) (placeholder, int, bool) {
	j := scanName(s, i+1)
	if j == i+1 || j >= len(s) {
		return placeholder{}, 0, false
	}
	p := placeholder{name: s[i+1 : j]}
	switch s[j] {
	case '@':
		return p, j + 1, true
	case '|':
	default:
		return placeholder{}, 0, false
	}
	def, end, ok := parseDefault(s, j+1)
	if !ok {
		return placeholder{}, 0, false
	}
	p.def, p.hasDefault = def, true
	return p, end, true
}

// parseDefault reads `"text"@` or `""text""@` at s[k] and returns the text and the index
// just past the closing "@".
func parseDefault(s string, k int) (string, int, bool) {
	if k >= len(s) || s[k] != '"' {
		return "", 0, false
	}
	// `""@` is the empty default, not the start of a doubled-quote one.
	if strings.HasPrefix(s[k:], `""@`) {
		return "", k + 3, true
	}
	quotes := 1
	if strings.HasPrefix(s[k:], `""`) {
		quotes = 2
	}
	start := k + quotes
	n := strings.IndexAny(s[start:], "\"\r\n")
	if n < 0 || s[start+n] != '"' {
		return "", 0, false
	}
	end := start + n
	closing := strings.Repeat(`"`, quotes) + "@"
	if !strings.HasPrefix(s[end:], closing) {
		return "", 0, false
	}
	return s[start:end], end + len(closing), true
}

// Render replaces the placeholders in text with vars (see the grammar above).
func Render(text string, vars map[string]string) string {
	if strings.IndexByte(text, '@') < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/2)
	last := 0
	for i := 0; i < len(text); {
		if text[i] != '@' {
			i++
			continue
		}
		if p, end, ok := parseAt(text, i); ok {
			b.WriteString(text[last:i])
			if v := vars[p.name]; v != "" {
				b.WriteString(v)
			} else {
				b.WriteString(p.def)
			}
			i, last = end, end
			continue
		}
		if i+1 < len(text) && text[i+1] == '@' {
			b.WriteString(text[last : i+1])
			i += 2
			last = i
			continue
		}
		i++
	}
	b.WriteString(text[last:])
	return b.String()
}

// Escape returns text written so that Render gives it back unchanged: every "@" doubled.
func Escape(text string) string { return strings.ReplaceAll(text, "@", "@@") }

// Placeholders returns the names used in text, each once, in order of first use.
func Placeholders(text string) []string {
	var names []string
	seen := map[string]bool{}
	for i := 0; i < len(text); {
		if text[i] != '@' {
			i++
			continue
		}
		if p, end, ok := parseAt(text, i); ok {
			if !seen[p.name] {
				seen[p.name] = true
				names = append(names, p.name)
			}
			i = end
			continue
		}
		if i+1 < len(text) && text[i+1] == '@' {
			i += 2
			continue
		}
		i++
	}
	return names
}

// Problem is one mistake Check found in a template text. Line and Column count from 1,
// Column in characters; Offset is the byte offset of the "@" at fault.
type Problem struct {
	Offset  int    `json:"offset"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// isAddressChar reports whether c can end the local part of an e-mail address: an "@"
// right after one is part of an address, not the start of a placeholder.
func isAddressChar(c byte) bool {
	return isIdentChar(c) || strings.IndexByte(".!#$%&'*+-/=?^`{}~", c) >= 0 || c >= 0x80
}

// Check lists the placeholder mistakes in text. known, when not empty, is the list of
// names the message may use; any other name is reported. Ordinary "@"s (addresses, "meet
// @ 5") are not mistakes, but an "@" that starts a word and is followed by a name is taken
// as a placeholder someone forgot to close.
func Check(text string, known []string) []Problem {
	var probs []Problem
	report := func(off int, format string, args ...any) {
		line := 1 + strings.Count(text[:off], "\n")
		col := 1 + utf8.RuneCountInString(text[strings.LastIndexByte(text[:off], '\n')+1:off])
		probs = append(probs, Problem{Offset: off, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
	}
	for i := 0; i < len(text); {
		if text[i] != '@' {
			i++
			continue
		}
		if p, end, ok := parseAt(text, i); ok {
			if len(known) > 0 && !isKnown[p.name] {
				if s := suggest(p.name, known); s != "" {
					report(i, "@%s@ is not a placeholder of this message; did you mean @%s@?", p.name, s)
				} else {
					report(i, "@%s@ is not a placeholder of this message; it can use %s.", p.name, listNames(known))
				}
			}
			i = end
			continue
		}
		if i+1 < len(text) && text[i+1] == '@' {
			i += 2
			continue
		}
		j := scanName(text, i+1)
		inAddress := i > 0 && isAddressChar(text[i-1])
		switch {
		case j > i+1 && j < len(text) && text[j] == '|':
			report(i, "the default of @%s| is not written as \"text\" followed by @, as in @%s|\"default\"@.", text[i+1:j], text[i+1:j])
		case j > i+1 && !inAddress:
			report(i, "@%s is not closed: end a placeholder with @ (as in @%s@), or write @@ for a plain @.", text[i+1:j], text[i+1:j])
		case j == i+1 && !inAddress && i+1 < len(text) && '0' <= text[i+1] && text[i+1] <= '9':
			report(i, "a placeholder name starts with a letter; write @@ for a plain @.")
		}
		i++
	}
	return probs
}

func suggest(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

func listNames(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "@" + n + "@"
	}
	return strings.Join(parts, ", ")
}

// Validate checks a template before it is stored: a name and a body, a one-line subject,
// and well-formed placeholders from the template's own list. The error is a portal.Error
// (code invalid) naming the field and the line and column of the first mistake.
func Validate(t Template) error {
	if strings.TrimSpace(t.Key) == "" {
		return portal.FieldErrorf("key", "The template has no key.")
	}
	if strings.TrimSpace(t.Name) == "" {
		return portal.FieldErrorf("name", "The template %q has no name; give it one.", t.Key)
	}
	if strings.TrimSpace(t.Subject) == "" && t.Key != KeyNotAuthorised {
		return portal.FieldErrorf("subject", "Enter a subject for %q.", t.Name)
	}
	if strings.ContainsAny(t.Subject, "\r\n") {
		return portal.FieldErrorf("subject", "The subject of %q must be a single line.", t.Name)
	}
	if strings.TrimSpace(t.Body) == "" {
		return portal.FieldErrorf("body", "The text of %q is empty; write the message.", t.Name)
	}
	for _, f := range []struct{ field, label, text string }{
		{"subject", "subject", t.Subject},
		{"body", "text", t.Body},
	} {
		if !utf8.ValidString(f.text) {
			return portal.FieldErrorf(f.field, "The %s of %q is not valid UTF-8 text.", f.label, t.Name)
		}
		if probs := Check(f.text, t.Placeholders); len(probs) > 0 {
			p := probs[0]
			return portal.FieldErrorf(f.field, "In the %s of %q, line %d, column %d: %s", f.label, t.Name, p.Line, p.Column, p.Message)
		}
	}
	return nil
}

// Segment is a run of rendered text, or a link when URL is set (Text is then its label).
type Segment struct {
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

// RenderSegments renders text and splits out the links written [label](target). The
// brackets are found in the template before anything is substituted, so a value such as
// a name can never make or break a link. A target that does not render to an http(s) or
// mailto URL or a path on the same site is dropped and its label kept as text.
func RenderSegments(text string, vars map[string]string) []Segment {
	var segs []Segment
	add := func(s Segment) {
		if s.URL == "" && len(segs) > 0 && segs[len(segs)-1].URL == "" {
			segs[len(segs)-1].Text += s.Text
			return
		}
		if s.Text != "" || s.URL != "" {
			segs = append(segs, s)
		}
	}
	rest := text
	for {
		start, labelEnd, targetEnd, ok := findLink(rest)
		if !ok {
			add(Segment{Text: Render(rest, vars)})
			return segs
		}
		add(Segment{Text: Render(rest[:start], vars)})
		label := Render(rest[start+1:labelEnd], vars)
		target := strings.TrimSpace(Render(rest[labelEnd+2:targetEnd], vars))
		if safeURL(target) {
			add(Segment{Text: label, URL: target})
		} else {
			add(Segment{Text: label})
		}
		rest = rest[targetEnd+1:]
	}
}

// findLink finds the first "[label](target)" in s: no "[", "]" or line break in the
// label, no whitespace or ")" in the target.
func findLink(s string) (start, labelEnd, targetEnd int, ok bool) {
	for off := 0; ; {
		i := strings.IndexByte(s[off:], '[')
		if i < 0 {
			return 0, 0, 0, false
		}
		start = off + i
		j := strings.IndexAny(s[start+1:], "[]\r\n")
		if j < 0 {
			return 0, 0, 0, false
		}
		labelEnd = start + 1 + j
		if s[labelEnd] == ']' && strings.HasPrefix(s[labelEnd:], "](") {
			k := strings.IndexAny(s[labelEnd+2:], ") \t\r\n")
			if k > 0 && s[labelEnd+2+k] == ')' {
				return start, labelEnd, labelEnd + 2 + k, true
			}
		}
		off = start + 1
	}
}

func safeURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n\"'<>\\") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	case "":
		return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
	}
	return false
}

// RenderText renders text for a plain-text message: a link becomes "label <url>".
func RenderText(text string, vars map[string]string) string {
	var b strings.Builder
	for _, s := range RenderSegments(text, vars) {
		b.WriteString(s.Text)
		if s.URL != "" {
			b.WriteString(" <" + s.URL + ">")
		}
	}
	return b.String()
}

// RenderHTML renders text as an HTML fragment: paragraphs at blank lines, <br> at line
// breaks, links as <a>, everything else escaped.
func RenderHTML(text string, vars map[string]string) string {
	var b strings.Builder
	b.WriteString("<p>")
	for _, s := range RenderSegments(strings.ReplaceAll(text, "\r\n", "\n"), vars) {
		if s.URL != "" {
			b.WriteString(`<a href="` + html.EscapeString(s.URL) + `">` + html.EscapeString(s.Text) + "</a>")
			continue
		}
		t := html.EscapeString(strings.ReplaceAll(s.Text, "\r\n", "\n"))
		t = strings.ReplaceAll(t, "\r", "\n")
		t = strings.ReplaceAll(t, "\n\n", "</p><p>")
		t = strings.ReplaceAll(t, "\n", "<br>")
		b.WriteString(t)
	}
	b.WriteString("</p>")
	out := b.String()
	// A trailing newline in the template should not leave an empty paragraph behind.
	out = strings.ReplaceAll(out, "<p></p>", "")
	out = strings.ReplaceAll(out, "<br></p>", "</p>")
	return out
}
