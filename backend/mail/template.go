// Package mail holds Gatehouse's message templates (the @placeholder@ syntax of the
// ClientTrack approval messages) and their delivery over SMTP with go-smtp.
//
// Templates are plain text. Render substitutes placeholders; RenderHTML and RenderText
// also understand the one piece of markup the page templates use, a link written
// [label](target), and build it from the template's own structure so that a value can
// never turn into markup.
package mail

import "net/mail"

// Template keys. The server stores one template per key; Defaults gives the texts it
// starts with.
const (
	KeyNotAuthorised     = "not_authorised"      // page: a pending account tries to sign in
	KeyAccessRequestSent = "access_request_sent" // page: after "Request access"
	KeyAccessRequest     = "access_request"      // e-mail to the approvers
	KeyDenyConfirm       = "deny_confirm"        // page: the approver's "deny" link
	KeyApproved          = "approved"            // e-mail to the person approved
	KeyDenied            = "denied"              // page (and e-mail): a denied account
	KeyInvitation        = "invitation"          // e-mail with the one-time link
	KeyPreNotification   = "pre_notification"    // e-mail: "your invitation is coming"
	KeyReminder          = "reminder"            // e-mail to those who never activated
)

// Placeholder names the defaults use. The server fills them; the templates screen lists
// them. Names are case-sensitive.
const (
	VarProductName       = "system.ProductName" // the portal's name as people know it
	VarUserName          = "UserName"           // the person's display name
	VarEmail             = "Email"              // the person's e-mail address
	VarDomain            = "domain"             // account source: SSO domain or issuer
	VarOrganizationName  = "OrganizationName"   // the person's organisation
	VarRequestAccessURL  = "RequestAccessUrl"   // link behind "Request access"
	VarSignInURL         = "SignInUrl"          // the portal's sign-in page
	VarApproveURL        = "ApproveUrl"         // approver's link to approve a request
	VarDenyURL           = "DenyUrl"            // approver's link to deny a request
	VarApproveInsteadURL = "ApproveInsteadUrl"  // "approve instead" on the deny page
	VarConfirmDenyURL    = "ConfirmDenyUrl"     // "yes, deny" on the deny page
	VarInvitationURL     = "InvitationUrl"      // the one-time invitation link
	VarExpiresAt         = "ExpiresAt"          // when the invitation link stops working
	VarInvitedBy         = "InvitedBy"          // who sent the invitation
	VarDenyReason        = "DenyReason"         // the approver's reason for a denial
)

// Template is one configurable message. For e-mails Subject is the subject line; for
// pages it is the heading. Placeholders lists the names the server fills for this
// message: the templates screen offers them and Validate rejects any other name.
type Template struct {
	Key          string   `json:"key"`
	Name         string   `json:"name"`
	Subject      string   `json:"subject"`
	Body         string   `json:"body"`
	Placeholders []string `json:"placeholders"`
}

