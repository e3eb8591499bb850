package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Command names, as stored in the outbox.
const (
	CmdApprove              = "approve"
	CmdDeny                 = "deny"
	CmdApproveInstead       = "approve_instead"
	CmdRestore              = "restore"
	CmdPurge                = "purge"
	CmdPromote              = "promote"
	CmdSetRoles             = "set_roles"
	CmdSetOrgAdmin          = "set_org_admin"
	CmdDeactivate           = "deactivate"
	CmdReactivate           = "reactivate"
	CmdCompleteRegistration = "complete_registration"
	CmdUpdateOrganization   = "update_organization"
	CmdAddUsers             = "add_users"
	CmdInvite               = "invite"
	CmdResend               = "resend_invitation"
	CmdRevoke               = "revoke_invitation"
	CmdPutRole              = "put_role"
	CmdDeleteRole           = "delete_role"
	CmdDeleteClientRecord   = "delete_client_record"
)

// decided is a command's local outcome: what the record will look like, and the version it
// was decided on.
type decided struct {
	preview json.RawMessage
	deletes bool
	base    int64
}

// sent is the server's acknowledgement of a command.
type sent struct {
	response json.RawMessage // kept in the outbox
	version  int64           // the command's record's version afterwards; 0 if it did not change
	records  []record        // to store in the cache with the acknowledgement
}

// kind is one named command: how to decide it locally and how to send it.
type kind struct {
	entity string
	// verb is how the change list says it: "Approve" Ann Smith.
	verb string
	// decide runs the portal transition on cur, the record as the administrator sees it
	// (nil: not in the cache). It may lower op.ActiveSystemAdmins, so a bulk action is
	// checked as a whole.
	decide func(ctx context.Context, e *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error)
	send   func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error)
	// rebase adapts the payload to be applied again on top of theirs; nil keeps it.
	rebase func(payload, theirs json.RawMessage) (json.RawMessage, error)
	// load reads the record as the administrator sees it, nil when there is none yet;
	// nil uses Engine.current.
	load func(ctx context.Context, e *Engine, id string) (json.RawMessage, error)
	// bulk, when set, sends a run of due commands of this kind in one request and answers
	// for each, in order, as send would have; an error is the request's as a whole.
	bulk func(ctx context.Context, cl *client.Client, cmds []cache.QueuedCommand) ([]bulkAnswer, error)
}

