package sheets

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// The fast read. excelize's streaming Rows decodes every cell with encoding/xml and
// spends about 60% of an import there. The guard already walks every cell of the sheet,
// so on a well-formed sheet it also takes the cells' text itself, and the shared strings
// are read by the same scanner. It is strict: anything it is not certain to read exactly
// as excelize would — XML encoding/xml would refuse, an entity it does not know, an
// element where excelize would look elsewhere, a comment, a non-UTF-8 part — makes it
// step aside (errFallback), and the read goes on with excelize and the guard as before,
// from the first row not yet handed out. So the fast read never decides an error and
// never reads a value differently; FuzzFastReadMatchesExcelize and
// TestFastReadMatchesExcelize hold it to that.

// errFallback says the fast read is not certain of this part; excelize reads it.
var errFallback = errors.New("sheets: the fast read leaves this part to excelize")

// fastRead can be switched off by tests, to compare the two reads; fastFallbacks
// counts the reads that stepped aside, so tests can tell the fast read was used.
var (
	fastRead      = true
	fastFallbacks atomic.Int64
)

// xmlPrologOK tells whether a part is UTF-8 XML with at most a plain declaration, as
// the fast read takes it, and how many skipped tokens (the declaration) to allow.
func xmlPrologOK(zf *zip.File) (allowSkips int, ok bool) {
	rc, err := zf.Open()
	if err != nil {
		return 0, false
	}
	defer rc.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(rc, head)
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("<?xml")) {
		// A byte-order mark, leading space or anything else: encoding/xml's reading of
		// it is left to encoding/xml.
		return 0, bytes.HasPrefix(head, []byte("<")) && !bytes.HasPrefix(head, []byte("<?")) && !bytes.HasPrefix(head, []byte("<!"))
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return 0, false
	}
	decl := head[5:end]
	if len(decl) == 0 || !isXMLSpace(decl[0]) {
		return 0, false
	}
	sc := &xmlScanner{attrs: decl}
	if !validAttrs(decl) {
		return 0, false
	}
	if v, ok := sc.declAttr("version"); ok && string(v) != "1.0" {
		return 0, false
	}
	if enc, ok := sc.declAttr("encoding"); ok && !strings.EqualFold(string(enc), "utf-8") {
		return 0, false
	}
	return 1, true
}

// validName is a conservative XML name: ASCII letters, digits and ._-: (not first).
func validName(n []byte) bool {
	if len(n) == 0 {
		return false
	}
	for i, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':'):
		default:
			return false
		}
	}
	return n[0] != ':' && n[len(n)-1] != ':' && bytes.Count(n, []byte(":")) <= 1
}

// validAttrs checks a start tag's attributes as strict encoding/xml would: name="value"
// pairs, quoted, no '<' in a value, only entities it knows.
func validAttrs(a []byte) bool {
	for {
		start := len(a)
		for len(a) > 0 && isXMLSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 {
			return true
		}
		if len(a) == start {
			return false // attributes must be separated by space
		}
		eq := bytes.IndexByte(a, '=')
		if eq < 0 || !validName(bytes.TrimRight(a[:eq], " \t\r\n")) {
			return false
		}
		a = a[eq+1:]
		for len(a) > 0 && isXMLSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 || (a[0] != '"' && a[0] != '\'') {
			return false
		}
		end := bytes.IndexByte(a[1:], a[0])
		if end < 0 {
			return false
		}
		val := a[1 : 1+end]
		if bytes.IndexByte(val, '<') >= 0 || bytes.IndexByte(val, '&') >= 0 || !validXMLChars(val) {
			return false // values with entities are rare in sheets: left to encoding/xml
		}
		a = a[end+2:]
	}
}

// validXMLChars reports text that is valid UTF-8 of characters XML 1.0 allows.
func validXMLChars(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return true
	}
	return utf8.Valid(b) && !bytes.Contains(b, []byte("\xEF\xBF\xBE")) && !bytes.Contains(b, []byte("\xEF\xBF\xBF"))
}

// validText checks text the fast read does not keep, as encoding/xml would read it.
func validText(raw []byte, cdata bool) bool {
	if cdata || bytes.IndexByte(raw, '&') < 0 {
		return validXMLChars(raw)
	}
	var scratch [64]byte
	_, ok := appendText(scratch[:0], raw, false)
	return ok
}

