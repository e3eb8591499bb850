package mail_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	gmail "gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// parse reads a message the way a receiving program would and checks the shape every
// message must have: CRLF line ends, one header block with exactly the wanted fields,
// no header line over 998 characters.
func parse(t *testing.T, raw []byte, extra ...string) *mail.Message {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatalf("bare CR or LF in message:\n%q", raw)
	}
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of header in:\n%s", raw)
	}
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d characters", len(line))
		}
		if strings.TrimSpace(line) == "" {
			t.Fatalf("blank folded header line in:\n%s", head)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	want := []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
	for _, e := range extra {
		if name, ok := strings.CutPrefix(e, "-"); ok {
			want = slices.DeleteFunc(want, func(s string) bool { return s == name })
		} else {
			want = append(want, e)
		}
	}
	slices.Sort(want)
	var got []string
	for k, v := range msg.Header {
		got = append(got, k)
		if len(v) != 1 {
			t.Errorf("header %s appears %d times", k, len(v))
		}
	}
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("header fields = %v, want %v\n%s", got, want, head)
	}
	return msg
}

func decodedSubject(t *testing.T, msg *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject does not decode: %v", err)
	}
	return s
}

func textBody(t *testing.T, msg *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("body is not quoted-printable: %v", err)
	}
	return string(b)
}