var kinds = map[string]kind{
	CmdApprove: accountKind("Approve", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.Approve(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.Approve(ctx, id, cmd)
	}),
	CmdDeny: accountKind("Deny", func(op portal.Op, a portal.Account, p denyPayload) (portal.Account, error) {
		b, _, err := portal.Deny(op, a, p.Reason)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, p denyPayload, cmd *client.Cmd) (portal.Account, error) {
		return cl.Deny(ctx, id, p.Reason, cmd)
	}),
	CmdApproveInstead: accountKind("Approve instead", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.ApproveInstead(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.ApproveInstead(ctx, id, cmd)
	}),
	CmdRestore: accountKind("Restore", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.Restore(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.Restore(ctx, id, cmd)
	}),
	CmdPromote: accountKind("Promote", func(op portal.Op, a portal.Account, p client.PromoteRequest) (portal.Account, error) {
		b, _, err := portal.Promote(op, a, p.CoreRole, p.AdditionalRoles, p.DeleteClientRecord)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, p client.PromoteRequest, cmd *client.Cmd) (portal.Account, error) {
		return cl.Promote(ctx, id, p, cmd)
	}),
	CmdSetRoles: accountKind("Change the roles of", func(op portal.Op, a portal.Account, p client.SetRolesRequest) (portal.Account, error) {
		b, _, err := portal.SetRoles(op, a, p.CoreRole, p.AdditionalRoles)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, p client.SetRolesRequest, cmd *client.Cmd) (portal.Account, error) {
		return cl.SetRoles(ctx, id, p, cmd)
	}),
	CmdSetOrgAdmin: accountKind("Change organisation administration for", func(op portal.Op, a portal.Account, p orgAdminPayload) (portal.Account, error) {
		b, _, err := portal.SetOrgAdmin(op, a, p.Admin)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, p orgAdminPayload, cmd *client.Cmd) (portal.Account, error) {
		return cl.SetOrgAdmin(ctx, id, p.Admin, cmd)
	}),
	CmdDeactivate: accountKind("Deactivate", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.Deactivate(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.Deactivate(ctx, id, cmd)
	}),
	CmdReactivate: accountKind("Reactivate", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.Reactivate(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.Reactivate(ctx, id, cmd)
	}),
	CmdCompleteRegistration: accountKind("Complete the registration of", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.CompleteRegistration(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.CompleteRegistration(ctx, id, cmd)
	}),
	CmdDeleteClientRecord: accountKind("Delete the client record of", func(op portal.Op, a portal.Account, _ struct{}) (portal.Account, error) {
		b, _, err := portal.DeleteClientRecord(op, a)
		return b, err
	}, func(ctx context.Context, cl *client.Client, id string, _ struct{}, cmd *client.Cmd) (portal.Account, error) {
		return cl.DeleteClientRecord(ctx, id, cmd)
	}),
	CmdPurge: {
		entity: cache.EntityAccount,
		verb:   "Purge",
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, _ json.RawMessage) (decided, error) {
			a, err := decode[portal.Account](cur)
			if err != nil {
				return decided{}, err
			}
			if _, err := portal.Purge(*op, a); err != nil {
				return decided{}, err
			}
			return decided{deletes: true, base: a.Version}, nil
		},
		send: func(ctx context.Context, cl *client.Client, id string, _ json.RawMessage, cmd *client.Cmd) (sent, error) {
			if err := cl.Purge(ctx, id, cmd); err != nil {
				return sent{}, err
			}
			return sent{records: []record{{entity: cache.EntityAccount, id: id, deleted: true}}}, nil
		},
	},
	CmdUpdateOrganization: {
		entity: cache.EntityOrganization,
		verb:   "Update the profile of",
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			before, err := decode[portal.Organization](cur)
			if err != nil {
				return decided{}, err
			}
			p, err := decode[orgPayload](payload)
			if err != nil {
				return decided{}, err
			}
			after, _, err := portal.UpdateOrganization(*op, before, p.Profile)
			if err != nil {
				return decided{}, err
			}
			return previewOf(after, before.Version)
		},
		send: func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decode[orgPayload](payload)
			if err != nil {
				return sent{}, local(err)
			}
			o, err := cl.UpdateOrganization(ctx, id, p.Profile, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(o, o.Version, record{entity: cache.EntityOrganization, id: o.ID, version: o.Version, value: o})
		},
		rebase: rebaseOrganization,
	},
	CmdAddUsers: {
		entity: cache.EntityOrganization,
		verb:   "Add people to",
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			o, err := decode[portal.Organization](cur)
			if err != nil {
				return decided{}, err
			}
			p, err := decode[client.AddUsersRequest](payload)
			if err != nil {
				return decided{}, err
			}
			if _, _, err := portal.CheckAddUsers(op.Actor, o.ID, p.Emails, p.ExpiresInDays); err != nil {
				return decided{}, err
			}
			// The server matches addresses to contacts and creates the missing ones, so there
			// is no record to preview and no version to hold it to.
			return decided{}, nil
		},
		send: func(ctx context.Context, cl *client.Client, _ string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decode[client.AddUsersRequest](payload)
			if err != nil {
				return sent{}, local(err)
			}
			res, err := cl.AddUsers(ctx, p, cmd)
			if err != nil {
				return sent{}, err
			}
			var recs []record
			for _, u := range res.Users {
				recs = append(recs, record{entity: cache.EntityContact, id: u.Contact.ID, version: u.Contact.Version, value: u.Contact})
				if u.Invitation != nil {
					recs = append(recs, invitationRecords(*u.Invitation)...)
				}
			}
			return answer(res.WithoutSecrets(), 0, recs...)
		},
	},
	CmdInvite: {
		entity: cache.EntityContact,
		verb:   "Invite",
		decide: decideInvite,
		send: func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decode[client.CreateInvitation](payload)
			if err != nil {
				return sent{}, local(err)
			}
			p.ContactID, p.Send = id, true
			res, err := cl.Invite(ctx, p, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(res.WithoutSecrets(), 0, invitationRecords(res)...)
		},
	},
	CmdResend: {
		entity: cache.EntityInvitation,
		verb:   "Resend the invitation to",
		decide: func(ctx context.Context, e *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			old, err := decode[portal.Invitation](cur)
			if err != nil {
				return decided{}, err
			}
			p, err := decode[client.ResendInvitation](payload)
			if err != nil {
				return decided{}, err
			}
			ttl, err := portal.InvitationTTLDays(p.ExpiresInDays)
			if err != nil {
				return decided{}, err
			}
			a, err := e.db.GetAccount(ctx, old.AccountID)
			if err != nil {
				return decided{}, err
			}
			revoked, _, _, err := portal.Resend(*op, a, old, "", ttl)
			if err != nil {
				return decided{}, err
			}
			return previewOf(revoked, old.Version)
		},
		send: func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decode[client.ResendInvitation](payload)
			if err != nil {
				return sent{}, local(err)
			}
			p.Send = true
			res, err := cl.ResendInvitation(ctx, id, p, cmd)
			if err != nil {
				return sent{}, err
			}
			var version int64
			if res.Revoked != nil && res.Revoked.ID == id {
				version = res.Revoked.Version
			}
			return answer(res.WithoutSecrets(), version, invitationRecords(res)...)
		},
	},
	CmdRevoke: {
		entity: cache.EntityInvitation,
		verb:   "Revoke the invitation to",
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, _ json.RawMessage) (decided, error) {
			inv, err := decode[portal.Invitation](cur)
			if err != nil {
				return decided{}, err
			}
			b, _, err := portal.Revoke(*op, inv)
			if err != nil {
				return decided{}, err
			}
			return previewOf(b, inv.Version)
		},
		send: func(ctx context.Context, cl *client.Client, id string, _ json.RawMessage, cmd *client.Cmd) (sent, error) {
			inv, err := cl.RevokeInvitation(ctx, id, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(inv, inv.Version, record{entity: cache.EntityInvitation, id: inv.ID, version: inv.Version, value: inv})
		},
	},
}

