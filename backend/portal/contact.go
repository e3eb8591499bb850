package portal

import "strings"

// NewOrganization checks a new organisation and stamps it: only a system administrator
// adds organisations. The ID is kept when given (a desktop that works offline chooses it,
// so later changes can refer to the organisation before the server has it).
func NewOrganization(op Op, o Organization) (Organization, error) {
	if !op.Actor.SystemAdmin {
		return Organization{}, Errorf(EFORBIDDEN, "Only a system administrator can add organisations.")
	}
	o.Name = strings.TrimSpace(o.Name)
	if err := ValidateOrganization(o); err != nil {
		return Organization{}, err
	}
	if o.ID != "" {
		if err := CheckRecordID("org", o.ID); err != nil {
			return Organization{}, err
		}
	}
	o.CreatedAt, o.UpdatedAt, o.Version = op.Now, op.Now, 0
	return o, nil
}

// NewContact checks a new contact and stamps it: it belongs to an organisation the actor
// administers (or to none, for a system administrator), and has a name or an address.
func NewContact(op Op, c Contact) (Contact, error) {
	if err := op.Actor.CanAdminister(c.OrganizationID); err != nil {
		return Contact{}, err
	}
	if err := NormaliseContact(&c); err != nil {
		return Contact{}, err
	}
	if c.ID != "" {
		if err := CheckRecordID("con", c.ID); err != nil {
			return Contact{}, err
		}
	}
	c.CreatedAt, c.UpdatedAt, c.Version = op.Now, op.Now, 0
	return c, nil
}

// ChangeContact replaces the contact before with c: the actor manages people and
// administers both the organisation it was in and the one it moves to.
func ChangeContact(op Op, before, c Contact) (Contact, error) {
	if err := op.Actor.CanManagePeople(); err != nil {
		return Contact{}, err
	}
	if err := op.Actor.CanAdminister(before.OrganizationID); err != nil {
		return Contact{}, err
	}
	if err := op.Actor.CanAdminister(c.OrganizationID); err != nil {
		return Contact{}, err
	}
	if err := NormaliseContact(&c); err != nil {
		return Contact{}, err
	}
	c.ID, c.CreatedAt, c.UpdatedAt, c.Version = before.ID, before.CreatedAt, op.Now, before.Version
	return c, nil
}

// NormaliseContact trims a contact's names, checks its address, and gives it a full name
// from its parts or its address.
func NormaliseContact(c *Contact) error {
	c.FullName = strings.TrimSpace(c.FullName)
	c.FirstName, c.LastName = strings.TrimSpace(c.FirstName), strings.TrimSpace(c.LastName)
	if c.Email != "" {
		email, err := ParseEmail(c.Email)
		if err != nil {
			return err
		}
		c.Email = email
	}
	if c.FullName == "" {
		c.FullName = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if c.FullName == "" && c.Email != "" {
		c.FullName = NameFromEmail(c.Email)
	}
	if c.FullName == "" {
		return FieldErrorf("fullName", "Give the contact a name or an e-mail address.")
	}
	return nil
}