// appendText appends text as encoding/xml hands it out: the five entities and
// character references replaced, line ends normalised. It reports false for anything
// it is not certain of.
func appendText(dst, raw []byte, cdata bool) ([]byte, bool) {
	if !validXMLChars(raw) {
		return dst, false
	}
	for len(raw) > 0 {
		i := bytes.IndexAny(raw, "&\r")
		if cdata {
			i = bytes.IndexByte(raw, '\r')
		}
		if i < 0 {
			return append(dst, raw...), true
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		if raw[0] == '\r' {
			dst = append(dst, '\n')
			raw = raw[1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		semi := bytes.IndexByte(raw, ';')
		if semi < 2 || semi > 12 {
			return dst, false
		}
		ent := string(raw[1:semi])
		raw = raw[semi+1:]
		switch ent {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "apos":
			dst = append(dst, '\'')
		case "quot":
			dst = append(dst, '"')
		default:
			if ent[0] != '#' {
				return dst, false
			}
			var n uint64
			var err error
			if len(ent) > 1 && ent[1] == 'x' {
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			r := rune(n)
			if err != nil || !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, true
}

var escapedChar = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// unescapeOOXML undoes the _xHHHH_ escapes Excel writes for characters XML cannot hold,
// exactly as excelize does when it reads text (its bstrUnmarshal): _x005F_ is an
// underscore, and an escape that is no character (a lone surrogate) is dropped.
func unescapeOOXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	cursor := 0
	for _, m := range escapedChar.FindAllStringIndex(s, -1) {
		b.WriteString(s[cursor:m[0]])
		cursor = m[1]
		if s[m[0]:m[1]] == "_x005F_" {
			b.WriteByte('_')
			continue
		}
		v, _ := strconv.Unquote(`"\u` + s[m[0]+2:m[1]-1] + `"`)
		b.WriteString(v)
	}
	b.WriteString(s[cursor:])
	return b.String()
}

// tagStack checks that end tags match their start tags, as encoding/xml does, without
// an allocation per element.
type tagStack struct {
	buf []byte
	at  []int
}

func (s *tagStack) push(name []byte) {
	s.at = append(s.at, len(s.buf))
	s.buf = append(s.buf, name...)
}

func (s *tagStack) pop(name []byte) bool {
	if len(s.at) == 0 {
		return false
	}
	i := s.at[len(s.at)-1]
	ok := bytes.Equal(s.buf[i:], name)
	s.buf, s.at = s.buf[:i], s.at[:len(s.at)-1]
	return ok
}

// strictToken applies the fast read's checks to the scanner's current token: names,
// attributes and nesting as encoding/xml would, text that is valid, and no comment,
// processing instruction or DOCTYPE beyond the declaration.
func strictToken(sc *xmlScanner, k tokKind, st *tagStack, allowSkips int) bool {
	if sc.skips > allowSkips {
		return false
	}
	switch k {
	case tokStart:
		if !validName(sc.qname) || !validAttrs(sc.attrs) {
			return false
		}
		if !sc.self {
			st.push(sc.qname)
		}
	case tokEnd:
		return validName(sc.qname) && st.pop(sc.qname)
	case tokEOF:
		return len(st.at) == 0
	}
	return true
}

// sstTable is the shared strings as excelize reads them, in one string.
type sstTable struct {
	text   string
	ends   []uint32 // string i is text[ends[i-1]:ends[i]]
	unsure map[int]bool
}

func (t *sstTable) get(i int) (string, bool) {
	if i < 0 || i >= len(t.ends) || t.unsure[i] {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.text[start:t.ends[i]], true
}

// readSST reads the shared strings for the fast read: each <si>'s direct <t>, or its
// runs' <t>, joined, without phonetic runs, as excelize's xlsxSI.String. Anything else
// (several direct <t>, markup inside a <t>) makes the whole table unsure.
func readSST(zf *zip.File) (*sstTable, error) {
	skips, ok := xmlPrologOK(zf)
	if !ok {
		return nil, errFallback
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errFallback
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var st tagStack
	t := &sstTable{}
	var arena, one []byte
	depth, directT := 0, 0
	inSI, inRun, inT, rawText, odd := false, false, false, false, false
	phDepth := 0 // depth of an open <rPh>, whose text is a reading aid
	finish := func() {
		s := unescapeOOXML(string(one))
		if s == "" && rawText || odd {
			if t.unsure == nil {
				t.unsure = map[int]bool{}
			}
			t.unsure[len(t.ends)] = true
		}
		arena = append(arena, s...)
		t.ends = append(t.ends, uint32(len(arena)))
	}
	for {
		k, err := sc.next()
		if err != nil || !strictToken(sc, k, &st, skips) {
			return nil, errFallback
		}
		switch k {
		case tokEOF:
			if len(arena) > 1<<32-1 {
				return nil, errFallback
			}
			t.text = string(arena)
			return t, nil
		case tokStart:
			if inT {
				return nil, errFallback // markup inside text
			}
			// Depth 0 is <sst>, 1 its <si>, 2 the direct <t>, <r> and <rPh>, 3 a run's <t>.
			switch name := string(sc.name); {
			case depth == 1 && name == "si":
				inSI, directT, inRun, one, rawText, odd, phDepth = true, 0, false, one[:0], false, false, 0
				if sc.self {
					inSI = false
					finish()
				}
			case inSI && depth == 2 && name == "t":
				if directT++; directT > 1 {
					return nil, errFallback
				}
				inT = !sc.self
			case inSI && depth == 2 && name == "r":
				inRun = !sc.self
			case inSI && inRun && depth == 3 && name == "t":
				inT = !sc.self
			case inSI && phDepth == 0 && name == "rPh" && !sc.self:
				phDepth = depth
			case inSI && phDepth == 0 && name == "t":
				// A <t> excelize does not take, whose text the guard would miss.
				odd = true
			}
			if !sc.self {
				depth++
			}
		case tokEnd:
			depth--
			switch {
			case inSI && depth == 1:
				inSI = false
				finish()
			case depth == phDepth:
				phDepth = 0
			case string(sc.name) == "t":
				inT = false
			case depth == 2:
				inRun = false
			}
		case tokText, tokCDATA:
			if !inT {
				if !validText(sc.text, k == tokCDATA) {
					return nil, errFallback
				}
				continue
			}
			if len(sc.text) > 0 {
				rawText = true
			}
			if one, ok = appendText(one, sc.text, k == tokCDATA); !ok {
				return nil, errFallback
			}
		}
	}
}
