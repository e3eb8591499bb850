package server

import (
	"context"
	"net/http"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/scim"
	"gatehouse/backend/server/service"
)

// userGroups works out, once per request, the groups each user is listed in: the roles
// they hold, or the organisation they belong to, as the directory's groups are.
func (s *Server) userGroups(ctx context.Context, d portal.Directory) (func(portal.Account) []scim.Ref, error) {
	groups, err := s.svc.DirectoryGroups(ctx, d, false)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	base := s.scimBase()
	return func(a portal.Account) []scim.Ref {
		ids := a.RoleIDs()
		if d.GroupsAs == portal.GroupsAsOrganizations {
			ids = []string{a.OrganizationID}
		}
		refs := []scim.Ref{}
		for _, id := range ids {
			if name, ok := names[id]; ok {
				refs = append(refs, scim.GroupRef(id, name, base))
			}
		}
		return refs
	}, nil
}

// respondUser answers with a user, its ETag and, for a new one, its Location.
func (s *Server) respondUser(w http.ResponseWriter, r *http.Request, d portal.Directory, a portal.Account, status int) error {
	groups, err := s.userGroups(r.Context(), d)
	if err != nil {
		return err
	}
	u := scim.UserOf(a, groups(a), s.scimBase())
	return respondResource(w, status, u.Meta, u)
}

func (s *Server) handleSCIMListUsers(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	start, count, expr, err := listRequest(r)
	if err != nil {
		return err
	}
	if expr == nil {
		return s.listAllUsers(w, r, d, start, count)
	}
	match := service.DirectoryMatch(scim.LookupOf(expr))
	accounts, err := s.svc.DirectoryAccounts(r.Context(), d, match)
	if err != nil {
		return err
	}
	groups, err := s.userGroups(r.Context(), d)
	if err != nil {
		return err
	}
	users := make([]any, 0, len(accounts))
	for _, a := range accounts {
		u := scim.UserOf(a, groups(a), s.scimBase())
		ok, err := scim.Match(scim.ToDoc(u), expr)
		if err != nil {
			return err
		}
		if ok {
			users = append(users, u)
		}
	}
	writeList(w, users, start, count)
	return nil
}

// listAllUsers answers a listing without a filter one page at a time from the database.
func (s *Server) listAllUsers(w http.ResponseWriter, r *http.Request, d portal.Directory, start, count int) error {
	start = max(start, 1)
	total, accounts, err := s.svc.DirectoryAccountsPage(r.Context(), d, start-1, count)
	if err != nil {
		return err
	}
	groups, err := s.userGroups(r.Context(), d)
	if err != nil {
		return err
	}
	users := make([]any, len(accounts))
	for i, a := range accounts {
		users[i] = scim.UserOf(a, groups(a), s.scimBase())
	}
	writeSCIM(w, http.StatusOK, scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, TotalResults: total,
		StartIndex: start, ItemsPerPage: len(users), Resources: users})
	return nil
}

func (s *Server) handleSCIMGetUser(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	a, err := s.svc.DirectoryAccount(r.Context(), d, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondUser(w, r, d, a, http.StatusOK)
}

func (s *Server) handleSCIMCreateUser(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	doc, err := s.readSCIM(w, r)
	if err != nil {
		return err
	}
	p, err := scim.ProfileOf(doc)
	if err != nil {
		return err
	}
	a, err := s.svc.DirectoryProvision(r.Context(), d, p)
	if err != nil {
		return err
	}
	return s.respondUser(w, r, d, a, http.StatusCreated)
}

func (s *Server) handleSCIMReplaceUser(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	doc, version, err := s.readReplace(w, r)
	if err != nil {
		return err
	}
	p, err := scim.ProfileOf(doc)
	if err != nil {
		return err
	}
	a, err := s.svc.DirectoryUpdate(r.Context(), d, r.PathValue("id"), version, func(portal.Account) (portal.DirectoryProfile, error) { return p, nil })
	if err != nil {
		return err
	}
	return s.respondUser(w, r, d, a, http.StatusOK)
}

func (s *Server) handleSCIMPatchUser(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	ops, version, err := s.readPatch(w, r)
	if err != nil {
		return err
	}
	groups, err := s.userGroups(r.Context(), d)
	if err != nil {
		return err
	}
	a, err := s.svc.DirectoryUpdate(r.Context(), d, r.PathValue("id"), version, func(a portal.Account) (portal.DirectoryProfile, error) {
		doc := scim.ToDoc(scim.UserOf(a, groups(a), s.scimBase()))
		if err := scim.Apply(doc, ops); err != nil {
			return portal.DirectoryProfile{}, err
		}
		return scim.ProfileOf(doc)
	})
	if err != nil {
		return err
	}
	return s.respondUser(w, r, d, a, http.StatusOK)
}

func (s *Server) handleSCIMDeleteUser(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := s.svc.DirectoryRemove(r.Context(), d, r.PathValue("id"), version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
