package scim

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Filters (RFC 7644 3.4.2.2) are parsed by github.com/scim2/filter-parser and evaluated
// here against a resource's Doc.

// subOfValuePath is the form emails[type eq "work"].value eq "x", which directories send
// and the RFC's grammar has no rule for: it means emails[type eq "work" and value eq "x"].
var subOfValuePath = regexp.MustCompile(`^\s*([A-Za-z][\w:.-]*)\[([^\]]*)\]\.([A-Za-z]\w*)\s+([A-Za-z]{2})\s+(.+?)\s*$`)

// ParseFilter parses a filter; an error is a SCIM invalidFilter.
func ParseFilter(raw string) (filter.Expression, error) {
	s := raw
	if m := subOfValuePath.FindStringSubmatch(raw); m != nil {
		op := strings.ToLower(m[4])
		inner := m[2]
		if strings.Contains(strings.ToLower(inner), " or ") {
			inner = "(" + inner + ")"
		}
		s = m[1] + "[" + inner + " and " + m[3] + " " + op + " " + m[5] + "]"
	}
	e, err := filter.ParseFilter([]byte(s))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "invalidFilter", "The filter %q is not a SCIM filter: %v.", raw, err)
	}
	return e, nil
}

// Lookup is what a filter says for sure about the resources it selects, so that they can
// be found by index: an equality on userName, externalId or an e-mail address that every
// match must meet. The zero Lookup says nothing.
type Lookup struct {
	UserName, ExternalID, Email string
}

// LookupOf finds an equality that every resource the filter selects must meet.
func LookupOf(e filter.Expression) Lookup {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		v, ok := x.CompareValue.(string)
		if x.Operator != filter.EQ || !ok || x.AttributePath.URI() != "" && !strings.EqualFold(x.AttributePath.URI(), SchemaUser) {
			return Lookup{}
		}
		v = compareValue(v).(string)
		switch name, sub := strings.ToLower(x.AttributePath.AttributeName), strings.ToLower(x.AttributePath.SubAttributeName()); {
		case name == "username" && sub == "":
			return Lookup{UserName: v}
		case name == "externalid" && sub == "":
			return Lookup{ExternalID: v}
		case name == "emails" && (sub == "value" || sub == ""):
			return Lookup{Email: v}
		}
	case *filter.ValuePath:
		if !strings.EqualFold(x.AttributePath.AttributeName, "emails") {
			return Lookup{}
		}
		for _, e := range conjuncts(x.ValueFilter) {
			if a, ok := e.(*filter.AttributeExpression); ok && a.Operator == filter.EQ && strings.EqualFold(a.AttributePath.AttributeName, "value") {
				if v, ok := a.CompareValue.(string); ok {
					return Lookup{Email: compareValue(v).(string)}
				}
			}
		}
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			if l := LookupOf(x.Left); l != (Lookup{}) {
				return l
			}
			return LookupOf(x.Right)
		}
	}
	return Lookup{}
}

func conjuncts(e filter.Expression) []filter.Expression {
	if l, ok := e.(*filter.LogicalExpression); ok && l.Operator == filter.AND {
		return append(conjuncts(l.Left), conjuncts(l.Right)...)
	}
	return []filter.Expression{e}
}

// compareValue unescapes a string the parser left escaped ("A \"q\"").
func compareValue(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\`) {
		return v
	}
	if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
		return u
	}
	return s
}

// caseExact names the attributes compared case-sensitively (RFC 7643: ids).
var caseExact = map[string]bool{"id": true, "externalid": true}

// Match reports whether a Doc (lower-case keys) meets the filter.
func Match(d Doc, e filter.Expression) (bool, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := Match(d, x.Left)
		if err != nil {
			return false, err
		}
		if x.Operator == filter.AND && !l {
			return false, nil
		}
		if x.Operator == filter.OR && l {
			return true, nil
		}
		return Match(d, x.Right)
	case *filter.NotExpression:
		ok, err := Match(d, x.Expression)
		return !ok, err
	case *filter.ValuePath:
		list, _ := container(d, x.AttributePath)[strings.ToLower(x.AttributePath.AttributeName)].([]any)
		for _, el := range list {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			if ok, err := Match(m, x.ValueFilter); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case *filter.AttributeExpression:
		return matchAttr(d, x)
	}
	return false, Errorf(http.StatusBadRequest, "invalidFilter", "This filter is not supported.")
}

func container(d Doc, p filter.AttributePath) Doc {
	if uri := strings.ToLower(p.URI()); uri != "" && uri != strings.ToLower(SchemaUser) && uri != strings.ToLower(SchemaGroup) {
		m, _ := d[uri].(map[string]any)
		return m
	}
	return d
}

func matchAttr(d Doc, x *filter.AttributeExpression) (bool, error) {
	name := strings.ToLower(x.AttributePath.AttributeName)
	sub := strings.ToLower(x.AttributePath.SubAttributeName())
	v := container(d, x.AttributePath)[name]
	// The values the expression is about: a multi-valued attribute matches when any of its
	// elements does (emails.value, or emails for their "value").
	var vals []any
	switch y := v.(type) {
	case []any:
		for _, el := range y {
			if m, ok := el.(map[string]any); ok {
				key := sub
				if key == "" {
					key = "value"
				}
				vals = append(vals, m[key])
			} else {
				vals = append(vals, el)
			}
		}
	case map[string]any:
		vals = []any{y[sub]}
	default:
		if sub != "" {
			vals = []any{nil}
		} else {
			vals = []any{v}
		}
	}
	exact := caseExact[name] || (name == "members" && (sub == "" || sub == "value"))
	for _, val := range vals {
		if ok, err := compare(val, x.Operator, compareValue(x.CompareValue), exact); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func compare(have any, op filter.CompareOperator, want any, exact bool) (bool, error) {
	if op == filter.PR {
		switch h := have.(type) {
		case nil:
			return false, nil
		case string:
			return h != "", nil
		case []any:
			return len(h) > 0, nil
		}
		return true, nil
	}
	if wb, ok := want.(bool); ok {
		hb, err := Bool("", have)
		if err != nil {
			return false, nil
		}
		switch op {
		case filter.EQ:
			return hb == wb, nil
		case filter.NE:
			return hb != wb, nil
		}
		return false, Errorf(http.StatusBadRequest, "invalidFilter", "A true or false attribute can only be compared with eq or ne.")
	}
	h, w := str(have), str(want)
	if have == nil {
		return op == filter.NE, nil
	}
	if !exact {
		h, w = strings.ToLower(h), strings.ToLower(w)
	}
	switch op {
	case filter.EQ:
		return h == w, nil
	case filter.NE:
		return h != w, nil
	case filter.CO:
		return strings.Contains(h, w), nil
	case filter.SW:
		return strings.HasPrefix(h, w), nil
	case filter.EW:
		return strings.HasSuffix(h, w), nil
	case filter.GT:
		return h > w, nil
	case filter.GE:
		return h >= w, nil
	case filter.LT:
		return h < w, nil
	case filter.LE:
		return h <= w, nil
	}
	return false, Errorf(http.StatusBadRequest, "invalidFilter", "The operator %q is not a SCIM operator.", op)
}
