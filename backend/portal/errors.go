// Package portal holds Gatehouse's domain: organisations, contacts, accounts, roles,
// invitations and access requests, the account lifecycle and the rules that guard it.
// It does no I/O: the server, the desktop cache and the tests all call the same functions.
package portal

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Transports map them to HTTP statuses, the UI to sentences.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
	// ETOOMANY refuses a try for a while: too many of them lately (HTTP 429).
	ETOOMANY = "too_many_requests"
)

// Error is an error an administrator can act on: Message says what happened and what to do.
// Field names the input at fault, when there is one.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an invalid-input error that names the field at fault.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// fieldSpentIDToken marks the one refusal of an ID token that the client mends itself, by
// asking its provider for a new token: the token already bought a session.
const fieldSpentIDToken = "idToken:spent"

// IDTokenSpent refuses an ID token that already bought a session (first, at that time).
func IDTokenSpent(first time.Time) *Error {
	return &Error{Code: EUNAUTHORIZED, Field: fieldSpentIDToken, Message: fmt.Sprintf(
		"This sign-in was already used for a session at %s; an ID token buys one. Sign in again.", first.UTC().Format(time.RFC3339))}
}

// IsIDTokenSpent reports whether an error's code and field (as a transport carries them)
// are IDTokenSpent's.
func IsIDTokenSpent(code, field string) bool {
	return code == EUNAUTHORIZED && field == fieldSpentIDToken
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the administrator-facing message of err. Errors without a code are
// not shown as they are: they may carry internals.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong inside Gatehouse. Try again; if it keeps happening, send the log file to your support contact."
}

// ErrorField returns the input field err is about ("" when none), from the first *Error
// in its chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// NotFound is the answer for a record that does not exist — and, so that nobody can probe
// for records of organisations they do not administer, for one the caller may not see.
func NotFound(what, id string) error {
	return Errorf(ENOTFOUND, "There is no %s %q; it may have been deleted. Refresh and try again.", what, clip(id, 80))
}
