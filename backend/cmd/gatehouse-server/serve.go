package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/backend/mail"
	"gatehouse/backend/server"
	"gatehouse/backend/server/store"
)

const serveHelp = `Runs the portal server until it is interrupted (Ctrl-C or SIGTERM), then finishes the
requests in flight and stops.

Administrators' desktop apps sign in by trading an ID token from one of the trusted
OpenID issuers (--trusted-issuer) for an API session. End users sign in on the pages
with SSO (--sso-*) or with the password they set from an invitation. E-mails (access
requests, approvals, invitations) go out through the SMTP server (--smtp-*); without
one they are recorded but not sent.

The portal is what people reach from the internet, so it serves HTTPS: a certificate
from Let's Encrypt (--acme-domain; the server must be reachable on port 443 for that
name) or from files (--tls-cert, --tls-key). Plain HTTP is served only on loopback
(the default, 127.0.0.1:8080, for a proxy on the same machine), or anywhere with
--insecure-http, for a proxy elsewhere that terminates TLS.

Example:
  gatehouse-server serve --listen :443 --acme-domain portal.example.org \
    --acme-cache /var/lib/gatehouse/certs --db /var/lib/gatehouse/portal.db \
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
		apiTTL, webTTL, bootstrap, mailKey                string
		tlsCert, tlsKey, acmeDomains, acmeEmail, smtpCA   string
		acmeDir, acmeCache, acmeCA, insecure, proxies     string
		issuers                                           issuerList
	)
	f.str(&listen, "listen", "GATEHOUSE_LISTEN", "127.0.0.1:8080", "address to listen on, host:port (:443 for every address with HTTPS)")
	f.str(&tlsCert, "tls-cert", "GATEHOUSE_TLS_CERT", "", "HTTPS certificate (PEM, with its chain), read again when it changes")
	f.str(&tlsKey, "tls-key", "GATEHOUSE_TLS_KEY", "", "the certificate's private key (PEM)")
	f.str(&acmeDomains, "acme-domain", "GATEHOUSE_ACME_DOMAIN", "", "get and renew the HTTPS certificate from an ACME CA for these names, comma-separated")
	f.str(&acmeEmail, "acme-email", "GATEHOUSE_ACME_EMAIL", "", "address the CA writes to about the certificate")
	f.str(&acmeDir, "acme-directory", "GATEHOUSE_ACME_DIRECTORY", "", "the CA's ACME directory URL (default: Let's Encrypt)")
	f.str(&acmeCache, "acme-cache", "GATEHOUSE_ACME_CACHE", "", "folder that keeps the ACME account and certificates (default: certs beside the database)")
	f.str(&acmeCA, "acme-ca-file", "GATEHOUSE_ACME_CA_FILE", "", "PEM root to trust for the CA's own HTTPS (a private CA)")
	f.str(&proxies, "trusted-proxy", "GATEHOUSE_TRUSTED_PROXY", "", "reverse proxies in front of the server, comma-separated addresses or CIDRs: for their requests the client's address is taken from X-Forwarded-For (for the throttles)")
	f.str(&insecure, "insecure-http", "GATEHOUSE_INSECURE_HTTP", "false", "true: allow plain HTTP on addresses other computers reach, http:// base URL and issuers (only behind a proxy that terminates TLS)")
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file (created if missing), or a PostgreSQL database as postgres://user:password@host:5432/name")
	f.str(&mailKey, "mail-key-file", "GATEHOUSE_MAIL_KEY_FILE", "", "file with the key that seals the links of e-mail waiting to be sent, kept out of the database (default: the SQLite file with .key added; created if missing). Required with PostgreSQL, the same file for every server process")
	f.str(&baseURL, "base-url", "GATEHOUSE_BASE_URL", "", "public URL of this server, for links in e-mails and the SSO redirect (default http://<listen address>)")
	f.Var(&issuers, "trusted-issuer", "an OpenID issuer whose ID tokens admin apps may sign in with, as ISSUER=AUDIENCE[,AUDIENCE...]; repeat for more ($GATEHOUSE_TRUSTED_ISSUERS, space-separated)")
	f.str(&ssoIssuer, "sso-issuer", "GATEHOUSE_SSO_ISSUER", "", "OpenID issuer for end-user SSO sign-in on the pages (empty: no SSO button)")
	f.str(&ssoClient, "sso-client-id", "GATEHOUSE_SSO_CLIENT_ID", "", "client ID of the portal at the SSO issuer")
	f.str(&ssoSecret, "sso-client-secret", "GATEHOUSE_SSO_CLIENT_SECRET", "", "client secret (empty: a public client using PKCE only); prefer the environment variable")
	f.str(&scopes, "sso-scopes", "GATEHOUSE_SSO_SCOPES", "email profile", "scopes to ask for besides openid, space-separated")
	f.str(&smtpHost, "smtp-host", "GATEHOUSE_SMTP_HOST", "", "SMTP server for outgoing e-mail (empty: e-mails are recorded, not sent)")
	f.str(&smtpPort, "smtp-port", "GATEHOUSE_SMTP_PORT", "587", "SMTP port: 587 for STARTTLS, 465 for TLS")
	f.str(&smtpSec, "smtp-security", "GATEHOUSE_SMTP_SECURITY", "", "none, starttls or tls (default: tls on port 465, starttls otherwise)")
	f.str(&smtpCA, "smtp-ca-file", "GATEHOUSE_SMTP_CA_FILE", "", "PEM root(s) to trust for the SMTP server's certificate instead of the system's (a private CA or a self-signed server)")
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
	if store.IsPostgres(db) && mailKey == "" {
		return fmt.Errorf("--mail-key-file is required with a PostgreSQL database: every server process on it must seal and open waiting e-mail with the same key, so give them all the same file (it is created if missing)")
	}
	cfg := server.Config{
		Addr: listen, DBPath: db, BaseURL: baseURL, TrustedIssuers: issuers, MailFrom: mailFrom,
		Logger: logger, APISessionTTL: apiDur, WebSessionTTL: webDur, MailKeyFile: mailKey,
	}
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				p = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		pref, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("--trusted-proxy %q is not an address or CIDR like 10.0.0.0/8", p)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, pref)
	}
	switch insecure {
	case "true", "1", "yes":
		cfg.InsecureHTTP = true
	case "false", "0", "no", "":
	default:
		return fmt.Errorf("--insecure-http %q: say true or false", insecure)
	}
	switch {
	case acmeDomains != "" && (tlsCert != "" || tlsKey != ""):
		return errors.New("--acme-domain gets the certificate from a CA; --tls-cert and --tls-key give one: choose one way")
	case acmeDomains != "":
		if acmeCache == "" {
			acmeCache = filepath.Join(filepath.Dir(db), "certs")
		}
		if cfg.TLS, err = (server.ACME{Domains: strings.Split(acmeDomains, ","), Email: acmeEmail, DirectoryURL: acmeDir, CacheDir: acmeCache, CAFile: acmeCA}).TLSConfig(); err != nil {
			return err
		}
	case tlsCert != "" || tlsKey != "":
		if tlsCert == "" || tlsKey == "" {
			return errors.New("--tls-cert and --tls-key go together: give the certificate and its key")
		}
		if cfg.TLS, err = server.CertFiles(tlsCert, tlsKey); err != nil {
			return err
		}
	}
	if cfg.InsecureHTTP && cfg.TLS == nil {
		logger.Warn("--insecure-http: serving plain HTTP; passwords and session cookies cross the network in the clear unless a proxy in front terminates TLS")
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
		if smtpCA != "" {
			pem, err := os.ReadFile(smtpCA)
			if err != nil {
				return fmt.Errorf("--smtp-ca-file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--smtp-ca-file %s holds no PEM certificate", smtpCA)
			}
			cfg.SMTP.RootCAs = pool
		}
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
	unreachable, err := srv.CheckIssuers(ctx)
	for _, u := range unreachable {
		logger.Warn("identity provider not checked at start-up", "reason", u)
	}
	if err != nil {
		srv.Shutdown(ctx)
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
