package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACME obtains the server's certificate from an ACME certificate authority (Let's Encrypt,
// or Pebble in the tests) on the first HTTPS request for one of Domains, and renews it
// before it expires. The TLS-ALPN-01 challenge is answered on the same port, so the server
// must be reachable on port 443 for those names.
type ACME struct {
	// Domains are the names the certificate is for; requests for any other name get none.
	Domains []string
	// DirectoryURL is the CA's directory; empty means Let's Encrypt's production one.
	DirectoryURL string
	// Email is told to the CA, which writes about expiring certificates and problems.
	Email string
	// CacheDir keeps the account key and certificates across restarts (created 0700).
	CacheDir string
	// CAFile, when set, is the only root trusted for the CA's own HTTPS (a private CA, or
	// Pebble's test certificate); empty trusts the system's roots.
	CAFile string
}

// TLSConfig is the server's TLS configuration with certificates from the CA.
func (a ACME) TLSConfig() (*tls.Config, error) {
	if len(a.Domains) == 0 {
		return nil, errors.New("ACME: name the domain(s) the certificate is for (--acme-domain)")
	}
	for _, d := range a.Domains {
		if d == "" || strings.ContainsAny(d, "/: ") {
			return nil, fmt.Errorf("ACME: %q is not a domain name like portal.example.org", d)
		}
	}
	if a.CacheDir == "" {
		return nil, errors.New("ACME: give a folder to keep the certificates in (--acme-cache), or every restart asks the CA again and meets its rate limits")
	}
	if err := os.MkdirAll(a.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("ACME: create the certificate folder %s: %w", a.CacheDir, err)
	}
	client := &acme.Client{DirectoryURL: a.DirectoryURL}
	if client.DirectoryURL == "" {
		client.DirectoryURL = autocert.DefaultACMEDirectory
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if a.CAFile != "" {
		pem, err := os.ReadFile(a.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ACME: read the CA's certificate %s: %w", a.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ACME: %s holds no PEM certificate", a.CAFile)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	client.HTTPClient = hc
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(a.Domains...),
		Cache:      autocert.DirCache(a.CacheDir),
		Email:      a.Email,
		Client:     client,
	}
	cfg := m.TLSConfig()
	cfg.MinVersion = tls.VersionTLS12
	return cfg, nil
}

// CertFiles is the server's TLS configuration from a certificate and key in PEM files,
// read again when they change (a renewal by certbot or a proxy's tooling needs no restart).
func CertFiles(certFile, keyFile string) (*tls.Config, error) {
	c := &certReloader{cert: certFile, key: keyFile}
	if _, err := c.load(); err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.get() }}, nil
}

type certReloader struct {
	cert, key string
	mu        sync.Mutex
	current   *tls.Certificate
	modTime   time.Time
}

func (c *certReloader) load() (*tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", c.cert, c.key, err)
	}
	return &pair, nil
}

func (c *certReloader) get() (*tls.Certificate, error) {
	fi, err := os.Stat(c.cert)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil && (err != nil || !fi.ModTime().After(c.modTime)) {
		return c.current, nil
	}
	pair, err := c.load()
	if err != nil {
		if c.current != nil {
			return c.current, nil // a half-written renewal: keep serving the old one
		}
		return nil, err
	}
	c.current = pair
	if fi != nil {
		c.modTime = fi.ModTime()
	}
	return pair, nil
}
