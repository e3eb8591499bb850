// Package scim speaks SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) for the portal
// server: it turns portal accounts and roles into SCIM Users and Groups and back, applies
// PATCH operations, evaluates filters, and shapes errors. It holds no rule of who may do
// what (package portal) and does no I/O (the server's scim handlers and the service).
//
// Attribute names in SCIM are case-insensitive, and directories differ in how they write
// them (Entra sends "Operations" with "Replace", a flattened
// "urn:…:enterprise:2.0:User:department" key, "active": "False"). So a resource being
// changed is handled as a generic document with every key in lower case (Doc), and read
// back into the portal's terms at the end.
package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Schema and message URNs.
const (
	SchemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// ContentType is the media type of every SCIM body (RFC 7644 3.1).
const ContentType = "application/scim+json"

// Paging limits of list requests.
const (
	DefaultCount = 100
	MaxCount     = 500
)

// Error is a SCIM error response (RFC 7644 3.12).
type Error struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
	code     int
}

func (e *Error) Error() string { return e.Detail }

// Code is the HTTP status of the error.
func (e *Error) Code() int { return e.code }

// Errorf makes a SCIM error with an HTTP status and a scimType ("" for none).
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Schemas: []string{SchemaError}, Status: fmt.Sprint(status), ScimType: scimType, Detail: fmt.Sprintf(format, args...), code: status}
}

func invalidValue(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalidValue", format, args...)
}

// Meta is a resource's metadata (RFC 7643 3.1).
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// ETag is the entity tag of a record version: weak, as the resource's representation may
// change while the version does not (a role's name shown in a user's groups).
func ETag(version int64) string { return fmt.Sprintf(`W/"%d"`, version) }

// ListResponse is a page of resources (RFC 7644 3.4.2).
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// Page cuts the 1-based startIndex/count window (RFC 7644 3.4.2.4) out of n results: the
// half-open range [from, to). A startIndex below 1 is 1; a negative count is 0.
func Page(n, startIndex, count int) (from, to int) {
	from = max(startIndex, 1) - 1
	if from > n {
		from = n
	}
	to = min(from+max(count, 0), n)
	return from, to
}

// Doc is a resource as a generic JSON document with lower-case keys, for PATCH and filters.
type Doc = map[string]any

// Lower returns v with every object key in lower case, recursively.
func Lower(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ToLower(k)] = Lower(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Lower(e)
		}
		return out
	}
	return v
}

// ToDoc turns a resource into a Doc.
func ToDoc(v any) Doc {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the package's own structs are given
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return Lower(m).(map[string]any)
}

// ParseDoc reads a request body as a Doc: one JSON object.
func ParseDoc(body []byte) (Doc, error) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "The request body is not a JSON object: %v.", errText(err))
	}
	if dec.More() {
		return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "The request body holds more than one JSON value.")
	}
	return Lower(m).(map[string]any), nil
}

func errText(err error) string {
	if err == nil {
		return "it is null"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// str reads a string attribute; a number or boolean is written out.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool, float64:
		return fmt.Sprint(x)
	}
	return ""
}

// Bool reads a boolean attribute: true and false, or the strings "True" and "False" in
// any case, as Entra sends them in PATCH.
func Bool(attr string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalidValue("%q must be true or false, not %v.", attr, jsonText(v))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