func TestBytesPlain(t *testing.T) {
	m := gmail.Message{
		From:      mail.Address{Name: "Riverside Portal", Address: "noreply@example.org"},
		To:        mail.Address{Name: "Anna Äxample", Address: "anna@example.org"},
		Subject:   "Your invitation to Riverside — café",
		Text:      "Hello Anna,\n\nOpen this link:\nhttps://portal.example.org/invitations/accept?token=abc=def\n\n.\nA line that is much longer than seventy-six characters so that quoted-printable has to wrap it somewhere.\n",
		MessageID: "<abc123@example.org>",
	}
	raw, err := m.Bytes(testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := parse(t, raw)
	if got := decodedSubject(t, msg); got != m.Subject {
		t.Errorf("subject = %q, want %q", got, m.Subject)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || *to[0] != m.To {
		t.Errorf("To = %v (%v), want %v", to, err, m.To)
	}
	if got := msg.Header.Get("Message-Id"); got != "<abc123@example.org>" {
		t.Errorf("Message-ID = %q", got)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(testNow) {
		t.Errorf("Date = %v (%v), want %v", d, err, testNow)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got, want := textBody(t, msg), strings.ReplaceAll(m.Text, "\n", "\r\n"); got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	// The same message with its stored ID gives the same ID again: resends are recognisable.
	raw2, _ := m.Bytes(testNow)
	if !bytes.Equal(raw, raw2) {
		t.Errorf("Bytes is not stable for the same message and time")
	}
}

func TestBytesMultipart(t *testing.T) {
	m := gmail.Message{
		From: mail.Address{Address: "noreply@example.org"}, To: mail.Address{Address: "anna@example.org"},
		Subject: "Hi", Text: "Plain ü\n", HTML: "<p>HTML ü</p>\n", MessageID: gmail.NewMessageID("example.org"),
	}
	raw, err := m.Bytes(testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := parse(t, raw, "-Content-Transfer-Encoding")
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart() // NextPart decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, p.Header.Get("Content-Type")+"|"+string(b))
	}
	want := []string{"text/plain; charset=utf-8|Plain ü\r\n", "text/html; charset=utf-8|<p>HTML ü</p>\r\n"}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts = %q, want %q", parts, want)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := gmail.NewMessageID("example.org"), gmail.NewMessageID("example.org")
	if a == b || !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@example.org>") {
		t.Errorf("NewMessageID = %q, %q", a, b)
	}
	for _, d := range []string{"", "bad domain\r\nBcc: x", "münchen.de"} {
		id := gmail.NewMessageID(d)
		if strings.ContainsAny(id, " \r\n") || !utf8.ValidString(id) {
			t.Errorf("NewMessageID(%q) = %q", d, id)
		}
		m := gmail.Message{From: mail.Address{Address: "a@example.org"}, To: mail.Address{Address: "b@example.org"}, MessageID: id}
		if _, err := m.Bytes(testNow); err != nil {
			t.Errorf("NewMessageID(%q) = %q is refused: %v", d, id, err)
		}
	}
}

// TestHeaderInjection tries to add header lines through every field a caller fills.
func TestHeaderInjection(t *testing.T) {
	base := gmail.Message{
		From: mail.Address{Name: "Portal", Address: "noreply@example.org"},
		To:   mail.Address{Name: "Anna", Address: "anna@example.org"},
		Text: "body\n", Subject: "Hello", MessageID: "<id1@example.org>",
	}
	payloads := []string{
		"x\r\nBcc: victim@evil.example",
		"x\nBcc: victim@evil.example",
		"x\rBcc: victim@evil.example",
		"x\r\n\r\nInjected body",
		"x\r\n Bcc: continuation",
		"x\u2028Bcc: line separator",
		"x\x00Bcc: nul",
		"x\u0085Bcc: next line",
		"x\xffBcc: invalid UTF-8",
		strings.Repeat("long ", 300) + "\r\nBcc: late",
		"=?utf-8?q?x=0D=0ABcc:_pre-encoded?=",
		"\"quoted\" <evil@evil.example>, other@evil.example",
	}
	// Names and subjects are cleaned onto one line and still sent.
	for _, p := range payloads {
		for _, field := range []string{"from name", "to name", "subject", "reply-to name"} {
			m := base
			extra := []string(nil)
			switch field {
			case "from name":
				m.From.Name = p
			case "to name":
				m.To.Name = p
			case "subject":
				m.Subject = p
			case "reply-to name":
				m.ReplyTo = &mail.Address{Name: p, Address: "help@example.org"}
				extra = []string{"Reply-To"}
			}
			raw, err := m.Bytes(testNow)
			if err != nil {
				t.Errorf("%s %q: %v", field, p, err)
				continue
			}
			msg := parse(t, raw, extra...)
			if got := textBody(t, msg); got != "body\r\n" {
				t.Errorf("%s %q: body became %q", field, p, got)
			}
			to, err := msg.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "anna@example.org" {
				t.Errorf("%s %q: To = %v, %v", field, p, to, err)
			}
			if field == "subject" {
				if got := decodedSubject(t, msg); strings.ContainsAny(got, "\r\n\u2028\x00") {
					t.Errorf("subject %q decodes with a line break: %q", p, got)
				}
			}
			for _, h := range []string{"From", "To", "Reply-To"} {
				if v := msg.Header.Get(h); v != "" {
					a, err := mail.ParseAddress(v)
					if err != nil || strings.ContainsAny(a.Name, "\r\n\x00") {
						t.Errorf("%s %q: %s = %q parses to %v, %v", field, p, h, v, a, err)
					}
				}
			}
		}
	}
	// Addresses, extra headers and IDs with a line break are refused, naming the field.
	refused := []struct {
		field string
		edit  func(*gmail.Message)
	}{
		{"to", func(m *gmail.Message) { m.To.Address = "anna@example.org\r\nBcc: victim@evil.example" }},
		{"to", func(m *gmail.Message) { m.To.Address = "anna@example.org>, victim@evil.example" }},
		{"to", func(m *gmail.Message) { m.To.Address = "Anna <anna@example.org>" }},
		{"to", func(m *gmail.Message) { m.To.Address = "anna@exa\nmple.org" }},
		{"to", func(m *gmail.Message) { m.To.Address = "" }},
		{"from", func(m *gmail.Message) { m.From.Address = "noreply@example.org\nBcc: x@y.org" }},
		{"from", func(m *gmail.Message) { m.From.Address = "noreply" }},
		{"replyTo", func(m *gmail.Message) { m.ReplyTo = &mail.Address{Address: "a@b.org\r\nX: y"} }},
		{"messageId", func(m *gmail.Message) { m.MessageID = "<id@example.org>\r\nBcc: victim@evil.example" }},
		{"messageId", func(m *gmail.Message) { m.MessageID = "<id with space@example.org>" }},
		{"headers.X-Tag", func(m *gmail.Message) { m.Headers = map[string]string{"X-Tag": "v\r\nBcc: victim@evil.example"} }},
		{"headers.X-Tag", func(m *gmail.Message) { m.Headers = map[string]string{"X-Tag": "v\nBcc: victim@evil.example"} }},
		{"headers.X-Tag", func(m *gmail.Message) { m.Headers = map[string]string{"X-Tag": "v\x00"} }},
		{"headers.X-Tag\r\nBcc", func(m *gmail.Message) { m.Headers = map[string]string{"X-Tag\r\nBcc": "v"} }},
		{"headers.X Tag", func(m *gmail.Message) { m.Headers = map[string]string{"X Tag": "v"} }},
		{"headers.X-Tag:", func(m *gmail.Message) { m.Headers = map[string]string{"X-Tag:": "v"} }},
		{"headers.bcc", func(m *gmail.Message) { m.Headers = map[string]string{"bcc": "victim@evil.example"} }},
		{"headers.Content-Type", func(m *gmail.Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }},
	}
	for _, tc := range refused {
		m := base
		tc.edit(&m)
		_, err := m.Bytes(testNow)
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != portal.EINVALID || pe.Field != tc.field {
			t.Errorf("%s: Bytes error = %v, want invalid on field %q", tc.field, err, tc.field)
		}
	}
	// A good extra header goes through, encoded when it is not ASCII.
	m := base
	m.Headers = map[string]string{"X-Gatehouse-Batch": "Batch A–B", "List-Unsubscribe": "<mailto:unsub@example.org>"}
	raw, err := m.Bytes(testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := parse(t, raw, "X-Gatehouse-Batch", "List-Unsubscribe")
	if got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("X-Gatehouse-Batch")); got != "Batch A–B" {
		t.Errorf("X-Gatehouse-Batch = %q", got)
	}
}

func TestLongHeadersFold(t *testing.T) {
	m := gmail.Message{
		From:    mail.Address{Name: strings.Repeat("Very Long Organisation Name ", 8), Address: "noreply@example.org"},
		To:      mail.Address{Name: strings.Repeat("Ånna ", 40), Address: "anna@example.org"},
		Subject: strings.Repeat("word ", 100) + strings.Repeat("x", 2000),
		Text:    "b", MessageID: "<a@example.org>",
	}
	raw, err := m.Bytes(testNow)
	if err != nil {
		t.Fatal(err)
	}
	msg := parse(t, raw)
	if got, want := decodedSubject(t, msg), strings.TrimSpace(m.Subject); got != want {
		t.Errorf("long subject decodes to %q…, want %q…", got[:40], want[:40])
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Name != strings.TrimSpace(m.From.Name) {
		t.Errorf("From = %v, %v", from, err)
	}
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d characters could have been folded: %q", len(line), line)
		}
	}
}

// FuzzHeaders: whatever goes into names, subject and an extra header value, the result
// is refused or has exactly one header block with the expected fields.
func FuzzHeaders(f *testing.F) {
	f.Add("Anna", "Hello", "v")
	f.Add("A\r\nBcc: x@y.org", "S\nBcc: x@y.org", "v\r\nBcc: z")
	f.Add("\"q\" <e@x.org>", "=?utf-8?q?=0D=0A?=", "ü")
	// A name with one word too long to fold once gave a 3,002-character From line.
	f.Add(strings.Repeat("a", 3000)+" b", "s", "v")
	f.Add("x "+strings.Repeat("\"", 1200)+" y", "s", "v")
	f.Fuzz(func(t *testing.T, name, subject, value string) {
		m := gmail.Message{
			From:      mail.Address{Name: name, Address: "noreply@example.org"},
			To:        mail.Address{Name: name, Address: "anna@example.org"},
			Subject:   subject,
			Text:      "body",
			MessageID: "<fixed@example.org>",
			Headers:   map[string]string{"X-Value": value},
		}
		raw, err := m.Bytes(testNow)
		if err != nil {
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Field != "headers.X-Value" || !strings.ContainsFunc(value, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
				t.Fatalf("unexpected refusal: %v", err)
			}
			return
		}
		msg := parse(t, raw, "X-Value")
		if got := textBody(t, msg); got != "body\r\n" {
			t.Fatalf("body became %q", got)
		}
		got := decodedSubject(t, msg)
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("subject decodes with a line break: %q", got)
		}
		if utf8.ValidString(subject) && !strings.ContainsFunc(subject, unicode.IsControl) && strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(subject), " ") {
			t.Fatalf("subject %q came back as %q", subject, got)
		}
	})
}