func init() {
	// The role kinds are added here: their load reaches Engine.current, which reads kinds,
	// and a map cannot refer to itself in its own initialiser.
	kinds[CmdPutRole] = kind{entity: cache.EntityRole, verb: "Save the role", load: loadRole, decide: decidePutRole, send: sendPutRole, rebase: rebaseRole}
	kinds[CmdDeleteRole] = kind{entity: cache.EntityRole, verb: "Delete the role", load: loadRole, decide: decideDeleteRole, send: sendDeleteRole}
}

// rolePayload is a role created or changed: the role wanted and, for a change, the one it
// was edited from, so that "apply mine again" carries over only what the administrator
// changed.
type rolePayload struct {
	Role portal.Role  `json:"role"`
	Base *portal.Role `json:"base,omitempty"`
}

// loadRole reads a role from the cache; nil when the cache has none (a role being created).
func loadRole(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
	rs, err := e.db.RoleCatalog(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := rs[id]
	if !ok {
		return nil, nil
	}
	return json.Marshal(r)
}

// decidePutRole runs portal.PutRole on the role as the administrator sees it; the
// organisation it belongs to must be in the local copy.
func decidePutRole(ctx context.Context, e *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
	p, err := decode[rolePayload](payload)
	if err != nil {
		return decided{}, err
	}
	var before *portal.Role
	holders := 0
	if len(cur) > 0 {
		b, err := decode[portal.Role](cur)
		if err != nil {
			return decided{}, err
		}
		before = &b
		if holders, err = e.db.RoleHolders(ctx, b.ID); err != nil {
			return decided{}, err
		}
	}
	r, _, err := portal.PutRole(*op, before, p.Role, holders)
	if err != nil {
		return decided{}, err
	}
	if before == nil && r.OrganizationID != "" {
		if _, err := e.db.GetOrganization(ctx, r.OrganizationID); err != nil {
			return decided{}, err
		}
	}
	return previewOf(r, r.Version)
}

func sendPutRole(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
	p, err := decode[rolePayload](payload)
	if err != nil {
		return sent{}, local(err)
	}
	p.Role.ID = id
	r, err := cl.PutRole(ctx, p.Role, cmd)
	if err != nil {
		return sent{}, err
	}
	return answer(r, r.Version, record{entity: cache.EntityRole, id: r.ID, version: r.Version, value: r})
}

// decideDeleteRole runs portal.DeleteRole on the role as the administrator sees it.
func decideDeleteRole(ctx context.Context, e *Engine, op *portal.Op, cur, _ json.RawMessage) (decided, error) {
	if len(cur) == 0 {
		return decided{}, portal.Errorf(portal.ENOTFOUND, "This role is no longer in the local copy; someone may have deleted it already. Sync, then look again.")
	}
	r, err := decode[portal.Role](cur)
	if err != nil {
		return decided{}, err
	}
	n, err := e.db.RoleHolders(ctx, r.ID)
	if err != nil {
		return decided{}, err
	}
	if _, err := portal.DeleteRole(*op, r, n); err != nil {
		return decided{}, err
	}
	return decided{deletes: true, base: r.Version}, nil
}

func sendDeleteRole(ctx context.Context, cl *client.Client, id string, _ json.RawMessage, cmd *client.Cmd) (sent, error) {
	if err := cl.DeleteRole(ctx, id, cmd); err != nil {
		return sent{}, err
	}
	return sent{records: []record{{entity: cache.EntityRole, id: id, deleted: true}}}, nil
}

// rebaseRole carries the name and permissions the administrator changed (Role against
// Base) over to theirs.
func rebaseRole(payload, theirs json.RawMessage) (json.RawMessage, error) {
	p, err := decode[rolePayload](payload)
	if err != nil {
		return nil, err
	}
	cur, err := decode[portal.Role](theirs)
	if err != nil {
		return nil, err
	}
	merged := cur
	if p.Base == nil || p.Role.Name != p.Base.Name {
		merged.Name = p.Role.Name
	}
	if p.Base == nil || !reflect.DeepEqual(p.Role.Permissions, p.Base.Permissions) {
		merged.Permissions = p.Role.Permissions
	}
	return json.Marshal(rolePayload{Role: merged, Base: &cur})
}

type denyPayload struct {
	Reason string `json:"reason"`
}

type orgAdminPayload struct {
	Admin bool `json:"admin"`
}

// orgPayload is an organisation profile edit: the profile wanted and the one it was edited
// from, so that "apply mine again" can carry over only the fields the administrator changed.
type orgPayload struct {
	Profile portal.Organization `json:"profile"`
	Base    portal.Organization `json:"base"`
}

// accountKind builds a command on one account from its portal transition and its client call.
func accountKind[P any](verb string, apply func(portal.Op, portal.Account, P) (portal.Account, error),
	call func(context.Context, *client.Client, string, P, *client.Cmd) (portal.Account, error)) kind {
	return kind{
		entity: cache.EntityAccount,
		verb:   verb,
		decide: func(_ context.Context, _ *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
			a, err := decode[portal.Account](cur)
			if err != nil {
				return decided{}, err
			}
			p, err := decodePayload[P](payload)
			if err != nil {
				return decided{}, err
			}
			b, err := apply(*op, a, p)
			if err != nil {
				return decided{}, err
			}
			// Later commands of a bulk action see the administrators this one removes.
			if op.Roles.IsActiveSystemAdmin(a) && !op.Roles.IsActiveSystemAdmin(b) {
				op.ActiveSystemAdmins--
			} else if !op.Roles.IsActiveSystemAdmin(a) && op.Roles.IsActiveSystemAdmin(b) {
				op.ActiveSystemAdmins++
			}
			return previewOf(b, a.Version)
		},
		send: func(ctx context.Context, cl *client.Client, id string, payload json.RawMessage, cmd *client.Cmd) (sent, error) {
			p, err := decodePayload[P](payload)
			if err != nil {
				return sent{}, local(err)
			}
			a, err := call(ctx, cl, id, p, cmd)
			if err != nil {
				return sent{}, err
			}
			return answer(a, a.Version, record{entity: cache.EntityAccount, id: a.ID, version: a.Version, value: a})
		},
	}
}

func decodePayload[P any](payload json.RawMessage) (P, error) {
	var p P
	if len(payload) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return p, fmt.Errorf("the queued change carries data Gatehouse cannot read: %w", err)
	}
	return p, nil
}

