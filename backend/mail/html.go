package mail

import (
	"html"
	"regexp"
	"strings"
)

// The HTML part of a message is derived from its one plain-text template, so that an
// administrator edits one text and people whose mail program shows HTML read the same words:
// paragraphs, the portal's links as a button with the address beneath it (for those who
// copy it), no remote images, only inline styles. Every value is escaped: nothing a name or
// an organisation contains becomes markup.

// linkLine is a template line holding nothing but one placeholder, such as the one-time
// link on a line of its own.
var linkLine = regexp.MustCompile(`^[ \t]*@([A-Za-z][A-Za-z0-9_.]*)@[ \t]*$`)

// isURLVar reports the placeholders that stand for the portal's links.
func isURLVar(name string) bool { return strings.HasSuffix(name, "Url") }

const (
	htmlOpen = `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"></head>` +
		`<body style="margin:0;padding:24px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.55;color:#1d2127">` +
		`<div style="max-width:600px;margin:0 auto">`
	htmlClose  = `</div></body></html>`
	buttonCSS  = `display:inline-block;padding:10px 18px;border-radius:6px;background:#17795c;color:#ffffff;text-decoration:none;font-weight:600`
	addressCSS = `font-size:13px;color:#4a5260;word-break:break-all`
)

// MessageHTML renders a template's body as the HTML part of a message.
func MessageHTML(body string, vars map[string]string) string {
	var b strings.Builder
	b.WriteString(htmlOpen)
	var chunk []string
	flush := func() {
		if len(chunk) > 0 {
			b.WriteString(RenderHTML(strings.Join(chunk, "\n"), vars))
			chunk = chunk[:0]
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		m := linkLine.FindStringSubmatch(line)
		if m == nil || !isURLVar(m[1]) {
			chunk = append(chunk, line)
			continue
		}
		u := strings.TrimSpace(Render(line, vars))
		if !safeURL(u) {
			chunk = append(chunk, line)
			continue
		}
		flush()
		e := html.EscapeString(u)
		b.WriteString(`<p><a href="` + e + `" style="` + buttonCSS + `">` + html.EscapeString(buttonLabel(m[1])) + `</a></p>`)
		b.WriteString(`<p style="` + addressCSS + `"><a href="` + e + `" style="color:#17795c">` + e + `</a></p>`)
	}
	flush()
	b.WriteString(htmlClose)
	return b.String()
}

// buttonLabel names what a link does, for its button.
func buttonLabel(name string) string {
	switch name {
	case VarInvitationURL:
		return "Accept the invitation"
	case VarSignInURL:
		return "Sign in"
	case VarApproveURL:
		return "Approve"
	case VarDenyURL, VarConfirmDenyURL:
		return "Deny"
	case VarRequestAccessURL:
		return "Request access"
	case VarApproveInsteadURL:
		return "Approve instead"
	}
	return "Open"
}
