package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"gatehouse/backend/portal"
)

// Message is one e-mail to one recipient. Text is the plain-text body; HTML, when set,
// makes the message multipart/alternative. MessageID should be set by callers that may
// resend after a crash (see NewMessageID): the same message keeps the same ID.
type Message struct {
	From    mail.Address
	To      mail.Address
	ReplyTo *mail.Address
	Subject string
	Text    string
	HTML    string
	// MessageID is "<id@domain>" (the brackets are added when missing). Empty: Bytes
	// makes a new one each time.
	MessageID string
	// Headers are extra header fields (such as List-Unsubscribe or X-Gatehouse-Batch).
	// Names must be plain field names and not one Bytes writes itself; values must be one
	// line.
	Headers map[string]string
}

// reservedHeaders are written by Bytes from the Message's fields, or must never be set by
// a caller (Bcc, Received, Return-Path).
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true, "Sender": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
	"Return-Path": true, "Received": true, "Resent-From": true, "Resent-To": true,
	"Resent-Cc": true, "Resent-Bcc": true, "Resent-Date": true, "Resent-Message-Id": true,
	"Resent-Sender": true,
}

// maxLine is the longest header line RFC 5322 allows, without its CRLF.
const maxLine = 998

// NewMessageID returns a new random Message-ID "<...@domain>". Store it with the
// recipient before the first attempt so that every retry sends the same ID.
func NewMessageID(domain string) string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	id := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return "<" + id + "@" + messageIDDomain(domain) + ">"
}

func messageIDDomain(domain string) string {
	d, err := idna.Lookup.ToASCII(strings.TrimSpace(domain))
	if err != nil || d == "" || !isDotAtom(d) {
		return "gatehouse.invalid"
	}
	return d
}

