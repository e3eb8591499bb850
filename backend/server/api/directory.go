package api

import (
	"time"

	"gatehouse/backend/portal"
)

// SCIMPath is where the SCIM endpoint is served, below the portal's address; the server's
// routes (scim_meta.go) are under it.
const SCIMPath = "/scim/v2"

// EntityDirectory is the audit log's entity type of a connected directory (not a record
// of the change feed).
const EntityDirectory = "directory"

// DirectoryTokenRequest connects a directory (SCIM): POST /api/v1/directory-tokens.
type DirectoryTokenRequest struct {
	Name                    string          `json:"name"`
	Kind                    portal.Kind     `json:"kind"`
	OrganizationID          string          `json:"organizationId"`
	Purge                   bool            `json:"purge"`
	DepartmentOrganizations bool            `json:"departmentOrganizations"`
	GroupsAs                portal.GroupsAs `json:"groupsAs"`
}

// DirectoryToken is a connected directory as administrators see it: never its token.
type DirectoryToken struct {
	portal.Directory
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// NewDirectoryToken answers the creation of a directory's token: the only time the token
// is shown, with the address the directory sends its requests to.
type NewDirectoryToken struct {
	DirectoryToken
	Token   string `json:"token"`
	BaseURL string `json:"scimBaseUrl"`
}
