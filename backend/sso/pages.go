package sso

import (
	"html/template"
	"net/http"
)

type page struct {
	Title, Heading, Text string
}

var (
	pageSignedIn = page{
		Title:   "Signed in to Gatehouse",
		Heading: "You are signed in",
		Text:    "Gatehouse has your sign-in. You can close this tab and go back to Gatehouse.",
	}
	pageFailed = page{Title: "Sign-in did not finish", Heading: "Sign-in did not finish"}
	pageStray  = page{Title: "Gatehouse sign-in", Heading: "Not part of this sign-in"}
)

// The page loads nothing from anywhere (the listener's CSP forbids it) and carries no
// token or code, so it is safe in the browser's history.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
main { max-width: 32rem; margin: 12vh auto; background: #fff; border-radius: 8px; padding: 2rem 2.5rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
p { line-height: 1.5; }
.brand { font-size: .85rem; letter-spacing: .08em; text-transform: uppercase; color: #5b6475; }
</style>
</head>
<body>
<main role="main">
<p class="brand">Gatehouse</p>
<h1 id="heading">{{.Heading}}</h1>
<p id="message">{{.Text}}</p>
</main>
</body>
</html>
`))

func renderPage(w http.ResponseWriter, status int, p page, text string) {
	if text != "" {
		p.Text = text
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pageTemplate.Execute(w, p)
}
