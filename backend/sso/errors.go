package sso

import (
	"errors"
	"fmt"

	"gatehouse/backend/portal"
)

// Reason says, in a form the UI can switch on, why a sign-in failed. The sentence to show
// comes with the error (portal.ErrorMessage); the reason picks an icon, a help link or
// whether to offer "try again".
type Reason string

const (
	// ReasonConfig: the issuer or client ID in Settings is not usable as entered.
	ReasonConfig Reason = "config"
	// ReasonProviderUnreachable: the identity provider did not answer (down, offline,
	// wrong address).
	ReasonProviderUnreachable Reason = "provider_unreachable"
	// ReasonDiscoveryFailed: the provider answered, but not with usable OpenID metadata.
	ReasonDiscoveryFailed Reason = "discovery_failed"
	// ReasonDiscoveryIssuerMismatch: the provider calls itself by another issuer URL than
	// the one in Settings.
	ReasonDiscoveryIssuerMismatch Reason = "discovery_issuer_mismatch"
	// ReasonListen: no loopback port could be opened for the browser to come back to.
	ReasonListen Reason = "listen_failed"
	// ReasonCancelled: the person declined or cancelled at the identity provider.
	ReasonCancelled Reason = "cancelled"
	// ReasonAborted: Gatehouse stopped waiting (the app closed the flow or its context).
	ReasonAborted Reason = "aborted"
	// ReasonTimeout: nobody finished signing in in the browser in time.
	ReasonTimeout Reason = "timeout"
	// ReasonProviderError: the provider refused the request for another reason.
	ReasonProviderError Reason = "provider_error"
	// ReasonMissingCode: the provider came back without an authorization code.
	ReasonMissingCode Reason = "missing_code"
	// ReasonCodeRejected: the provider refused to exchange the code (used twice, wrong
	// PKCE verifier, wrong redirect URI).
	ReasonCodeRejected Reason = "code_rejected"
	// ReasonWrongIssuer: a token or response came from another issuer.
	ReasonWrongIssuer Reason = "wrong_issuer"
	// ReasonWrongAudience: the ID token was made for another application (client ID).
	ReasonWrongAudience Reason = "wrong_audience"
	// ReasonClockSkew: the token is expired or not yet valid by this computer's clock.
	ReasonClockSkew Reason = "clock_skew"
	// ReasonNonceMismatch: the ID token belongs to another sign-in (replay or mix-up).
	ReasonNonceMismatch Reason = "nonce_mismatch"
	// ReasonInvalidToken: the ID token is malformed, unsigned, signed with a forbidden
	// algorithm or by a key the provider does not publish.
	ReasonInvalidToken Reason = "invalid_token"
)

// Error is a failed sign-in. It carries a portal.Error (code and administrator sentence,
// found by portal.ErrorCode / portal.ErrorMessage), a Reason, and the underlying cause for
// the log. Causes never hold tokens.
type Error struct {
	Reason Reason
	public *portal.Error
	cause  error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("sso %s: %s", e.Reason, e.public.Message)
	if e.cause != nil {
		s += " (" + e.cause.Error() + ")"
	}
	return s
}

// Unwrap exposes both the portal.Error and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.public}
	}
	return []error{e.public, e.cause}
}

// Public returns the code and sentence to show.
func (e *Error) Public() *portal.Error { return e.public }

// ReasonOf returns the Reason of the first *Error in err's chain, or "" if there is none.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// codeFor maps a reason to the portal error code transports and the UI understand.
func codeFor(r Reason) (code, field string) {
	switch r {
	case ReasonConfig, ReasonProviderUnreachable, ReasonDiscoveryFailed, ReasonDiscoveryIssuerMismatch:
		return portal.EINVALID, "issuer"
	case ReasonWrongAudience:
		return portal.EUNAUTHORIZED, "clientId"
	case ReasonListen:
		return portal.EINTERNAL, ""
	}
	return portal.EUNAUTHORIZED, ""
}

func newError(r Reason, cause error, format string, args ...any) *Error {
	code, field := codeFor(r)
	return &Error{Reason: r, cause: cause, public: &portal.Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}}
}

func fieldError(field string, cause error, format string, args ...any) *Error {
	return &Error{Reason: ReasonConfig, cause: cause, public: portal.FieldErrorf(field, format, args...)}
}
