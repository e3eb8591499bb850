package sso

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/oauth2"

	"gatehouse/backend/sso/ssotest"
)

// BenchmarkHeadlessLogin measures a whole sign-in against oidc-provider: loopback
// listener, the provider's login and consent pages, the callback, code exchange with PKCE
// and ID token verification.
func BenchmarkHeadlessLogin(b *testing.B) {
	p := sharedProvider(b)
	c := newTestClient(b, p, nil)
	ctx := context.Background()
	for b.Loop() {
		f, err := c.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cb, err := ssotest.NewBrowser().SignIn(f.AuthURL(), "anna", false)
		if err != nil {
			b.Fatal(err)
		}
		if st, _, err := ssotest.Deliver(b, http.MethodGet, cb, ""); err != nil || st != http.StatusOK {
			b.Fatalf("callback %d %v", st, err)
		}
		if _, err := f.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/login")
}

// BenchmarkVerifyIDToken measures the local checks on a real ID token, keys cached.
func BenchmarkVerifyIDToken(b *testing.B) {
	p := sharedProvider(b)
	c := newTestClient(b, p, nil)
	ctx := context.Background()
	f, err := c.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cb, err := ssotest.NewBrowser().SignIn(f.AuthURL(), "anna", false)
	if err != nil {
		b.Fatal(err)
	}
	u, _ := http.NewRequest(http.MethodGet, cb, nil)
	tok, err := c.oauthConfig(f.redirectURI).Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.hc), u.URL.Query().Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		b.Fatal(err)
	}
	raw := tok.Extra("id_token").(string)
	for b.Loop() {
		if _, err := c.verifyIDToken(ctx, raw, f.nonce, true, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
