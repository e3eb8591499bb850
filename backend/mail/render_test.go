package mail_test

import (
	"errors"
	stdmail "net/mail"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gatehouse/backend/mail"
	"gatehouse/backend/portal"
)

func TestRender(t *testing.T) {
	vars := map[string]string{
		"UserName":           "Anna Example",
		"system.ProductName": "Riverside Portal",
		"domain":             "example.org",
		"Empty":              "",
		"At":                 "x@y.org",
		"Tricky":             "@domain@",
	}
	tests := []struct {
		name, in, want string
	}{
		{"no placeholders", "Hello there.", "Hello there."},
		{"simple", "Hi @UserName@!", "Hi Anna Example!"},
		{"dotted name", "Welcome to @system.ProductName@.", "Welcome to Riverside Portal."},
		{"seed subject", "@UserName@ is requesting access to @system.ProductName@", "Anna Example is requesting access to Riverside Portal"},
		{"adjacent", "@UserName@@domain@", "Anna Exampleexample.org"},
		{"unknown without default is empty", "[@Nobody@]", "[]"},
		{"default used when missing", `@Nobody|"this user"@`, "this user"},
		{"default used when empty", `@Empty|"fallback"@`, "fallback"},
		{"default ignored when set", `@UserName|"this user"@`, "Anna Example"},
		{"doubled quotes default", `deny @Nobody|""this user""@?`, "deny this user?"},
		{"doubled quotes set", `deny @UserName|""this user""@?`, "deny Anna Example?"},
		{"empty default", `[@Nobody|""@]`, "[]"},
		{"empty doubled default", `[@Nobody|""""@]`, "[]"},
		{"empty default wins over doubled", `[@Nobody|""@x""@]`, `[x""@]`},
		{"default with @", `@Nobody|"help@example.org"@`, "help@example.org"},
		{"default with pipe", `@Nobody|"a|b"@`, "a|b"},
		{"seed approved", `Your @system.ProductName|"ClientTrack"@ account has been approved.`, "Your Riverside Portal account has been approved."},
		{"email address untouched", "Write to support@pantrysoft.com to ask.", "Write to support@pantrysoft.com to ask."},
		{"email at end", "support@pantrysoft.com", "support@pantrysoft.com"},
		{"email then period", "Mail support@pantrysoft.com.", "Mail support@pantrysoft.com."},
		{"two emails", "a@b.org, c@d.org and e@f.org;g@h.org", "a@b.org, c@d.org and e@f.org;g@h.org"},
		{"email with hyphen domain", "x@my-host.example.org", "x@my-host.example.org"},
		{"email and placeholder", "Contact help@example.org or @UserName@.", "Contact help@example.org or Anna Example."},
		{"lone at", "Meet @ 5pm @", "Meet @ 5pm @"},
		{"at at end", "trailing @", "trailing @"},
		{"single at", "@", "@"},
		{"escape", "Write @@UserName@@ for the name", "Write @UserName@ for the name"},
		{"escape pair", "@@", "@"},
		{"triple at", "@@@", "@@"},
		{"unclosed placeholder stays", "Hello @UserName, welcome", "Hello @UserName, welcome"},
		{"unclosed default stays", `Hello @UserName|"x, welcome`, `Hello @UserName|"x, welcome`},
		{"default without quotes stays", `Hello @UserName|x@`, `Hello @UserName|x@`},
		{"mismatched quotes stay", `@Nobody|""x"@`, `@Nobody|""x"@`},
		{"default across lines stays", "@Nobody|\"a\nb\"@", "@Nobody|\"a\nb\"@"},
		{"name starting with digit stays", "@1x@", "@1x@"},
		{"name with space stays", "@User Name@", "@User Name@"},
		{"trailing dot is not in name", "@system.@", "@system.@"},
		{"values are not rescanned", "@Tricky@", "@domain@"},
		{"value with at", "from @At@", "from x@y.org"},
		{"unicode around", "Grüße, @UserName@ — ✓", "Grüße, Anna Example — ✓"},
		{"underscore names", "@_x@|@a_b@", "|"},
		{"case sensitive", "@username@", ""},
		{"address glued to placeholder reads as placeholder", "a@b.org@UserName@", "aUserName@"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mail.Render(tc.in, vars); got != tc.want {
				t.Errorf("Render(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"none here", nil},
		{"support@example.org", nil},
		{"@a@ @b|\"x\"@ @a@ @system.ProductName@", []string{"a", "b", "system.ProductName"}},
		{`@UserName|""this user""@ @@ignored@@`, []string{"UserName"}},
		{"@a@@b@", []string{"a", "b"}},
	}
	for _, tc := range tests {
		if got := mail.Placeholders(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Placeholders(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	known := []string{"UserName", "system.ProductName"}
	tests := []struct {
		name, in   string
		line, col  int
		wantSubstr string
	}{
		{"clean", "Hi @UserName@, write to help@example.org.", 0, 0, ""},
		{"unknown name", "Hi @UserNmae@", 1, 4, "not a placeholder"},
		{"case typo suggests", "Hi @username@", 1, 4, "did you mean @UserName@"},
		{"unclosed", "line one\n  Hi @UserName, welcome", 2, 6, "not closed"},
		{"bad default", `Hi @UserName|this user@`, 1, 4, "default"},
		{"unterminated default", `Hi @UserName|"this user`, 1, 4, "default"},
		{"digit name", "Hi @1st@", 1, 4, "starts with a letter"},
		{"column counts characters", "Grüße @UserName", 1, 7, "not closed"},
		{"lone at is fine", "Meet @ 5 or mail a@b.org", 0, 0, ""},
		{"escape is fine", "Type @@UserName@@ to insert the name", 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probs := mail.Check(tc.in, known)
			if tc.wantSubstr == "" {
				if len(probs) != 0 {
					t.Fatalf("Check(%q) = %+v, want no problems", tc.in, probs)
				}
				return
			}
			if len(probs) == 0 {
				t.Fatalf("Check(%q) found nothing, want %q", tc.in, tc.wantSubstr)
			}
			p := probs[0]
			if p.Line != tc.line || p.Column != tc.col || !strings.Contains(p.Message, tc.wantSubstr) {
				t.Errorf("Check(%q)[0] = %+v, want line %d column %d message with %q", tc.in, p, tc.line, tc.col, tc.wantSubstr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	base := mail.Template{Key: "k", Name: "Test", Subject: "Hello @UserName@", Body: "Body @UserName@", Placeholders: []string{"UserName"}}
	tests := []struct {
		name      string
		edit      func(*mail.Template)
		field     string
		wantInMsg string
	}{
		{"valid", func(*mail.Template) {}, "", ""},
		{"no name", func(t *mail.Template) { t.Name = " " }, "name", "no name"},
		{"empty body", func(t *mail.Template) { t.Body = "\n" }, "body", "empty"},
		{"two-line subject", func(t *mail.Template) { t.Subject = "a\r\nBcc: x@y.org" }, "subject", "single line"},
		{"unclosed in subject", func(t *mail.Template) { t.Subject = "Hi @UserName" }, "subject", "line 1, column 4"},
		{"bad default in body", func(t *mail.Template) { t.Body = "ok\nok\nDear @UserName|\"x@" }, "body", "line 3, column 6"},
		{"unknown name in body", func(t *mail.Template) { t.Body = "Dear @Foo@" }, "body", "@Foo@ is not a placeholder"},
		{"any name without a list", func(t *mail.Template) { t.Placeholders = nil; t.Body = "Dear @Foo@" }, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := base
			tc.edit(&tpl)
			err := mail.Validate(tpl)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Code != portal.EINVALID || pe.Field != tc.field || !strings.Contains(pe.Message, tc.wantInMsg) {
				t.Fatalf("Validate = %#v, want invalid on %q mentioning %q", err, tc.field, tc.wantInMsg)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	wantKeys := []string{mail.KeyNotAuthorised, mail.KeyAccessRequestSent, mail.KeyAccessRequest, mail.KeyDenyConfirm,
		mail.KeyApproved, mail.KeyDenied, mail.KeyInvitation, mail.KeyPreNotification, mail.KeyReminder}
	defs := mail.Defaults()
	var keys []string
	for _, d := range defs {
		keys = append(keys, d.Key)
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("keys = %v, want %v", keys, wantKeys)
	}
	vars := mail.SampleValues()
	for _, d := range defs {
		t.Run(d.Key, func(t *testing.T) {
			if err := mail.Validate(d); err != nil {
				t.Fatalf("default template does not validate: %v", err)
			}
			used := append(mail.Placeholders(d.Subject), mail.Placeholders(d.Body)...)
			for _, name := range used {
				if !slices.Contains(d.Placeholders, name) {
					t.Errorf("uses @%s@ but does not list it", name)
				}
				if vars[name] == "" {
					t.Errorf("SampleValues has no value for @%s@", name)
				}
			}
			for _, out := range []string{mail.Render(d.Subject, vars), mail.Render(d.Body, vars), mail.RenderText(d.Body, vars), mail.RenderHTML(d.Body, vars)} {
				if len(mail.Placeholders(out)) != 0 || strings.Contains(out, "|\"") {
					t.Errorf("placeholder left over in %q", out)
				}
				// Every @ left belongs to an address such as anna@example.org.
				for _, f := range strings.Fields(out) {
					if strings.Contains(f, "@") && !strings.Contains(f, "@example.org") {
						t.Errorf("stray @ in %q", f)
					}
				}
			}
			if strings.TrimSpace(mail.Render(d.Subject, vars)) == "" {
				t.Errorf("empty subject/heading")
			}
		})
	}
	// A few texts the seed article gives word for word.
	seed := map[string][]string{
		mail.KeyNotAuthorised:     {"Your account is not authorized to access @system.ProductName@."},
		mail.KeyAccessRequestSent: {"Message Sent", "Your request for access has been emailed to the system administrator."},
		mail.KeyAccessRequest:     {"@UserName@ is requesting access to @system.ProductName@", "@UserName@ is requesting access to @system.ProductName@.", "Account Source: @domain@"},
		mail.KeyDenyConfirm:       {"Deny the User Access Request", "Are you sure you want to deny access to @UserName|\"this user\"@?", `Yes, @UserName|""this user""@ is not a valid user`, `Approve @UserName|""this user""@ instead`},
		mail.KeyApproved:          {"account has been approved.", "You may now sign into @system.ProductName|\"Gatehouse\"@"},
		mail.KeyDenied:            {"Your account is not authorized to access this system."},
	}
	for key, texts := range seed {
		d, ok := mail.DefaultTemplate(key)
		if !ok {
			t.Fatalf("no default %q", key)
		}
		for _, text := range texts {
			if !strings.Contains(d.Subject+"\n"+d.Body, text) {
				t.Errorf("%s does not contain the seed text %q", key, text)
			}
		}
	}
}

func TestDefaultsRenderedExamples(t *testing.T) {
	vars := mail.SampleValues()
	d, _ := mail.DefaultTemplate(mail.KeyDenyConfirm)
	if got, want := mail.Render(d.Body, map[string]string{}), "Are you sure you want to deny access to this user?"; !strings.HasPrefix(got, want) {
		t.Errorf("deny page without a name starts %q, want %q", got, want)
	}
	segs := mail.RenderSegments(d.Body, vars)
	var links []mail.Segment
	for _, s := range segs {
		if s.URL != "" {
			links = append(links, s)
		}
	}
	want := []mail.Segment{
		{Text: "Yes, Anna Example is not a valid user", URL: vars[mail.VarConfirmDenyURL]},
		{Text: "Approve Anna Example instead", URL: vars[mail.VarApproveInsteadURL]},
	}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("deny page links = %+v, want %+v", links, want)
	}
	a, _ := mail.DefaultTemplate(mail.KeyApproved)
	if got, want := mail.Render(a.Subject, nil), "Your Gatehouse account has been approved."; got != want {
		t.Errorf("approved subject without product name = %q, want %q", got, want)
	}
}

func TestRenderHTMLIsSafe(t *testing.T) {
	vars := map[string]string{
		"UserName": `<script>alert(1)</script>](javascript:alert(2))`,
		"Url":      "javascript:alert(3)",
		"Good":     "https://portal.example.org/a?b=1&c=2",
	}
	text := "Hello @UserName@\n\n[Open @UserName@](@Good@)\n[Bad](@Url@)\n[Rel](/signin)\n[Proto](//evil.example)"
	out := mail.RenderHTML(text, vars)
	for _, bad := range []string{"<script", `href="javascript`, `href="//evil`, "<a href=\"javascript"} {
		if strings.Contains(out, bad) {
			t.Errorf("RenderHTML produced %q:\n%s", bad, out)
		}
	}
	for _, good := range []string{
		`<a href="https://portal.example.org/a?b=1&amp;c=2">Open &lt;script&gt;`,
		`<a href="/signin">Rel</a>`,
		"<p>Hello &lt;script&gt;",
		"Bad",
	} {
		if !strings.Contains(out, good) {
			t.Errorf("RenderHTML lacks %q:\n%s", good, out)
		}
	}
	if got := mail.RenderText("Go [here](@Good@).", vars); got != "Go here <https://portal.example.org/a?b=1&c=2>." {
		t.Errorf("RenderText = %q", got)
	}
}

// FuzzRender checks the grammar's promises on arbitrary text.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "@", "@@", "@@@", "a@b.org", "@a@", `@a|"x"@`, `@a|""x""@`, `@a|""@`, `@a|""""@`,
		"@a.b.c@", "@a.@", "@a|", `@a|"`, "x@y@z", "Grüße @UserName@ ✓", "[l](@u@)", "@\xff@",
		"Hello @UserName@,\n\nOpen:\n@InvitationUrl@\n", "[@a@](@InvitationUrl@)",
	} {
		f.Add(s)
	}
	vars := map[string]string{"a": "A", "UserName": "U@x", "a.b.c": "ABC"}
	f.Fuzz(func(t *testing.T, s string) {
		out := mail.Render(s, vars)
		// Escape is a true escape.
		if got := mail.Render(mail.Escape(s), vars); got != s {
			t.Fatalf("Render(Escape(%q)) = %q", s, got)
		}
		// Text without "@" is never touched.
		if !strings.Contains(s, "@") && out != s {
			t.Fatalf("Render(%q) = %q changed text without @", s, out)
		}
		// No placeholders and no escapes: nothing changes.
		if len(mail.Placeholders(s)) == 0 && !strings.Contains(s, "@@") && out != s {
			t.Fatalf("Render(%q) = %q though it has no placeholders", s, out)
		}
		// Valid UTF-8 in, valid UTF-8 out (substitution never splits a character).
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Render(%q) = %q is not valid UTF-8", s, out)
		}
		// The other entry points must not panic on anything either.
		_ = mail.Check(s, []string{"a"})
		_ = mail.RenderHTML(s, vars)
		_ = mail.RenderText(s, vars)
		// No markup from a value ever reaches the HTML part: values full of markup give
		// the same tags as harmless ones.
		tags := func(h string) int { return strings.Count(h, "<") }
		harmless := map[string]string{"a": "A", "UserName": "U", "a.b.c": "ABC", "InvitationUrl": "https://portal.example.org/invite/x"}
		hostile := map[string]string{"a": `<script>x</script>`, "UserName": `<b onclick="x">"'&`, "a.b.c": "<img src=x>",
			"InvitationUrl": `https://portal.example.org/invite/x"><script>`}
		if utf8.ValidString(s) && tags(mail.MessageHTML(s, hostile)) > tags(mail.MessageHTML(s, harmless)) {
			t.Fatalf("MessageHTML(%q) lets markup from a value through:\n%s", s, mail.MessageHTML(s, hostile))
		}
	})
}

// FuzzAddressesSurvive builds text from words and e-mail addresses: whatever the fuzzer
// picks, the addresses come out as they went in.
func FuzzAddressesSurvive(f *testing.F) {
	f.Add([]byte("anna example org"), []byte{3, 1, 0})
	f.Add([]byte("x"), []byte{})
	f.Fuzz(func(t *testing.T, words []byte, shape []byte) {
		const local = "abcdefghijklmnopqrstuvwxyz0123456789._%+-"
		const domain = "abcdefghijklmnopqrstuvwxyz0123456789-."
		const plain = "abcdefghijklmnopqrstuvwxyz ,;:!?()[]\"'\n"
		pick := func(set string, i int) byte { return set[int(words[i%len(words)])%len(set)] }
		if len(words) == 0 {
			return
		}
		var b strings.Builder
		i := 0
		for _, k := range shape {
			n := 1 + int(k>>4)
			switch k % 3 {
			case 0, 1: // plain text, no @
				for j := 0; j < n; j++ {
					b.WriteByte(pick(plain, i))
					i++
				}
			case 2: // an address, then a separator that is not a name character or @
				for j := 0; j < n; j++ {
					b.WriteByte(pick(local, i))
					i++
				}
				b.WriteString("@")
				for j := 0; j < n+2; j++ {
					b.WriteByte(pick(domain, i))
					i++
				}
				b.WriteByte(" ,;\n>)"[int(k)%6])
			}
		}
		s := b.String()
		if got := mail.Render(s, map[string]string{"a": "A"}); got != s {
			t.Fatalf("Render changed text made of words and addresses:\n in: %q\nout: %q", s, got)
		}
	})
}

// FuzzRenderBuilt builds a template from literal pieces and placeholders and checks the
// rendering against the pieces.
func FuzzRenderBuilt(f *testing.F) {
	f.Add("hello ", "UserName", "x", true, " and bye", true)
	f.Add("a@b.org ", "system.ProductName", "", false, "", false)
	f.Fuzz(func(t *testing.T, before, name, def string, hasDef bool, after string, set bool) {
		if !validName(name) || strings.ContainsAny(def, "\"\r\n") || !utf8.ValidString(def) {
			return
		}
		// Literal pieces go through Escape so they cannot form placeholders themselves.
		ph := "@" + name + "@"
		if hasDef {
			ph = "@" + name + `|"` + def + `"@`
		}
		text := mail.Escape(before) + ph + mail.Escape(after)
		vars := map[string]string{}
		want := before
		switch {
		case set:
			vars[name] = "VALUE@" + name
			want += "VALUE@" + name
		case hasDef:
			want += def
		}
		want += after
		if got := mail.Render(text, vars); got != want {
			t.Fatalf("Render(%q) = %q, want %q", text, got, want)
		}
		if got := mail.Placeholders(text); !reflect.DeepEqual(got, []string{name}) {
			t.Fatalf("Placeholders(%q) = %q, want [%s]", text, got, name)
		}
		if hasDef && strings.Count(def, `"`) == 0 {
			doubled := mail.Escape(before) + "@" + name + `|""` + def + `""@` + mail.Escape(after)
			if def == "" || strings.HasPrefix(def, "@") {
				return // `""""@` is in the table; `""@...` is the empty default by rule
			}
			if got := mail.Render(doubled, vars); got != want {
				t.Fatalf("Render(%q) = %q, want %q", doubled, got, want)
			}
		}
	})
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || !(part[0] == '_' || isLetter(part[0])) {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || isLetter(c) || ('0' <= c && c <= '9')) {
				return false
			}
		}
	}
	return true
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// The HTML part says what the text says: paragraphs, and the link on its own line as a
// button and as the address itself; values escaped.
func TestMessageHTML(t *testing.T) {
	inv, _ := mail.DefaultTemplate(mail.KeyInvitation)
	vars := mail.SampleValues()
	vars[mail.VarUserName] = `Zoë <b>Ménard</b>`
	vars[mail.VarInvitationURL] = "https://portal.example.org/invite/abc123"
	h := mail.MessageHTML(inv.Body, vars)
	for _, want := range []string{
		`<a href="https://portal.example.org/invite/abc123" style="`, ">Accept the invitation</a>",
		">https://portal.example.org/invite/abc123</a>", "Zoë &lt;b&gt;Ménard&lt;/b&gt;", "<p>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("the HTML part lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "<b>") || strings.Contains(h, "<img") || strings.Contains(h, "http://") {
		t.Errorf("the HTML part has markup from a value, an image or a remote resource:\n%s", h)
	}
	m := mail.Compose(inv, stdmail.Address{Address: "zoe@example.org"}, vars)
	raw, err := (func() ([]byte, error) {
		m.From = stdmail.Address{Address: "portal@example.org"}
		return m.Bytes(time.Now())
	})()
	if err != nil || !strings.Contains(string(raw), "multipart/alternative") || !strings.Contains(string(raw), "text/html") {
		t.Fatalf("the message is not multipart/alternative with an HTML part: %v\n%s", err, raw)
	}
}