func isDotAtom(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !isAtext(c) {
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// normalizeMessageID checks an ID and puts it in brackets.
func normalizeMessageID(id string) (string, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	at := strings.LastIndexByte(inner, '@')
	if at <= 0 || !isDotAtom(inner[:at]) || !isDotAtom(inner[at+1:]) || len(inner) > 250 {
		return "", portal.FieldErrorf("messageId", "%q is not a valid Message-ID; use NewMessageID to make one.", id)
	}
	return "<" + inner + ">", nil
}

// checkAddress makes sure an address can go into a header and an SMTP command as it is:
// one plain address, no line breaks or spaces, the domain in its ASCII (IDNA) form.
// utf8Local reports a local part that needs SMTPUTF8.
func checkAddress(field string, a mail.Address) (out mail.Address, utf8Local bool, err error) {
	addr := a.Address
	if addr == "" {
		return a, false, portal.FieldErrorf(field, "The %s address is missing.", field)
	}
	bad := func() (mail.Address, bool, error) {
		return a, false, portal.FieldErrorf(field, "The %s address %q is not one plain e-mail address like name@example.org.", field, addr)
	}
	for _, r := range addr {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' || r == '\\' {
			return bad()
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return bad()
	}
	domain, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil || !isDotAtom(domain) {
		return bad()
	}
	local := addr[:at]
	parsed, err := mail.ParseAddress("<" + local + "@" + domain + ">")
	if err != nil || parsed.Address != local+"@"+domain {
		return bad()
	}
	for i := 0; i < len(local); i++ {
		if local[i] >= utf8.RuneSelf {
			utf8Local = true
			break
		}
	}
	return mail.Address{Name: cleanLine(strings.ToValidUTF8(a.Name, "\uFFFD")), Address: local + "@" + domain}, utf8Local, nil
}

// cleanLine turns a value that belongs on one line into one: line breaks, tabs and other
// control characters become single spaces, and so does any run of spaces (a header can
// only be folded at a space, so a run longer than a line could not be written). Names from
// SSO and spreadsheets can carry any of them, and refusing the message for it would punish
// the recipient.
func cleanLine(s string) string {
	if !strings.ContainsFunc(s, breaksLine) && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if breaksLine(r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// headerWriter writes header fields, folding long ones at spaces.
type headerWriter struct {
	buf bytes.Buffer
	err error
}

func (w *headerWriter) field(name, value string) {
	if w.err != nil {
		return
	}
	if strings.ContainsAny(value, "\r\n") {
		// Everything reaching here has been cleaned or encoded; this guards the guard.
		w.err = portal.FieldErrorf(strings.ToLower(name), "The %s header would contain a line break.", name)
		return
	}
	line := name + ": " + value
	first := true
	for len(line) > 78 {
		cut := foldPoint(line, first)
		if cut < 0 || cut > maxLine {
			break // the length check below refuses what cannot be folded short enough
		}
		w.buf.WriteString(line[:cut])
		w.buf.WriteString("\r\n")
		line = line[cut:] // starts with the space, which makes it a continuation line
		first = false
	}
	if len(line) > maxLine {
		w.err = portal.FieldErrorf(strings.ToLower(name), "The %s header has a word too long for an e-mail header.", name)
		return
	}
	w.buf.WriteString(line)
	w.buf.WriteString("\r\n")
}

// foldPoint returns where to break line (at a space) so that the part before is at most
// 78 characters if possible and is never blank, or -1 when there is no such space.
func foldPoint(line string, first bool) int {
	lowest := 1 // a continuation line starts with its space: keep at least one word
	if first {
		lowest = strings.IndexByte(line, ':') + 2 // keep "Name: word" together
	}
	blank := func(cut int) bool { return strings.TrimSpace(line[:cut]) == "" || cut <= lowest }
	for cut := min(78, len(line)-1); cut > 0; cut-- {
		if line[cut] == ' ' && !blank(cut) && strings.TrimSpace(line[cut:]) != "" {
			return cut
		}
	}
	for cut := 79; cut < len(line); cut++ {
		if line[cut] == ' ' && !blank(cut) && strings.TrimSpace(line[cut:]) != "" {
			return cut
		}
	}
	return -1
}

// encodeText encodes unstructured header text (a subject, an extra header) as RFC 2047
// words when it is not plain ASCII, when it holds a word too long to fold, or when it
// already looks like an encoded word, which a mail program would otherwise decode (into
// anything, line breaks included) instead of showing as written.
func encodeText(s string) string {
	s = cleanLine(s)
	if strings.Contains(s, "=?") || longestWord(s) > 70 {
		return forceEncode(s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// forceEncode writes s as base64 encoded words short enough to fold under 78 columns,
// never splitting a character.
func forceEncode(s string) string {
	var words []string
	for len(s) > 0 {
		n := min(39, len(s))
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// formatAddress is mail.Address.String, but a display name that looks like an encoded
// word is encoded itself, for the same reason as in encodeText, and so is one whose quoted
// form has a word too long to fold (quoting can double its length).
func formatAddress(a mail.Address) string {
	plain := a.String()
	if a.Name != "" && (strings.Contains(a.Name, "=?") || longestWord(plain) > 70) {
		return forceEncode(a.Name) + " " + (&mail.Address{Address: a.Address}).String()
	}
	return plain
}

func longestWord(s string) int {
	longest := 0
	for _, w := range strings.Fields(s) {
		longest = max(longest, len(w))
	}
	return longest
}

func validFieldName(name string) bool {
	if name == "" || len(name) > 76 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '!' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// Bytes returns the message in RFC 5322 form with CRLF line ends, dated now. Nothing the
// caller supplies can add a header line: names and subjects are cleaned to one line and
// encoded, addresses and the Message-ID are checked, extra headers with a line break are
// refused. Errors are portal.Error (invalid) naming the field.
func (m Message) Bytes(now time.Time) ([]byte, error) {
	from, _, err := checkAddress("from", m.From)
	if err != nil {
		return nil, err
	}
	to, _, err := checkAddress("to", m.To)
	if err != nil {
		return nil, err
	}
	id := m.MessageID
	if id == "" {
		id = NewMessageID(from.Address[strings.LastIndexByte(from.Address, '@')+1:])
	}
	if id, err = normalizeMessageID(id); err != nil {
		return nil, err
	}
	// Text from spreadsheets can hold stray bytes; show them as U+FFFD rather than refuse.
	subject := strings.ToValidUTF8(m.Subject, "\uFFFD")
	text, htmlText := strings.ToValidUTF8(m.Text, "\uFFFD"), strings.ToValidUTF8(m.HTML, "\uFFFD")

	var h headerWriter
	h.field("From", formatAddress(from))
	h.field("To", formatAddress(to))
	if m.ReplyTo != nil {
		rt, _, err := checkAddress("replyTo", *m.ReplyTo)
		if err != nil {
			return nil, err
		}
		h.field("Reply-To", formatAddress(rt))
	}
	h.field("Subject", encodeText(subject))
	h.field("Date", now.Format(time.RFC1123Z))
	h.field("Message-ID", id)
	h.field("MIME-Version", "1.0")
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := m.Headers[name]
		field := "headers." + name
		if !validFieldName(name) {
			return nil, portal.FieldErrorf(field, "%q is not a valid header name: use letters, digits and hyphens.", name)
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if reservedHeaders[canon] {
			return nil, portal.FieldErrorf(field, "The %s header is written by Gatehouse itself and cannot be set as an extra header.", canon)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, portal.FieldErrorf(field, "The value of the %s header contains a line break; a header value must be one line.", canon)
		}
		if strings.ContainsFunc(value, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
			return nil, portal.FieldErrorf(field, "The value of the %s header contains control characters.", canon)
		}
		h.field(canon, encodeText(value))
	}
	if h.err != nil {
		return nil, h.err
	}

	var body bytes.Buffer
	if htmlText == "" {
		h.field("Content-Type", "text/plain; charset=utf-8")
		h.field("Content-Transfer-Encoding", "quoted-printable")
		if err := writeQP(&body, text); err != nil {
			return nil, err
		}
	} else {
		mw := multipart.NewWriter(&body)
		// "=_" cannot occur in quoted-printable text, so the boundary never collides.
		if err := mw.SetBoundary("=_" + randomToken()); err != nil {
			return nil, fmt.Errorf("mail: making a MIME boundary: %w", err)
		}
		h.field("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		for _, part := range []struct{ ctype, text string }{{"text/plain", text}, {"text/html", htmlText}} {
			pw, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {part.ctype + "; charset=utf-8"},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			if err != nil {
				return nil, fmt.Errorf("mail: building the message: %w", err)
			}
			if err := writeQP(pw, part.text); err != nil {
				return nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, fmt.Errorf("mail: building the message: %w", err)
		}
	}
	if h.err != nil {
		return nil, h.err
	}
	out := make([]byte, 0, h.buf.Len()+2+body.Len()+2)
	out = append(out, h.buf.Bytes()...)
	out = append(out, '\r', '\n')
	out = append(out, body.Bytes()...)
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out, nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, text string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(text)); err != nil {
		return fmt.Errorf("mail: encoding the message text: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mail: encoding the message text: %w", err)
	}
	return nil
}

func randomToken() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
