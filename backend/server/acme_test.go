package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gatehouse/backend/poll"
	"gatehouse/backend/server"
	"gatehouse/backend/server/servertest"
)

// The portal gets its certificate from an ACME certificate authority and serves HTTPS with
// it: Pebble, Let's Encrypt's test CA, on 127.0.0.1 (challenges taken as passed, since no
// public DNS points the test's name here). The certificate is Pebble's, for the portal's
// name, and the answer carries HSTS.
func TestACMECertificateFromPebble(t *testing.T) {
	pebble := buildPebble(t)
	dir := t.TempDir()
	// Pebble serves its ACME directory over HTTPS with a certificate the test makes.
	pebbleCert, pebbleKey := selfSigned(t, dir, "pebble")
	acmePort, mgmtPort := freePort(t), freePort(t)
	config := map[string]any{"pebble": map[string]any{
		"listenAddress": fmt.Sprintf("127.0.0.1:%d", acmePort), "managementListenAddress": fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate": pebbleCert, "privateKey": pebbleKey, "httpPort": 5002, "tlsPort": 5001,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	cfgFile := filepath.Join(dir, "pebble.json")
	b, _ := json.Marshal(config)
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pebble, "-config", cfgFile)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=100")
	logFile, err := os.Create(filepath.Join(dir, "pebble.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	logs := logReader(logFile.Name())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(pebbleCert)
	pool.AppendCertsFromPEM(pemBytes)
	toPebble := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	directory := fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort)
	waitFor(t, func() error {
		res, err := toPebble.Get(directory)
		if err == nil {
			res.Body.Close()
		}
		return err
	}, logs)

	const domain = "portal.gatehouse.test"
	tlsCfg, err := server.ACME{Domains: []string{domain}, DirectoryURL: directory, Email: "ops@example.org",
		CacheDir: filepath.Join(dir, "certs"), CAFile: pebbleCert}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	p := servertest.Start(t, server.Config{TLS: tlsCfg})
	if !strings.HasPrefix(p.URL, "https://127.0.0.1:") {
		t.Fatalf("the portal's address: %s", p.URL)
	}

	// The roots Pebble issues under change on every start: ask it.
	res, err := toPebble.Get(fmt.Sprintf("https://127.0.0.1:%d/roots/0", mgmtPort))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(res.Body)
	res.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(root) {
		t.Fatalf("Pebble's root: %s", root)
	}
	addr := strings.TrimPrefix(p.URL, "https://")
	browser := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: domain},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr) // the name resolves to the portal
		},
	}}
	res, err = browser.Get("https://" + domain + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS with the certificate from Pebble: %v\nPebble:\n%s", err, logs())
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("status %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	leaf := res.TLS.PeerCertificates[0]
	if leaf.Subject.CommonName != domain && (len(leaf.DNSNames) == 0 || leaf.DNSNames[0] != domain) {
		t.Errorf("certificate for %v %q", leaf.DNSNames, leaf.Subject.CommonName)
	}
	if !strings.Contains(strings.ToLower(leaf.Issuer.CommonName), "pebble") {
		t.Errorf("issued by %q, not Pebble", leaf.Issuer.CommonName)
	}
	// Another name gets no certificate: the server does not ask the CA for whatever name
	// a client sends.
	other := &tls.Config{RootCAs: roots, ServerName: "evil.example"}
	if c, err := tls.Dial("tcp", addr, other); err == nil {
		c.Close()
		t.Error("a certificate was served for a name not configured")
	}
	// The certificate was kept: a restart does not ask the CA again.
	if entries, _ := os.ReadDir(filepath.Join(dir, "certs")); len(entries) < 2 {
		t.Errorf("the certificate folder holds %d files", len(entries))
	}
}

// HTTPS from certificate files, with HSTS; plain HTTP where others could listen is refused
// unless the operator says so.
func TestTLSFromFilesAndPlainHTTPRefused(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir, "portal")
	tlsCfg, err := server.CertFiles(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	p := servertest.Start(t, server.Config{TLS: tlsCfg})
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := c.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("HSTS: %q", res.Header.Get("Strict-Transport-Security"))
	}
	if _, err := server.CertFiles(filepath.Join(dir, "missing.pem"), keyFile); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("a missing certificate file: %v", err)
	}

	for _, tc := range []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"every address, plain HTTP", server.Config{Addr: ":0"}, "plain HTTP on an address other computers reach"},
		{"an http:// base URL", server.Config{Addr: "127.0.0.1:0", BaseURL: "http://portal.example.org"}, "Give an https:// address"},
		{"an http:// issuer", server.Config{Addr: "127.0.0.1:0", TrustedIssuers: []server.TrustedIssuer{{Issuer: "http://idp.example.org", Audiences: []string{"x"}}}}, "plain HTTP"},
	} {
		cfg := tc.cfg
		cfg.DBPath = filepath.Join(t.TempDir(), "portal.db")
		if _, err := server.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
		cfg.InsecureHTTP = true
		srv, err := server.New(context.Background(), cfg)
		if err != nil {
			t.Errorf("%s with InsecureHTTP: %v", tc.name, err)
			continue
		}
		srv.Shutdown(context.Background())
	}
}

// buildPebble builds Pebble from the module (a tool of go.mod) once per test binary.
func buildPebble(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("gatehouse-pebble-%s-%s", runtime.GOOS, runtime.GOARCH))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	out, err := exec.Command("go", "build", "-o", bin, "github.com/letsencrypt/pebble/v2/cmd/pebble").CombinedOutput()
	if err != nil {
		// Pebble is a tool of go.mod: wherever these tests build, it builds too.
		t.Fatalf("build Pebble (go build github.com/letsencrypt/pebble/v2/cmd/pebble): %v\n%s", err, out)
	}
	return bin
}

// selfSigned writes a certificate and key for 127.0.0.1 and localhost.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// logReader reads a log file written by another process, for a failure's message.
func logReader(path string) func() string {
	return func() string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
}

func waitFor(t *testing.T, try func() error, logs func() string) {
	t.Helper()
	var err error
	if !poll.Until(10*time.Second, func() bool { err = try(); return err == nil }) {
		t.Fatalf("Pebble did not answer: %v\n%s", err, logs())
	}
}