// Defaults returns the built-in templates, in the order the templates screen shows them.
// Texts from the seed articles are kept word for word (with "Gatehouse" as the default
// product name where ClientTrack named itself); each call returns fresh copies.
func Defaults() []Template {
	return []Template{
		{
			Key:     KeyNotAuthorised,
			Name:    "Not authorised (sign-in page)",
			Subject: "Access not authorised",
			Body: "Your account is not authorized to access @system.ProductName@.\n" +
				"\n" +
				"[Request Access](@RequestAccessUrl@)\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarDomain, VarRequestAccessURL},
		},
		{
			Key:     KeyAccessRequestSent,
			Name:    "Access request sent (page)",
			Subject: "Message Sent",
			Body: "Your request for access has been emailed to the system administrator.\n" +
				"\n" +
				"[Go back to the sign in page](@SignInUrl@)\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarSignInURL},
		},
		{
			Key:     KeyAccessRequest,
			Name:    "Access request (e-mail to approvers)",
			Subject: "@UserName@ is requesting access to @system.ProductName@",
			Body: "@UserName@ is requesting access to @system.ProductName@.\n" +
				"\n" +
				"Account Source: @domain@\n" +
				"\n" +
				"Approve this request:\n" +
				"@ApproveUrl@\n" +
				"\n" +
				"Deny this request:\n" +
				"@DenyUrl@\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarDomain, VarApproveURL, VarDenyURL},
		},
		{
			Key:     KeyDenyConfirm,
			Name:    "Deny the request (approver's page)",
			Subject: "Deny the User Access Request",
			// The seed writes the default with doubled quotes; both spellings work.
			Body: "Are you sure you want to deny access to @UserName|\"this user\"@?\n" +
				"\n" +
				"Account Source: @domain@\n" +
				"\n" +
				"[Yes, @UserName|\"\"this user\"\"@ is not a valid user](@ConfirmDenyUrl@)\n" +
				"\n" +
				"[Approve @UserName|\"\"this user\"\"@ instead](@ApproveInsteadUrl@)\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarDomain, VarConfirmDenyURL, VarApproveInsteadURL},
		},
		{
			Key:     KeyApproved,
			Name:    "Account approved (e-mail to the person)",
			Subject: "Your @system.ProductName|\"Gatehouse\"@ account has been approved.",
			Body: "You may now sign into @system.ProductName|\"Gatehouse\"@:\n" +
				"@SignInUrl@\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarSignInURL},
		},
		{
			Key:     KeyDenied,
			Name:    "Account denied (sign-in page and e-mail)",
			Subject: "Your @system.ProductName|\"Gatehouse\"@ account is not authorized",
			Body:    "Your account is not authorized to access this system.\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarDomain, VarDenyReason,
				VarSignInURL},
		},
		{
			Key:     KeyInvitation,
			Name:    "Invitation (e-mail with the one-time link)",
			Subject: "Your invitation to @system.ProductName|\"Gatehouse\"@",
			Body: "Hello @UserName|\"there\"@,\n" +
				"\n" +
				"@InvitedBy|\"Your administrator\"@ has invited you to @system.ProductName|\"Gatehouse\"@ " +
				"for @OrganizationName|\"your organisation\"@.\n" +
				"\n" +
				"Open this one-time link to access the portal for the first time and set up your password:\n" +
				"@InvitationUrl@\n" +
				"\n" +
				"The link works once and expires on @ExpiresAt@. If it has expired, ask your administrator " +
				"to send a new invitation.\n" +
				"\n" +
				"This invitation was sent to @Email@. If you did not expect it, you can ignore this message.\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarOrganizationName, VarInvitationURL,
				VarExpiresAt, VarInvitedBy},
		},
		{
			Key:     KeyPreNotification,
			Name:    "Pre-notification (your invitation is coming)",
			Subject: "Your invitation to @system.ProductName|\"Gatehouse\"@ is coming",
			Body: "Hello @UserName|\"there\"@,\n" +
				"\n" +
				"We are changing the way we deliver our services: @OrganizationName|\"your organisation\"@ " +
				"will soon have access to @system.ProductName|\"Gatehouse\"@.\n" +
				"\n" +
				"In the next few days you will receive an e-mail at @Email@ inviting you to the portal. " +
				"Please look out for it, and check your spam folder if it does not arrive. " +
				"It contains a one-time link that lets you access the portal for the first time and set up your password.\n" +
				"\n" +
				"You do not need to do anything now.\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarOrganizationName},
		},
		{
			Key:     KeyReminder,
			Name:    "Reminder (not yet activated)",
			Subject: "Reminder: activate your access to @system.ProductName|\"Gatehouse\"@",
			Body: "Hello @UserName|\"there\"@,\n" +
				"\n" +
				"You were invited to @system.ProductName|\"Gatehouse\"@ for " +
				"@OrganizationName|\"your organisation\"@ but have not activated your access yet.\n" +
				"\n" +
				"Open this new one-time link to access the portal for the first time and set up your password:\n" +
				"@InvitationUrl@\n" +
				"\n" +
				"The link works once and expires on @ExpiresAt@. Links from earlier invitations no longer work.\n",
			Placeholders: []string{VarProductName, VarUserName, VarEmail, VarOrganizationName, VarInvitationURL,
				VarExpiresAt, VarInvitedBy},
		},
	}
}

// DefaultTemplate returns the built-in template for key.
func DefaultTemplate(key string) (Template, bool) {
	for _, t := range Defaults() {
		if t.Key == key {
			return t, true
		}
	}
	return Template{}, false
}

// SampleValues returns made-up values for every placeholder the defaults use, for
// previews before a real recipient is chosen.
func SampleValues() map[string]string {
	return map[string]string{
		VarProductName:       "Riverside Portal",
		VarUserName:          "Anna Example",
		VarEmail:             "anna@example.org",
		VarDomain:            "example.org",
		VarOrganizationName:  "Riverside Food Pantry",
		VarRequestAccessURL:  "https://portal.example.org/auth/approval-request/c1/u1",
		VarSignInURL:         "https://portal.example.org/signin",
		VarApproveURL:        "https://portal.example.org/approvals/u1/approve",
		VarDenyURL:           "https://portal.example.org/approvals/u1/deny",
		VarApproveInsteadURL: "https://portal.example.org/approvals/u1/approve",
		VarConfirmDenyURL:    "https://portal.example.org/approvals/u1/deny/confirm",
		VarInvitationURL:     "https://portal.example.org/invitations/accept#token",
		VarExpiresAt:         "9 March 2026",
		VarInvitedBy:         "Maria Admin",
		VarDenyReason:        "Not a member of staff",
	}
}

// Compose renders t for one recipient as a plain-text e-mail: the subject with Render,
// the body with RenderText (so a [label](link) in an edited template reads well). From
// and MessageID are left for the caller (SMTPSender fills From from its settings).
func Compose(t Template, to mail.Address, vars map[string]string) Message {
	return Message{To: to, Subject: Render(t.Subject, vars), Text: RenderText(t.Body, vars), HTML: MessageHTML(t.Body, vars)}
}
