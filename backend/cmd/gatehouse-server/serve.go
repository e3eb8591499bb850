package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/server"
)

const serveHelp = `Runs the portal server until it is interrupted (Ctrl-C or SIGTERM), then finishes the
requests in flight and stops.

Administrators' desktop apps sign in by trading an ID token from one of the trusted
OpenID issuers (--trusted-issuer) for an API session. End users sign in on the pages
with SSO (--sso-*) or with the password they set from an invitation. E-mails (access
requests, approvals, invitations) go out through the SMTP server (--smtp-*); without
one they are recorded but not sent.

Example:
  gatehouse-server serve --listen :8080 --db /var/lib/gatehouse/portal.db \
    --base-url https://portal.example.org \
    --trusted-issuer 'https://login.example.org=gatehouse-desktop' \
    --sso-issuer https://login.example.org --sso-client-id gatehouse-portal \
    --smtp-host smtp.example.org --smtp-username portal --mail-from 'Portal <portal@example.org>'
`

// issuerList collects --trusted-issuer values.
type issuerList []server.TrustedIssuer

func (l *issuerList) String() string {
	var parts []string
	for _, t := range *l {
		parts = append(parts, t.Issuer+"="+strings.Join(t.Audiences, ","))
	}
	return strings.Join(parts, " ")
}