func previewOf(v any, base int64) (decided, error) {
	b, err := json.Marshal(v)
	return decided{preview: b, base: base}, err
}

func answer(response any, version int64, recs ...record) (sent, error) {
	b, err := json.Marshal(response)
	return sent{response: b, version: version, records: recs}, err
}

func invitationRecords(res client.InvitationResult) []record {
	recs := []record{
		{entity: cache.EntityAccount, id: res.Account.ID, version: res.Account.Version, value: res.Account},
		{entity: cache.EntityInvitation, id: res.Invitation.ID, version: res.Invitation.Version, value: res.Invitation},
	}
	if res.Revoked != nil {
		recs = append(recs, record{entity: cache.EntityInvitation, id: res.Revoked.ID, version: res.Revoked.Version, value: *res.Revoked})
	}
	return recs
}

// decideInvite runs portal.InviteContact on the contact as the administrator sees it.
func decideInvite(ctx context.Context, e *Engine, op *portal.Op, cur, payload json.RawMessage) (decided, error) {
	c, err := decode[portal.Contact](cur)
	if err != nil {
		return decided{}, err
	}
	p, err := decode[client.CreateInvitation](payload)
	if err != nil {
		return decided{}, err
	}
	ttl, err := portal.InvitationTTLDays(p.ExpiresInDays)
	if err != nil {
		return decided{}, err
	}
	acc, err := e.db.AccountOfContact(ctx, c.ID)
	if err != nil {
		return decided{}, err
	}
	var sameEmail []portal.Account
	if acc == nil && c.Email != "" {
		if sameEmail, err = e.db.AccountsByEmail(ctx, c.Email); err != nil {
			return decided{}, err
		}
	}
	if _, _, _, err := portal.InviteContact(*op, c, acc, sameEmail, "", "", ttl, p.Roles); err != nil {
		return decided{}, err
	}
	// The server picks the new account's and invitation's IDs: nothing to preview yet.
	return decided{base: c.Version}, nil
}

