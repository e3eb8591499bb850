package api

import (
	"net/http"

	"gatehouse/backend/portal"
)

// Status is the HTTP status the admin API answers an error code with; stale marks a
// conflict with the sender's If-Match version, answered 412. The server writes it and the
// client reads it back, so both sides use this one table.
func Status(code string, stale bool) int {
	switch code {
	case portal.EINVALID:
		return http.StatusBadRequest
	case portal.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case portal.EFORBIDDEN:
		return http.StatusForbidden
	case portal.ENOTFOUND:
		return http.StatusNotFound
	case portal.ECONFLICT:
		if stale {
			return http.StatusPreconditionFailed
		}
		return http.StatusConflict
	case portal.ETOOMANY:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
