package app

import (
	"encoding/json"
	"log/slog"

	"gatehouse/backend/portal"
)

// How errors cross to the frontend
//
// A bound method returns a plain Go error; it does not format anything itself. main.go (and
// the browser-test harness) install ErrorFormatter as Wails' options.App.ErrorFormatter, which
// turns every error a bound method returns into a JSON string:
//
//	{"code":"conflict","message":"Someone changed this account …","field":"email"}
//
// A string, not an object, because the Wails v2.16 JS runtime rejects the call's promise with
// new Error(formatted): an object would arrive as "[object Object]". The frontend's API layer
// (frontend/src/api/errors.ts) parses Error.message back into an ApiError{code, message,
// field}; anything that is not such JSON (Wails' own "error parsing arguments" and the like)
// becomes code "internal".
//
// Code and message come from the first *portal.Error in the chain. Any other error is logged
// with its full text and reaches the user only as code "internal" with a generic sentence, so
// file paths, SQL and stack details never show up in the UI.

// ErrorPayload is the JSON an error becomes on its way to the frontend.
type ErrorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorFormatter returns the function to install as options.App.ErrorFormatter.
func ErrorFormatter(log *slog.Logger) func(error) any {
	return func(err error) any {
		p := Payload(err)
		if p.Code == portal.EINTERNAL {
			log.Error("bound method failed", "err", err)
		}
		b, jerr := json.Marshal(p)
		if jerr != nil { // cannot happen for three strings; keep the UI informed anyway
			return `{"code":"internal","message":"Gatehouse could not describe an error."}`
		}
		return string(b)
	}
}

// Payload describes err for the frontend.
func Payload(err error) ErrorPayload {
	return ErrorPayload{Code: portal.ErrorCode(err), Message: portal.ErrorMessage(err), Field: portal.ErrorField(err)}
}