// rebaseOrganization carries the fields the administrator changed (Profile against Base)
// over to theirs.
func rebaseOrganization(payload, theirs json.RawMessage) (json.RawMessage, error) {
	p, err := decode[orgPayload](payload)
	if err != nil {
		return nil, err
	}
	cur, err := decode[portal.Organization](theirs)
	if err != nil {
		return nil, err
	}
	merged := mergeChanged(p.Profile, p.Base, cur)
	merged.ID, merged.Version, merged.CreatedAt, merged.UpdatedAt = cur.ID, cur.Version, cur.CreatedAt, cur.UpdatedAt
	return json.Marshal(orgPayload{Profile: merged, Base: cur})
}

// loadRoleOrNotFound is loadRole for Engine.current: a missing role is a not-found error.
func loadRoleOrNotFound(ctx context.Context, e *Engine, id string) (json.RawMessage, error) {
	raw, err := loadRole(ctx, e, id)
	if err == nil && raw == nil {
		err = portal.Errorf(portal.ENOTFOUND, "There is no role %q in the local copy.", id)
	}
	return raw, err
}

// mergeChanged is theirs with every field that mine changed from base set to mine's: "apply
// mine again" carries over what the administrator changed and keeps everything else of
// the newer record.
func mergeChanged[T any](mine, base, theirs T) T {
	merged := theirs
	mv, pv, bv := reflect.ValueOf(&merged).Elem(), reflect.ValueOf(mine), reflect.ValueOf(base)
	for i := range mv.NumField() {
		if !reflect.DeepEqual(pv.Field(i).Interface(), bv.Field(i).Interface()) {
			mv.Field(i).Set(pv.Field(i))
		}
	}
	return merged
}
