package scim

// The discovery resources (RFC 7644 4): what this endpoint supports, its resource types
// and their schemas, so that a directory's set-up can read them.

type attr struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	MultiValued   bool   `json:"multiValued"`
	Required      bool   `json:"required"`
	CaseExact     bool   `json:"caseExact"`
	Mutability    string `json:"mutability"`
	Returned      string `json:"returned"`
	Uniqueness    string `json:"uniqueness"`
	Description   string `json:"description,omitempty"`
	SubAttributes []attr `json:"subAttributes,omitempty"`
}

func str1(name, desc string) attr {
	return attr{Name: name, Type: "string", Mutability: "readWrite", Returned: "default", Uniqueness: "none", Description: desc}
}

// ServiceProviderConfig says what the endpoint supports (RFC 7643 5).
func ServiceProviderConfig(base string) map[string]any {
	yes := func() map[string]any { return map[string]any{"supported": true} }
	no := func() map[string]any { return map[string]any{"supported": false} }
	return map[string]any{
		"schemas":        []string{SchemaSPConfig},
		"patch":          yes(),
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword": no(),
		"sort":           no(),
		"etag":           yes(),
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "The directory's token, made in Gatehouse → Settings → Directories and sent as Authorization: Bearer <token>.",
		}},
		"meta": Meta{ResourceType: "ServiceProviderConfig", Location: base + "/ServiceProviderConfig"},
	}
}

// ResourceTypes lists Users and Groups (RFC 7643 6).
func ResourceTypes(base string) []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{SchemaResourceType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "A person with access to the portal", "schema": SchemaUser,
			"schemaExtensions": []map[string]any{{"schema": SchemaEnterprise, "required": false}},
			"meta":             Meta{ResourceType: "ResourceType", Location: base + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{SchemaResourceType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A portal role; its members hold it", "schema": SchemaGroup,
			"meta": Meta{ResourceType: "ResourceType", Location: base + "/ResourceTypes/Group"},
		},
	}
}

// Schemas describes the attributes the portal keeps (RFC 7643 7).
func Schemas(base string) []map[string]any {
	userName := str1("userName", "The directory's unique name for the person; an e-mail address unless emails gives one")
	userName.Required, userName.Uniqueness = true, "server"
	externalID := str1("externalId", "The directory's identifier for the person")
	externalID.CaseExact = true
	active := attr{Name: "active", Type: "boolean", Mutability: "readWrite", Returned: "default", Uniqueness: "none",
		Description: "false deactivates the account, true lets the person in again"}
	emails := attr{Name: "emails", Type: "complex", MultiValued: true, Mutability: "readWrite", Returned: "default", Uniqueness: "none",
		Description:   "The primary (else the work, else the first) address is the one the person signs in with",
		SubAttributes: []attr{str1("value", ""), str1("type", "work"), {Name: "primary", Type: "boolean", Mutability: "readWrite", Returned: "default", Uniqueness: "none"}}}
	name := attr{Name: "name", Type: "complex", Mutability: "readWrite", Returned: "default", Uniqueness: "none",
		SubAttributes: []attr{str1("formatted", ""), str1("givenName", ""), str1("familyName", "")}}
	groups := attr{Name: "groups", Type: "complex", MultiValued: true, Mutability: "readOnly", Returned: "default", Uniqueness: "none",
		Description: "The portal roles the person holds", SubAttributes: []attr{str1("value", ""), str1("display", "")}}
	members := attr{Name: "members", Type: "complex", MultiValued: true, Mutability: "readWrite", Returned: "default", Uniqueness: "none",
		Description: "The users who hold the role", SubAttributes: []attr{str1("value", "A user's id"), str1("display", "")}}
	displayName := str1("displayName", "The role's name")
	displayName.Required = true
	return []map[string]any{
		{"schemas": []string{SchemaSchema}, "id": SchemaUser, "name": "User", "description": "A person with access to the portal",
			"attributes": []attr{userName, externalID, name, str1("displayName", ""), str1("title", "Job title"), emails, active, groups},
			"meta":       Meta{ResourceType: "Schema", Location: base + "/Schemas/" + SchemaUser}},
		{"schemas": []string{SchemaSchema}, "id": SchemaEnterprise, "name": "EnterpriseUser", "description": "Enterprise user",
			"attributes": []attr{str1("department", "Places the person in the organisation of that name, when the directory is set up to")},
			"meta":       Meta{ResourceType: "Schema", Location: base + "/Schemas/" + SchemaEnterprise}},
		{"schemas": []string{SchemaSchema}, "id": SchemaGroup, "name": "Group", "description": "A portal role",
			"attributes": []attr{displayName, members},
			"meta":       Meta{ResourceType: "Schema", Location: base + "/Schemas/" + SchemaGroup}},
	}
}
