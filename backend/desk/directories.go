package desk

import (
	"gatehouse/backend/server/api"
)

// Directories (SCIM): an administrator connects Microsoft Entra ID, Okta or Google
// Workspace to the portal, which then creates, updates and deactivates people by itself.
// Connecting needs the portal at once (its answer holds the token, shown this once), so
// these calls are not queued offline; the people a directory provisions arrive through
// sync like every other change.

// DirectoryTokens lists the connected directories the administrator may see.
func (a *Desk) DirectoryTokens() ([]api.DirectoryToken, error) {
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	list, err := c.cl.DirectoryTokens(a.ctx())
	if list == nil {
		list = []api.DirectoryToken{}
	}
	return list, err
}

// CreateDirectoryToken connects a directory and returns its token and the SCIM address to
// give it. The token is not kept on this computer either.
func (a *Desk) CreateDirectoryToken(req api.DirectoryTokenRequest) (api.NewDirectoryToken, error) {
	c, err := a.current()
	if err != nil {
		return api.NewDirectoryToken{}, err
	}
	return c.cl.CreateDirectoryToken(a.ctx(), req)
}

// RevokeDirectoryToken disconnects a directory; the people it provisioned stay.
func (a *Desk) RevokeDirectoryToken(id string) (api.DirectoryToken, error) {
	c, err := a.current()
	if err != nil {
		return api.DirectoryToken{}, err
	}
	return c.cl.RevokeDirectoryToken(a.ctx(), id)
}
