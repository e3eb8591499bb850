package scim

import (
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Op is one PATCH operation (RFC 7644 3.5.2).
type Op struct {
	Op    string // add, replace or remove, in lower case
	Path  string
	Value any
}

// ParsePatch reads a PatchOp request. Operation names are taken in any case ("Replace",
// as Entra sends them).
func ParsePatch(body []byte) ([]Op, error) {
	d, err := ParseDoc(body)
	if err != nil {
		return nil, err
	}
	list, ok := d["operations"].([]any)
	if !ok || len(list) == 0 {
		return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "A PATCH request needs \"Operations\": a list of {\"op\", \"path\", \"value\"}.")
	}
	ops := make([]Op, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "Operation %d is not an object.", i+1)
		}
		op := Op{Op: strings.ToLower(strings.TrimSpace(str(m["op"]))), Path: strings.TrimSpace(str(m["path"])), Value: m["value"]}
		switch op.Op {
		case "add", "replace":
			if op.Value == nil {
				return nil, Errorf(http.StatusBadRequest, "invalidValue", "Operation %d (%s) has no \"value\".", i+1, op.Op)
			}
		case "remove":
			if op.Path == "" {
				return nil, Errorf(http.StatusBadRequest, "noTarget", "Operation %d (remove) has no \"path\": say what to remove.", i+1)
			}
		default:
			return nil, Errorf(http.StatusBadRequest, "invalidSyntax", "Operation %d has op %q; use add, replace or remove.", i+1, str(m["op"]))
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// multiValued names the multi-valued attributes of the User and Group schemas.
var multiValued = map[string]bool{
	"emails": true, "members": true, "groups": true, "phonenumbers": true, "addresses": true, "ims": true,
	"photos": true, "entitlements": true, "roles": true, "x509certificates": true,
}

// readOnly names attributes a directory cannot write.
var readOnly = map[string]bool{"id": true, "meta": true, "groups": true, "schemas": true}

// Apply applies ops to d in order. An operation that cannot apply refuses the whole
// request, and d is then not to be used.
func Apply(d Doc, ops []Op) error {
	for i, op := range ops {
		if op.Path == "" {
			// No path: the value is an object of attributes, each written as if it were
			// the path (Entra writes "name.givenName" and "urn:…:User:department" keys).
			m, ok := Lower(op.Value).(map[string]any)
			if !ok {
				return Errorf(http.StatusBadRequest, "invalidValue", "Operation %d (%s) has no \"path\", so its value must be an object of attributes.", i+1, op.Op)
			}
			for k, v := range m {
				if k == "schemas" {
					continue
				}
				if err := applyPath(d, op.Op, k, v); err != nil {
					return err
				}
			}
			continue
		}
		if err := applyPath(d, op.Op, op.Path, Lower(op.Value)); err != nil {
			return err
		}
	}
	return nil
}

func applyPath(d Doc, op, raw string, v any) error {
	p, err := parsePath(raw)
	if err != nil {
		return err
	}
	parent, inExt := d, false
	if uri := strings.ToLower(p.AttributePath.URI()); uri != "" && uri != strings.ToLower(SchemaUser) && uri != strings.ToLower(SchemaGroup) {
		ext, _ := d[uri].(map[string]any)
		if ext == nil {
			if op == "remove" {
				return nil
			}
			ext = map[string]any{}
			d[uri] = ext
		}
		parent, inExt = ext, true
	}
	attr := strings.ToLower(p.AttributePath.AttributeName)
	sub := strings.ToLower(p.AttributePath.SubAttributeName())
	if sub == "" {
		sub = strings.ToLower(p.SubAttributeName())
	}
	if readOnly[attr] && !inExt {
		if attr == "schemas" || attr == "id" || attr == "meta" {
			return nil // a directory echoing read-only attributes back changes nothing
		}
		return Errorf(http.StatusBadRequest, "mutability", "%q is read-only: a user's groups change through the group's members.", raw)
	}
	if p.ValueExpression != nil {
		return applyFiltered(parent, op, attr, p.ValueExpression, sub, v, raw)
	}
	if sub != "" {
		obj, _ := parent[attr].(map[string]any)
		if obj == nil {
			if op == "remove" {
				return nil
			}
			obj = map[string]any{}
			parent[attr] = obj
		}
		return setOrRemove(obj, op, sub, v)
	}
	if multiValued[attr] {
		return applyMulti(parent, op, attr, v)
	}
	return setOrRemove(parent, op, attr, v)
}

func setOrRemove(m map[string]any, op, key string, v any) error {
	if op == "remove" {
		delete(m, key)
		return nil
	}
	// A complex attribute given whole is merged by add, replaced by replace.
	if nv, ok := v.(map[string]any); ok && op == "add" {
		if cur, ok := m[key].(map[string]any); ok {
			for k, e := range nv {
				cur[k] = e
			}
			return nil
		}
	}
	m[key] = v
	return nil
}

// applyMulti adds to, replaces or removes a multi-valued attribute: add appends the
// values not there yet, replace sets the list, remove takes away the values given (Entra
// removes members so) or, with none, all.
func applyMulti(m map[string]any, op, attr string, v any) error {
	cur, _ := m[attr].([]any)
	var vals []any
	switch x := v.(type) {
	case nil:
	case []any:
		vals = x
	default:
		vals = []any{x}
	}
	switch op {
	case "replace":
		m[attr] = vals
	case "add":
		for _, e := range vals {
			if !containsValue(cur, e) {
				cur = append(cur, e)
			}
		}
		m[attr] = cur
	case "remove":
		if len(vals) == 0 {
			delete(m, attr)
			return nil
		}
		kept := cur[:0:0]
		for _, e := range cur {
			if !containsValue(vals, e) {
				kept = append(kept, e)
			}
		}
		m[attr] = kept
	}
	return nil
}

func containsValue(list []any, e any) bool {
	key := valueKey(e)
	for _, x := range list {
		if valueKey(x) == key {
			return true
		}
	}
	return false
}

// valueKey identifies an element of a multi-valued attribute by its "value".
func valueKey(e any) string {
	if m, ok := e.(map[string]any); ok {
		return strings.ToLower(str(m["value"]))
	}
	return strings.ToLower(str(e))
}

// applyFiltered applies an operation to the elements of a multi-valued attribute that
// match a filter: emails[type eq "work"].value, members[value eq "…"]. Replace or add with
// no element matching adds one made of the filter's equalities (so emails[type eq
// "work"].value = x gives a work address).
func applyFiltered(m map[string]any, op, attr string, f filter.Expression, sub string, v any, raw string) error {
	cur, _ := m[attr].([]any)
	matched := false
	var kept []any
	for _, e := range cur {
		em, _ := e.(map[string]any)
		ok, err := Match(em, f)
		if err != nil {
			return err
		}
		if !ok {
			kept = append(kept, e)
			continue
		}
		matched = true
		switch {
		case op == "remove" && sub == "":
			continue
		case op == "remove":
			delete(em, sub)
		case sub == "":
			if nv, ok := v.(map[string]any); ok {
				for k, x := range nv {
					em[k] = x
				}
			}
		default:
			em[sub] = v
		}
		kept = append(kept, em)
	}
	if !matched && op != "remove" {
		em := equalities(f)
		if em == nil {
			return Errorf(http.StatusBadRequest, "noTarget", "No element of %q matches %q, and the filter does not say how to make one.", attr, raw)
		}
		if sub == "" {
			nv, ok := v.(map[string]any)
			if !ok {
				return Errorf(http.StatusBadRequest, "invalidValue", "The value for %q must be an object.", raw)
			}
			for k, x := range nv {
				em[k] = x
			}
		} else {
			em[sub] = v
		}
		kept = append(kept, em)
	}
	m[attr] = kept
	return nil
}

// equalities turns a filter made of "a eq v" joined by "and" into the element it
// describes; nil for any other filter.
func equalities(f filter.Expression) map[string]any {
	switch x := f.(type) {
	case *filter.AttributeExpression:
		if x.Operator != filter.EQ || x.AttributePath.SubAttribute != nil {
			return nil
		}
		return map[string]any{strings.ToLower(x.AttributePath.AttributeName): compareValue(x.CompareValue)}
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return nil
		}
		l, r := equalities(x.Left), equalities(x.Right)
		if l == nil || r == nil {
			return nil
		}
		for k, v := range r {
			l[k] = v
		}
		return l
	}
	return nil
}

func parsePath(raw string) (filter.Path, error) {
	p, err := filter.ParsePath([]byte(raw))
	if err != nil {
		return p, Errorf(http.StatusBadRequest, "invalidPath", "The path %q is not a SCIM attribute path: %v.", raw, err)
	}
	return p, nil
}
