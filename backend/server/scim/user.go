package scim

import (
	"strings"
	"time"

	"gatehouse/backend/portal"
)

// User is a portal account as a SCIM User with the enterprise extension (RFC 7643 4.1, 4.3).
type User struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName"`
	Name        Name        `json:"name"`
	DisplayName string      `json:"displayName"`
	Title       string      `json:"title,omitempty"`
	Emails      []Email     `json:"emails"`
	Active      bool        `json:"active"`
	Groups      []Ref       `json:"groups"`
	Enterprise  *Enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta        Meta        `json:"meta"`
}

// Name is a User's name.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// Email is one of a User's addresses.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Ref is a reference to another resource: a user's group or a group's member.
type Ref struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Ref     string `json:"$ref,omitempty"`
}

// Enterprise is the enterprise extension's part the portal keeps.
type Enterprise struct {
	Department string `json:"department,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Active is what a SCIM "active" says of an account: it may sign in, or will once it
// follows its invitation.
func Active(a portal.Account) bool {
	return a.Status == portal.StatusActive || a.Status == portal.StatusInvited
}

// UserOf is the account as a SCIM User; base is the SCIM endpoint's address
// (https://portal.example.org/scim/v2), groups the groups it is a member of.
func UserOf(a portal.Account, groups []Ref, base string) User {
	if groups == nil {
		groups = []Ref{}
	}
	u := User{
		Schemas: []string{SchemaUser, SchemaEnterprise}, ID: a.ID, UserName: a.Email,
		DisplayName: a.Name, Name: Name{Formatted: a.Name},
		Emails: []Email{{Value: a.Email, Type: "work", Primary: true}}, Active: Active(a), Groups: groups,
		Meta: Meta{ResourceType: "User", Created: stamp(a.CreatedAt), LastModified: stamp(a.UpdatedAt), Location: base + "/Users/" + a.ID, Version: ETag(a.Version)},
	}
	if d := a.Directory; d != nil {
		u.UserName, u.ExternalID, u.Title = d.UserName, d.ExternalID, d.Title
		u.Name.GivenName, u.Name.FamilyName = d.GivenName, d.FamilyName
		if d.Department != "" {
			u.Enterprise = &Enterprise{Department: d.Department}
		}
	}
	return u
}

// GroupRef is a reference to group id, named name, as a user's groups list it.
func GroupRef(id, name, base string) Ref {
	return Ref{Value: id, Display: name, Ref: base + "/Groups/" + id}
}

// ProfileOf reads a User document (lower-case keys) as the directory's view of the
// person. An absent "active" is true: a directory that does not say otherwise sends
// people who may sign in.
func ProfileOf(d Doc) (portal.DirectoryProfile, error) {
	p := portal.DirectoryProfile{
		UserName:    str(d["username"]),
		ExternalID:  str(d["externalid"]),
		DisplayName: str(d["displayname"]),
		Title:       str(d["title"]),
		Active:      true,
	}
	if n, ok := d["name"].(map[string]any); ok {
		p.GivenName, p.FamilyName = str(n["givenname"]), str(n["familyname"])
		if p.DisplayName == "" {
			p.DisplayName = str(n["formatted"])
		}
	}
	if v, ok := d["active"]; ok && v != nil {
		active, err := Bool("active", v)
		if err != nil {
			return p, err
		}
		p.Active = active
	}
	email, err := primaryEmail(d["emails"])
	if err != nil {
		return p, err
	}
	p.Email = email
	if ext, ok := d[strings.ToLower(SchemaEnterprise)].(map[string]any); ok {
		p.Department = str(ext["department"])
	}
	return p, nil
}

// primaryEmail picks the address a person signs in with: the primary one, else the work
// one, else the first.
func primaryEmail(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return "", invalidValue("\"emails\" must be a list of addresses, such as [{\"value\": \"ann@example.org\", \"type\": \"work\", \"primary\": true}].")
	}
	var first, work, primary string
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", invalidValue("Each of \"emails\" must be an object with a \"value\".")
		}
		val := strings.TrimSpace(str(m["value"]))
		if val == "" {
			continue
		}
		if first == "" {
			first = val
		}
		if work == "" && strings.EqualFold(str(m["type"]), "work") {
			work = val
		}
		if p, _ := Bool("primary", m["primary"]); p && primary == "" {
			primary = val
		}
	}
	switch {
	case primary != "":
		return primary, nil
	case work != "":
		return work, nil
	}
	return first, nil
}
