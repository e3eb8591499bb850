package sheets

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// xmlScanner is a small pull tokenizer used only by the guard (guard.go), which walks the
// worksheet beside excelize to learn each cell's type and style and to notice text that
// excelize does not hand back. It needs tags, attributes, CDATA and whether text is
// present, never the decoded text itself, so it is several times faster than
// encoding/xml and runs alongside excelize at little cost. It never expands a DTD, so
// entity bombs are inert.
type xmlScanner struct {
	r        *bufio.Reader
	kind     tokKind
	name     []byte // local name of the current tag
	qname    []byte // the current tag's name as written, with any prefix
	skips    int    // comments, processing instructions and declarations passed over
	attrs    []byte // raw attributes of the current start tag
	self     bool   // the current start tag is self-closing
	text     []byte // raw text (tokText) or CDATA contents (tokCDATA); valid until next
	tag      []byte // scratch: the bytes of the current tag
	textBuf  []byte // scratch: text longer than the reader's buffer
	consumed int64  // bytes read so far, for error positions
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokCDATA
	tokSkip // a comment, processing instruction or declaration
)

var errXMLSyntax = errors.New("malformed XML")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 256<<10)}
}

// next advances to the next token. It returns tokEOF with a nil error at the end of input.
func (s *xmlScanner) next() (tokKind, error) {
	for {
		k, err := s.next1()
		if k == tokSkip {
			s.skips++
			continue
		}
		return k, err
	}
}

func (s *xmlScanner) next1() (tokKind, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			s.kind = tokEOF
			return tokEOF, nil
		}
		return tokEOF, err
	}
	s.consumed++
	if c != '<' {
		_ = s.r.UnreadByte()
		s.consumed--
		return s.readText()
	}
	return s.readTag()
}

func (s *xmlScanner) readText() (tokKind, error) {
	line, err := s.r.ReadSlice('<')
	s.consumed += int64(len(line))
	if err == bufio.ErrBufferFull {
		s.textBuf = append(s.textBuf[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = s.r.ReadSlice('<')
			s.consumed += int64(len(line))
			s.textBuf = append(s.textBuf, line...)
		}
		line = s.textBuf
	}
	switch {
	case err == nil:
		_ = s.r.UnreadByte()
		s.consumed--
		line = line[:len(line)-1]
	case err == io.EOF:
	default:
		return tokEOF, err
	}
	s.kind, s.text = tokText, line
	return tokText, nil
}

func (s *xmlScanner) readTag() (tokKind, error) {
	s.tag = s.tag[:0]
	quote := byte(0)
	for {
		chunk, err := s.r.ReadSlice('>')
		s.consumed += int64(len(chunk))
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return tokEOF, errXMLSyntax
			}
			return tokEOF, err
		}
		start := len(s.tag)
		s.tag = append(s.tag, chunk...)
		if err == bufio.ErrBufferFull {
			if len(s.tag) > 64<<20 {
				return tokEOF, errXMLSyntax
			}
			continue
		}
		// Comments, CDATA and processing instructions end with their own markers, and a
		// '>' inside a quoted attribute value does not end a tag.
		t := s.tag
		switch {
		case bytes.HasPrefix(t, []byte("!--")):
			if len(t) >= 6 && bytes.HasSuffix(t, []byte("-->")) {
				return tokSkip, nil
			}
			continue
		case bytes.HasPrefix(t, []byte("![CDATA[")):
			if len(t) >= 11 && bytes.HasSuffix(t, []byte("]]>")) {
				s.kind, s.text = tokCDATA, t[8:len(t)-3]
				return tokCDATA, nil
			}
			continue
		case len(t) > 0 && (t[0] == '?' || t[0] == '!'):
			return tokSkip, nil
		}
		for _, b := range t[start:] {
			if quote != 0 {
				if b == quote {
					quote = 0
				}
			} else if b == '"' || b == '\'' {
				quote = b
			}
		}
		if quote != 0 {
			continue
		}
		break
	}
	t := s.tag[:len(s.tag)-1] // without '>'
	if len(t) == 0 {
		return tokEOF, errXMLSyntax
	}
	if t[0] == '/' {
		s.qname = bytes.TrimSpace(t[1:])
		s.kind, s.name = tokEnd, localName(s.qname)
		return tokEnd, nil
	}
	s.self = false
	if t[len(t)-1] == '/' {
		s.self = true
		t = t[:len(t)-1]
	}
	i := 0
	for i < len(t) && !isXMLSpace(t[i]) {
		i++
	}
	s.qname = t[:i]
	s.kind, s.name, s.attrs = tokStart, localName(t[:i]), t[i:]
	return tokStart, nil
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func localName(n []byte) []byte {
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// attr returns the raw value of the attribute with the given local name: the last, when
// a start tag repeats it, as encoding/xml decodes it into excelize's structures (the
// guard must check the value excelize will use, and the fast read hand out the same).
func (s *xmlScanner) attr(name string) ([]byte, bool) { return s.findAttr(name, false) }

// declAttr is attr for the XML declaration, whose parameters encoding/xml takes at their
// first occurrence.
func (s *xmlScanner) declAttr(name string) ([]byte, bool) { return s.findAttr(name, true) }

func (s *xmlScanner) findAttr(name string, first bool) (found []byte, ok bool) {
	a := s.attrs
	for len(a) > 0 {
		for len(a) > 0 && isXMLSpace(a[0]) {
			a = a[1:]
		}
		eq := bytes.IndexByte(a, '=')
		if eq < 0 {
			return found, ok
		}
		key := localName(bytes.TrimSpace(a[:eq]))
		a = a[eq+1:]
		for len(a) > 0 && isXMLSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 || (a[0] != '"' && a[0] != '\'') {
			return found, ok
		}
		end := bytes.IndexByte(a[1:], a[0])
		if end < 0 {
			return found, ok
		}
		val := a[1 : 1+end]
		a = a[end+2:]
		if string(key) == name {
			if first {
				return val, true
			}
			found, ok = val, true
		}
	}
	return found, ok
}
