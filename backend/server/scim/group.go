package scim

import (
	"gatehouse/backend/portal"
)

// Group is a SCIM Group (RFC 7643 4.2): a portal role, whose holders are its members, or
// an organisation, whose people are, as the directory is configured.
type Group struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Members     *[]Ref   `json:"members,omitempty"`
	Meta        Meta     `json:"meta"`
}

// GroupOf is a group as a SCIM Group; withMembers false leaves its members out
// (excludedAttributes=members).
func GroupOf(id, name string, version int64, members []portal.Account, withMembers bool, base string) Group {
	g := Group{Schemas: []string{SchemaGroup}, ID: id, DisplayName: name,
		Meta: Meta{ResourceType: "Group", Location: base + "/Groups/" + id, Version: ETag(version)}}
	if withMembers {
		refs := make([]Ref, 0, len(members))
		for _, a := range members {
			refs = append(refs, Ref{Value: a.ID, Display: a.Name, Ref: base + "/Users/" + a.ID})
		}
		g.Members = &refs
	}
	return g
}

// GroupDoc is the group's Doc for PATCH: its name and its members' IDs.
func GroupDoc(name string, members []portal.Account) Doc {
	list := make([]any, 0, len(members))
	for _, a := range members {
		list = append(list, map[string]any{"value": a.ID})
	}
	return Doc{"displayname": name, "members": list}
}

// GroupOfDoc reads a Group document (POST, PUT, or after PATCH): its name and members.
func GroupOfDoc(d Doc) (name string, members []string, err error) {
	name = str(d["displayname"])
	switch list := d["members"].(type) {
	case nil:
	case []any:
		for _, e := range list {
			id := ""
			if m, ok := e.(map[string]any); ok {
				id = str(m["value"])
			}
			if id == "" {
				return "", nil, invalidValue("Each member must be an object with the user's id as \"value\".")
			}
			members = append(members, id)
		}
	default:
		return "", nil, invalidValue("\"members\" must be a list of {\"value\": user id}.")
	}
	if members == nil {
		members = []string{}
	}
	return name, members, nil
}
