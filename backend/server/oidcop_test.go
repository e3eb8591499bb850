package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"gatehouse/backend/portal"
)

// testOP is a small OpenID Provider for these tests: discovery, a JWKS with a test key,
// an authorization endpoint that signs in whoever the test chose (with PKCE S256), and a
// token endpoint for a confidential client. Tokens it mints are verified by the server
// with go-oidc exactly as a real provider's would be.
type testOP struct {
	t      testing.TB
	srv    *httptest.Server
	URL    string
	key    *rsa.PrivateKey
	clock  portal.Clock
	secret string

	mu     sync.Mutex
	user   opUser
	codes  map[string]grant
	issued int // tokens signed, for their jti
}

type opUser struct {
	Sub, Email, Name string
	Unverified       bool
}

type grant struct {
	user                          opUser
	nonce, challenge, client, uri string
}

func newTestOP(t testing.TB, clock portal.Clock) *testOP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &testOP{t: t, key: key, clock: clock, secret: "portal-secret", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	op.srv = httptest.NewServer(mux)
	op.URL = op.srv.URL
	t.Cleanup(op.srv.Close)
	return op
}

// SignInAs chooses who the next authorization request signs in.
func (op *testOP) SignInAs(u opUser) {
	op.mu.Lock()
	op.user = u
	op.mu.Unlock()
}

func (op *testOP) discovery(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
		"jwks_uri": op.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (op *testOP) jwks(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	}
	code, _ := portal.NewToken()
	op.mu.Lock()
	op.codes[code] = grant{user: op.user, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), client: q.Get("client_id"), uri: q.Get("redirect_uri")}
	op.mu.Unlock()
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	op.mu.Lock()
	g, found := op.codes[r.PostForm.Get("code")]
	delete(op.codes, r.PostForm.Get("code"))
	op.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !found:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	case id != g.client || secret != op.secret:
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostForm.Get("redirect_uri") != g.uri:
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "PKCE or redirect mismatch"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
		"id_token": op.IDToken(g.client, g.user, g.nonce, time.Hour),
	})
}

// IDToken mints an ID token for aud, valid for ttl from the test clock.
func (op *testOP) IDToken(aud string, u opUser, nonce string, ttl time.Duration) string {
	return op.IDTokenWith(aud, u, nonce, ttl, nil)
}

// IDTokenWith is IDToken with claims added or replaced (an audience list, azp, no jti).
// Every token has its own jti, as most providers give.
func (op *testOP) IDTokenWith(aud string, u opUser, nonce string, ttl time.Duration, extra map[string]any) string {
	now := op.clock.Now()
	op.mu.Lock()
	op.issued++
	n := op.issued
	op.mu.Unlock()
	claims := map[string]any{
		"iss": op.URL, "aud": aud, "sub": u.Sub, "email": u.Email, "email_verified": !u.Unverified, "name": u.Name,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": fmt.Sprintf("jti-%d", n),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	for k, v := range extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	return op.sign(claims, op.key)
}

func (op *testOP) sign(claims map[string]any, key *rsa.PrivateKey) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		op.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	sig, err := signer.Sign(payload)
	if err != nil {
		op.t.Fatal(err)
	}
	raw, err := sig.CompactSerialize()
	if err != nil {
		op.t.Fatal(err)
	}
	return raw
}
