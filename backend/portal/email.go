package portal

import (
	"fmt"
	"net/mail"
	"strings"

	"golang.org/x/net/idna"
)

// ParseEmail checks that s is one plain e-mail address with a real-looking domain and
// returns it trimmed, with the domain in lower case. net/mail alone accepts display names,
// "a@localhost" and address literals, none of which can be invited.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", FieldErrorf("email", "An e-mail address is required.")
	}
	if strings.ContainsAny(s, ",;") {
		return "", FieldErrorf("email", "%q holds more than one address; give one address only.", s)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", FieldErrorf("email", "%q is not a plain e-mail address like name@example.org.", s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if err := checkDomain(domain); err != nil {
		return "", FieldErrorf("email", "The domain of %q is not valid: %s", s, err.Error())
	}
	return local + "@" + strings.ToLower(domain), nil
}

var domainProfile = idna.New(idna.ValidateForRegistration(), idna.MapForLookup(), idna.StrictDomainName(true), idna.BidiRule())

func checkDomain(domain string) error {
	if strings.HasPrefix(domain, "[") {
		return Errorf(EINVALID, "address literals cannot receive invitations.")
	}
	ascii, err := domainProfile.ToASCII(domain)
	if err != nil {
		return Errorf(EINVALID, "it is not a valid internet domain name.")
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return Errorf(EINVALID, "it has no top-level domain such as .org.")
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return Errorf(EINVALID, "a part of it is empty or starts or ends with a hyphen.")
		}
	}
	if tld := labels[len(labels)-1]; len(tld) < 2 || strings.Trim(tld, "0123456789") == "" {
		return Errorf(EINVALID, "its top-level domain %q is not real.", tld)
	}
	return nil
}

// NormalizeEmail is the comparison form of an address: trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NameFromEmail makes a display name from an address the way portals name contacts created
// from an e-mail alone: the part before the @.
func NameFromEmail(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[:at]
	}
	return email
}

// CheckEmailList checks a list of addresses to add at once (Creatio's "add users by
// e-mail"): one to 1,000 plain addresses, none twice. It returns them normalised; an error
// names the position at fault as emails[i].
func CheckEmailList(emails []string) ([]string, error) {
	if len(emails) == 0 {
		return nil, FieldErrorf("emails", "Give at least one e-mail address.")
	}
	if len(emails) > 1000 {
		return nil, FieldErrorf("emails", "Add at most 1,000 addresses at a time; split the list into batches.")
	}
	out, errs := CheckEmails(emails)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckEmails checks each address of a list as CheckEmailList does, and says for each
// what is wrong with it (nil: nothing), so a screen can mark every address as typed.
func CheckEmails(emails []string) ([]string, []error) {
	out := make([]string, len(emails))
	errs := make([]error, len(emails))
	seen := map[string]int{}
	for i, s := range emails {
		addr, err := ParseEmail(s)
		if err != nil {
			errs[i] = &Error{Code: EINVALID, Field: fmt.Sprintf("emails[%d]", i), Message: ErrorMessage(err)}
			continue
		}
		if j, dup := seen[NormalizeEmail(addr)]; dup {
			errs[i] = FieldErrorf(fmt.Sprintf("emails[%d]", i), "%s is in the list twice (also at position %d); give each address once.", addr, j+1)
			continue
		}
		seen[NormalizeEmail(addr)] = i
		out[i] = addr
	}
	return out, errs
}

// SameEmail reports whether two addresses name the same mailbox for Gatehouse's purposes:
// equal ignoring case, with the domain compared in its ASCII (IDNA) form.
func SameEmail(a, b string) bool {
	return emailKey(a) == emailKey(b) && emailKey(a) != ""
}

func emailKey(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return ""
	}
	domain, err := domainProfile.ToASCII(s[at+1:])
	if err != nil {
		domain = s[at+1:]
	}
	return strings.ToLower(s[:at]) + "@" + strings.ToLower(domain)
}
