package server

import (
	"net/http"
	"strings"

	"gatehouse/backend/portal"
	"gatehouse/backend/server/scim"
	"gatehouse/backend/server/service"
)

// Groups are the portal's roles (a group's members hold the role) or its organisations (a
// group's members belong to it), as the directory is configured.

// withMembers says whether the answer lists members: not when the directory asks to leave
// them out (Entra's excludedAttributes=members, which keeps large groups cheap).
func withMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return false
		}
	}
	return true
}

func (s *Server) respondGroup(w http.ResponseWriter, r *http.Request, g service.DirectoryGroup, status int) error {
	res := scim.GroupOf(g.ID, g.Name, g.Version, g.Members, withMembers(r), s.scimBase())
	return respondResource(w, status, res.Meta, res)
}

func (s *Server) handleSCIMListGroups(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	start, count, expr, err := listRequest(r)
	if err != nil {
		return err
	}
	// Members are read when they are shown or the filter may ask about them.
	groups, err := s.svc.DirectoryGroups(r.Context(), d, withMembers(r) || expr != nil)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(groups))
	for _, g := range groups {
		if expr != nil {
			ok, err := scim.Match(scim.ToDoc(scim.GroupOf(g.ID, g.Name, g.Version, g.Members, true, s.scimBase())), expr)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		out = append(out, scim.GroupOf(g.ID, g.Name, g.Version, g.Members, withMembers(r), s.scimBase()))
	}
	writeList(w, out, start, count)
	return nil
}

func (s *Server) handleSCIMGetGroup(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	g, err := s.svc.DirectoryGroupByID(r.Context(), d, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondGroup(w, r, g, http.StatusOK)
}

func (s *Server) handleSCIMCreateGroup(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	doc, err := s.readSCIM(w, r)
	if err != nil {
		return err
	}
	name, members, err := scim.GroupOfDoc(doc)
	if err != nil {
		return err
	}
	g, err := s.svc.DirectoryCreateGroup(r.Context(), d, name, members)
	if err != nil {
		return err
	}
	return s.respondGroup(w, r, g, http.StatusCreated)
}

func (s *Server) handleSCIMReplaceGroup(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	doc, version, err := s.readReplace(w, r)
	if err != nil {
		return err
	}
	name, members, err := scim.GroupOfDoc(doc)
	if err != nil {
		return err
	}
	g, err := s.svc.DirectoryChangeGroup(r.Context(), d, r.PathValue("id"), version, service.GroupChange{Name: name, Replace: members})
	if err != nil {
		return err
	}
	return s.respondGroup(w, r, g, http.StatusOK)
}

func (s *Server) handleSCIMPatchGroup(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	ops, version, err := s.readPatch(w, r)
	if err != nil {
		return err
	}
	_, err = s.svc.DirectoryChangeGroup(r.Context(), d, r.PathValue("id"), version, service.GroupChange{
		Resolve: func(g service.DirectoryGroup) (service.GroupChange, error) {
			doc := scim.GroupDoc(g.Name, g.Members)
			if err := scim.Apply(doc, ops); err != nil {
				return service.GroupChange{}, err
			}
			name, members, err := scim.GroupOfDoc(doc)
			return service.GroupChange{Name: name, Replace: members}, err
		},
	})
	if err != nil {
		return err
	}
	// 204: Entra and Okta expect no body, which would list every member.
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleSCIMDeleteGroup(w http.ResponseWriter, r *http.Request, d portal.Directory) error {
	if err := s.svc.DirectoryDeleteGroup(r.Context(), d, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
