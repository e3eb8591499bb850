package batch

import (
	"slices"

	"gatehouse/backend/quality"
)

// Candidate is one person who may be put in a batch, from whatever source: an import
// session's row or a contact in the cache. Adapters (FromImport, FromCache) fill it; the
// batch logic never looks further than this.
type Candidate struct {
	// RowRef identifies the row in its source and in the batch: "import:<session>:<row>",
	// "contact:<id>". It must be unique among the candidates.
	RowRef           string `json:"rowRef"`
	ContactID        string `json:"contactId,omitempty"`
	AccountID        string `json:"accountId,omitempty"`
	OrganizationID   string `json:"organizationId,omitempty"`
	OrganizationName string `json:"organizationName"`
	OrganizationType string `json:"organizationType"`
	Member           bool   `json:"member"`
	Name             string `json:"name"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	Email            string `json:"email"`
	// Findings are the quality codes of the row (quality.Code values).
	Findings []string `json:"findings"`
}

// duplicateCodes must be resolved before a batch can be formed; every other finding code
// (missing or invalid e-mail, shared e-mail, organisation row, non-member, has access, role
// expired, and any code a newer check adds) excludes its row unless overridden.
var duplicateCodes = []string{string(quality.DuplicateEmail), string(quality.PossibleDuplicate)}

// IsBlocking reports whether a finding excludes a row from a batch unless the
// administrator overrides it. Codes Gatehouse does not know (from a newer quality check)
// are blocking: better to ask than to send.
func IsBlocking(code string) bool {
	return !slices.Contains(duplicateCodes, code) && code != ""
}

// NeedsResolution reports whether a finding stops the whole batch until it is resolved.
func NeedsResolution(code string) bool { return slices.Contains(duplicateCodes, code) }

// Reason is why a row is excluded or needs a decision.
type Reason struct {
	Code    string `json:"code"`
	Label   string `json:"label"`
	Message string `json:"message"`
}

func reasonFor(code string) Reason {
	r := Reason{Code: code, Label: quality.Code(code).Label()}
	switch quality.Code(code) {
	case quality.MissingEmail:
		r.Message = "No e-mail address: there is nowhere to send the invitation. Add the address in the source and form the batch again."
	case quality.InvalidEmail:
		r.Message = "The e-mail address is not valid. Correct it in the source and form the batch again."
	case quality.SharedEmail:
		r.Message = "The e-mail address is shared with another organisation's contact; a person may access one organisation's record only. Agree with them which one, and override for that row."
	case quality.OrganisationRow:
		r.Message = "This row is an organisation, not a person; organisations are not invited."
	case quality.NonMember:
		r.Message = "The organisation is not a member, so its people are not invited."
	case quality.HasAccess:
		r.Message = "This person already has portal access (or an invitation). Send a reminder instead of a new invitation."
	case quality.RoleExpired:
		r.Message = "The person's role has ended (for example \"clerk until\" a past date), so they should not be invited."
	case quality.DuplicateEmail:
		r.Message = "Another row has the same e-mail address: two invitations would reach one mailbox. Merge or exclude one of the rows first."
	case quality.PossibleDuplicate:
		r.Message = "This may be the same person as another row. Merge or exclude one of them, or override if they are different people."
	default:
		r.Message = "The row has a finding Gatehouse does not know (" + code + "); check it, and override if the row should be invited."
	}
	return r
}