func (l *issuerList) Set(v string) error {
	for _, item := range strings.Fields(v) {
		iss, auds, ok := strings.Cut(item, "=")
		if !ok || iss == "" || auds == "" {
			return fmt.Errorf("%q is not ISSUER=AUDIENCE[,AUDIENCE...], such as https://login.example.org=gatehouse-desktop", item)
		}
		var as []string
		for _, a := range strings.Split(auds, ",") {
			if a = strings.TrimSpace(a); a != "" {
				as = append(as, a)
			}
		}
		*l = append(*l, server.TrustedIssuer{Issuer: iss, Audiences: as})
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	f := newFlags("serve", serveHelp, stdout, getenv)
	var (
		listen, db, baseURL, logLevel                     string
		smtpHost, smtpPort, smtpSec, smtpUser, smtpPass   string
		mailFrom, ssoIssuer, ssoClient, ssoSecret, scopes string
		apiTTL, webTTL, bootstrap                         string
		issuers                                           issuerList
	)
	f.str(&listen, "listen", "GATEHOUSE_LISTEN", ":8080", "address to listen on, host:port")
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file (created if missing)")
	f.str(&baseURL, "base-url", "GATEHOUSE_BASE_URL", "", "public URL of this server, for links in e-mails and the SSO redirect (default http://<listen address>)")
	f.Var(&issuers, "trusted-issuer", "an OpenID issuer whose ID tokens admin apps may sign in with, as ISSUER=AUDIENCE[,AUDIENCE...]; repeat for more ($GATEHOUSE_TRUSTED_ISSUERS, space-separated)")
	f.str(&ssoIssuer, "sso-issuer", "GATEHOUSE_SSO_ISSUER", "", "OpenID issuer for end-user SSO sign-in on the pages (empty: no SSO button)")
	f.str(&ssoClient, "sso-client-id", "GATEHOUSE_SSO_CLIENT_ID", "", "client ID of the portal at the SSO issuer")
	f.str(&ssoSecret, "sso-client-secret", "GATEHOUSE_SSO_CLIENT_SECRET", "", "client secret (empty: a public client using PKCE only); prefer the environment variable")
	f.str(&scopes, "sso-scopes", "GATEHOUSE_SSO_SCOPES", "email profile", "scopes to ask for besides openid, space-separated")
	f.str(&smtpHost, "smtp-host", "GATEHOUSE_SMTP_HOST", "", "SMTP server for outgoing e-mail (empty: e-mails are recorded, not sent)")
	f.str(&smtpPort, "smtp-port", "GATEHOUSE_SMTP_PORT", "587", "SMTP port: 587 for STARTTLS, 465 for TLS")
	f.str(&smtpSec, "smtp-security", "GATEHOUSE_SMTP_SECURITY", "", "none, starttls or tls (default: tls on port 465, starttls otherwise)")
	f.str(&smtpUser, "smtp-username", "GATEHOUSE_SMTP_USERNAME", "", "SMTP user name for AUTH (empty: no AUTH)")
	f.str(&smtpPass, "smtp-password", "GATEHOUSE_SMTP_PASSWORD", "", "SMTP password; prefer the environment variable")
	f.str(&mailFrom, "mail-from", "GATEHOUSE_MAIL_FROM", "", "sender of e-mails, such as 'Portal <portal@example.org>'")
	f.str(&apiTTL, "api-session-ttl", "GATEHOUSE_API_SESSION_TTL", "12h", "how long an admin app's API session lasts")
	f.str(&webTTL, "web-session-ttl", "GATEHOUSE_WEB_SESSION_TTL", "", "the longest an end user's sign-in on the pages may last, whatever the portal's settings say (empty: as the settings say, 8 hours unless changed)")
	f.str(&bootstrap, "bootstrap-admin", "GATEHOUSE_BOOTSTRAP_ADMIN", "", "e-mail of the first system administrator, created when the portal has none; they sign in with SSO")
	f.str(&logLevel, "log-level", "GATEHOUSE_LOG_LEVEL", "info", "debug, info, warn or error")
	if v := getenv("GATEHOUSE_TRUSTED_ISSUERS"); v != "" {
		if err := issuers.Set(v); err != nil {
			return fmt.Errorf("GATEHOUSE_TRUSTED_ISSUERS: %w", err)
		}
	}
	if err := f.parse(args, stderr); err != nil {
		return err
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	apiDur, err := time.ParseDuration(apiTTL)
	if err != nil || apiDur <= 0 {
		return fmt.Errorf("--api-session-ttl %q is not a duration like 12h", apiTTL)
	}
	var webDur time.Duration
	if webTTL != "" {
		if webDur, err = time.ParseDuration(webTTL); err != nil || webDur <= 0 {
			return fmt.Errorf("--web-session-ttl %q is not a duration like 8h", webTTL)
		}
	}
	cfg := server.Config{
		Addr: listen, DBPath: db, BaseURL: baseURL, TrustedIssuers: issuers, MailFrom: mailFrom,
		Logger: logger, APISessionTTL: apiDur, WebSessionTTL: webDur,
	}
	if ssoIssuer != "" {
		if ssoClient == "" {
			return fmt.Errorf("--sso-issuer needs --sso-client-id: the client ID of this portal at %s", ssoIssuer)
		}
		cfg.SSO = &server.SSOConfig{Issuer: ssoIssuer, ClientID: ssoClient, ClientSecret: ssoSecret, Scopes: strings.Fields(scopes)}
	}
	if smtpHost != "" {
		port, err := strconv.Atoi(smtpPort)
		if err != nil {
			return fmt.Errorf("--smtp-port %q is not a number", smtpPort)
		}
		cfg.SMTP = &mail.SMTPConfig{Host: smtpHost, Port: port, Security: smtpSec, Username: smtpUser, Password: smtpPass, From: mailFrom}
	}
	if baseURL == "" && !strings.HasPrefix(listen, "127.0.0.1:") && !strings.HasPrefix(listen, "localhost:") {
		logger.Warn("no --base-url given: links in e-mails will point at this machine's loopback address; set --base-url to the address people use")
	}
	if len(issuers) == 0 {
		logger.Warn("no --trusted-issuer given: admin apps cannot sign in to the API")
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	if bootstrap != "" {
		a, created, err := srv.Service().BootstrapAdmin(ctx, bootstrap, "")
		if err != nil {
			srv.Shutdown(context.Background())
			return fmt.Errorf("--bootstrap-admin: %w", err)
		}
		if created {
			logger.Info("created the first system administrator", "email", a.Email)
		}
	}
	url, err := srv.Start(ctx)
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	fmt.Fprintf(stdout, "Gatehouse portal server listening at %s (database %s)\n", url, db)
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
