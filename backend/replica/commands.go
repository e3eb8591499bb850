package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/backend/cache"
	"gatehouse/backend/client"
	"gatehouse/backend/portal"
)

// Commands are the administrator's actions. Each one is checked at once against the
// record as the administrator sees it, with the same portal transition the server runs,
// so an impossible action is refused immediately with the portal's message, offline too.
// An accepted action is written to the outbox (synced to disk) with its idempotency key
// and the record's version, shown at once as pending, and sent by the engine.
type Commands struct {
	e *Engine
}

// Queued is an action written to the outbox.
type Queued struct {
	// ID identifies the outbox entry (Engine.Discard undoes it while it is not sent).
	ID             int64  `json:"id"`
	IdempotencyKey string `json:"idempotencyKey"`
	Command        string `json:"command"`
	EntityType     string `json:"entityType"`
	EntityID       string `json:"entityId"`
}

// Refusal is a record of a bulk action that was not queued, and why.
type Refusal struct {
	EntityID string `json:"entityId"`
	// Key is the refused change's idempotency key, when the caller chose one.
	Key     string `json:"key,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BulkResult is the outcome of an action on a selection: one outbox entry per accepted
// record, and the records refused with their reasons.
type BulkResult struct {
	Queued  []Queued  `json:"queued"`
	Refused []Refusal `json:"refused"`
}

// InviteOptions shape an invitation. The server e-mails the one-time link; it never
// reaches the desktop.
type InviteOptions struct {
	Roles         []string `json:"roles"`
	ExpiresInDays int      `json:"expiresInDays"` // 0: 7 days; 30 at most
	BatchID       string   `json:"batchId"`
}

// AddUsersOptions say what to do with people added by e-mail address.
type AddUsersOptions struct {
	Invite        bool     `json:"invite"`
	Roles         []string `json:"roles"`
	ExpiresInDays int      `json:"expiresInDays"`
}

type item struct {
	name    string
	id      string
	payload any
	// key is the idempotency key chosen by the caller; empty for a new random one.
	key string
}

// ---- accounts ----

// Approve lets a pending person in.
func (c *Commands) Approve(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdApprove, id: accountID, payload: nil})
}

// Deny refuses a pending person, with a reason kept in the audit log.
func (c *Commands) Deny(ctx context.Context, accountID, reason string) (Queued, error) {
	return c.one(ctx, item{name: CmdDeny, id: accountID, payload: denyPayload{Reason: reason}})
}

// ApproveInstead lets in a person who was denied.
func (c *Commands) ApproveInstead(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdApproveInstead, id: accountID, payload: nil})
}

// Restore takes a denied account out of the recycle bin as an active account.
func (c *Commands) Restore(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdRestore, id: accountID, payload: nil})
}

// Purge removes a denied account for good (system administrators only).
func (c *Commands) Purge(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdPurge, id: accountID, payload: nil})
}

// Promote turns an active client into a staff user with one core role and any additional
// roles, deleting the leftover client record if asked.
func (c *Commands) Promote(ctx context.Context, accountID, core string, additional []string, deleteClientRecord bool) (Queued, error) {
	return c.one(ctx, item{name: CmdPromote, id: accountID, payload: client.PromoteRequest{CoreRole: core, AdditionalRoles: nonNil(additional), DeleteClientRecord: deleteClientRecord}})
}

// SetRoles replaces an account's core and additional roles.
func (c *Commands) SetRoles(ctx context.Context, accountID, core string, additional []string) (Queued, error) {
	return c.one(ctx, item{name: CmdSetRoles, id: accountID, payload: client.SetRolesRequest{CoreRole: core, AdditionalRoles: nonNil(additional)}})
}

// SetOrgAdmin makes an account an administrator of its organisation, or takes it away.
func (c *Commands) SetOrgAdmin(ctx context.Context, accountID string, admin bool) (Queued, error) {
	return c.one(ctx, item{name: CmdSetOrgAdmin, id: accountID, payload: orgAdminPayload{Admin: admin}})
}

// Deactivate suspends an active account.
func (c *Commands) Deactivate(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdDeactivate, id: accountID, payload: nil})
}

// Reactivate lets a deactivated account sign in again.
func (c *Commands) Reactivate(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdReactivate, id: accountID, payload: nil})
}

// DeleteClientRecord drops the client record a staff user kept at promotion.
func (c *Commands) DeleteClientRecord(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdDeleteClientRecord, id: accountID, payload: nil})
}

// CompleteRegistration marks a ghost account's registration as finished.
func (c *Commands) CompleteRegistration(ctx context.Context, accountID string) (Queued, error) {
	return c.one(ctx, item{name: CmdCompleteRegistration, id: accountID, payload: nil})
}

// ---- organisations ----

// UpdateOrganization replaces an organisation's profile with o (ID must be set).
func (c *Commands) UpdateOrganization(ctx context.Context, o portal.Organization) (Queued, error) {
	// The profile it was edited from is what the administrator sees now; a change queued
	// meanwhile for the same organisation shows in that too.
	base, err := c.e.db.GetOrganization(ctx, o.ID)
	if err != nil {
		return Queued{}, err
	}
	return c.one(ctx, item{name: CmdUpdateOrganization, id: o.ID, payload: orgPayload{Profile: o, Base: base}})
}

// CreateOrganization queues a new organisation. Its ID is made here (the server keeps the
// one it is given), so that people can be added to it before the server has it.
func (c *Commands) CreateOrganization(ctx context.Context, o portal.Organization) (Queued, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return Queued{}, fmt.Errorf("make an ID for the new organisation: %w", err)
	}
	o.ID, o.Version = "org_"+hex.EncodeToString(b), 0
	return c.one(ctx, item{name: CmdCreateOrganization, id: o.ID, payload: o})
}

// AddUsersByEmail adds people to an organisation by e-mail address (existing contacts are
// matched, new ones created) and may invite them.
func (c *Commands) AddUsersByEmail(ctx context.Context, orgID string, emails []string, opts AddUsersOptions) (Queued, error) {
	return c.one(ctx, item{name: CmdAddUsers, id: orgID, payload: client.AddUsersRequest{
		OrganizationID: orgID, Emails: emails, Roles: nonNil(opts.Roles), Invite: opts.Invite,
		ExpiresInDays: opts.ExpiresInDays, Send: true,
	}})
}

// ---- roles ----

// CreateRole queues a new role. Its ID is made here (the server keeps the one it is given),
// so the role shows at once and later changes can refer to it before it is sent.
func (c *Commands) CreateRole(ctx context.Context, r portal.Role) (Queued, error) {
	id, err := newRoleID()
	if err != nil {
		return Queued{}, err
	}
	r.ID, r.Version = id, 0
	return c.one(ctx, item{name: CmdPutRole, id: id, payload: rolePayload{Role: r}})
}

// UpdateRole queues a change to an existing role (renaming it, changing its permissions);
// r.ID names the role. It is checked against, and sent with the version of, the role as
// the administrator sees it now.
func (c *Commands) UpdateRole(ctx context.Context, r portal.Role) (Queued, error) {
	if r.ID == "" {
		return Queued{}, portal.FieldErrorf("id", "Choose the role to change.")
	}
	raw, err := loadRole(ctx, c.e, r.ID)
	if err != nil {
		return Queued{}, err
	}
	if raw == nil {
		return Queued{}, portal.Errorf(portal.ENOTFOUND, "There is no role %q in the local copy; someone may have deleted it. Sync, then look again.", r.ID)
	}
	base, err := decode[portal.Role](raw)
	if err != nil {
		return Queued{}, err
	}
	return c.one(ctx, item{name: CmdPutRole, id: r.ID, payload: rolePayload{Role: r, Base: &base}})
}

// DeleteRole queues the removal of a role nobody holds.
func (c *Commands) DeleteRole(ctx context.Context, id string) (Queued, error) {
	return c.one(ctx, item{name: CmdDeleteRole, id: id, payload: nil})
}

func newRoleID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make an ID for the new role: %w", err)
	}
	return "role_" + hex.EncodeToString(b), nil
}

// ---- invitations ----

// Invite invites the person of a contact; the server e-mails the link.
func (c *Commands) Invite(ctx context.Context, contactID string, opts InviteOptions) (Queued, error) {
	return c.one(ctx, item{name: CmdInvite, id: contactID, payload: client.CreateInvitation{
		ContactID: contactID, Roles: nonNil(opts.Roles), ExpiresInDays: opts.ExpiresInDays, BatchID: opts.BatchID, Send: true,
	}})
}

// Resend replaces an invitation's link with a new one; the old link stops working.
func (c *Commands) Resend(ctx context.Context, invitationID string, expiresInDays int) (Queued, error) {
	return c.one(ctx, item{name: CmdResend, id: invitationID, payload: client.ResendInvitation{ExpiresInDays: expiresInDays, Send: true}})
}

// Revoke kills a pending invitation link.
func (c *Commands) Revoke(ctx context.Context, invitationID string) (Queued, error) {
	return c.one(ctx, item{name: CmdRevoke, id: invitationID, payload: nil})
}

// ---- bulk actions: one outbox entry per record ----

// ApproveMany approves each pending account of the selection.
func (c *Commands) ApproveMany(ctx context.Context, accountIDs []string) (BulkResult, error) {
	return c.many(ctx, CmdApprove, accountIDs, nil)
}

// DenyMany denies each pending account of the selection with the same reason.
func (c *Commands) DenyMany(ctx context.Context, accountIDs []string, reason string) (BulkResult, error) {
	return c.many(ctx, CmdDeny, accountIDs, denyPayload{Reason: reason})
}

// DeactivateMany deactivates each account of the selection.
func (c *Commands) DeactivateMany(ctx context.Context, accountIDs []string) (BulkResult, error) {
	return c.many(ctx, CmdDeactivate, accountIDs, nil)
}

// ReactivateMany reactivates each account of the selection.
func (c *Commands) ReactivateMany(ctx context.Context, accountIDs []string) (BulkResult, error) {
	return c.many(ctx, CmdReactivate, accountIDs, nil)
}

// SetRolesMany gives each account of the selection the same roles.
func (c *Commands) SetRolesMany(ctx context.Context, accountIDs []string, core string, additional []string) (BulkResult, error) {
	return c.many(ctx, CmdSetRoles, accountIDs, client.SetRolesRequest{CoreRole: core, AdditionalRoles: nonNil(additional)})
}

// ResendMany sends each invitation of the selection again.
func (c *Commands) ResendMany(ctx context.Context, invitationIDs []string, expiresInDays int) (BulkResult, error) {
	return c.many(ctx, CmdResend, invitationIDs, client.ResendInvitation{ExpiresInDays: expiresInDays, Send: true})
}

// RevokeMany revokes each invitation of the selection.
func (c *Commands) RevokeMany(ctx context.Context, invitationIDs []string) (BulkResult, error) {
	return c.many(ctx, CmdRevoke, invitationIDs, nil)
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func (c *Commands) one(ctx context.Context, it item) (Queued, error) {
	res, err := c.enqueue(ctx, []item{it}, false)
	if err != nil {
		return Queued{}, err
	}
	return res.Queued[0], nil
}

// enqueue runs enqueueLocked under writeMu and then publishes the new pending count
// (outside the lock: subscribers may call back into the engine).
func (c *Commands) enqueue(ctx context.Context, items []item, partial bool) (BulkResult, error) {
	c.e.writeMu.Lock()
	res, err := c.enqueueLocked(ctx, items, partial)
	c.e.writeMu.Unlock()
	if len(res.Queued) > 0 {
		_ = c.e.refreshStatus(ctx)
	}
	return res, err
}

func (c *Commands) many(ctx context.Context, name string, ids []string, payload any) (BulkResult, error) {
	if len(ids) == 0 {
		return BulkResult{Queued: []Queued{}, Refused: []Refusal{}}, portal.FieldErrorf("ids", "Select at least one record.")
	}
	items := make([]item, len(ids))
	for i, id := range ids {
		items[i] = item{name: name, id: id, payload: payload}
	}
	return c.enqueue(ctx, items, true)
}

// enqueueLocked decides every item on the records as the administrator sees them and
// queues the accepted ones in one durable transaction. With partial, refused items are
// listed; otherwise the first refusal is the error. The caller holds writeMu.
func (c *Commands) enqueueLocked(ctx context.Context, items []item, partial bool) (BulkResult, error) {
	e := c.e
	res := BulkResult{Queued: []Queued{}, Refused: []Refusal{}}
	op, err := e.op(ctx)
	if err != nil {
		return res, err
	}
	var cmds []cache.Command
	seen := map[string]bool{}
	for _, it := range items {
		k, ok := kinds[it.name]
		if !ok {
			return res, fmt.Errorf("sync: unknown command %q", it.name)
		}
		if seen[it.id] {
			continue // a record selected twice gets one entry
		}
		seen[it.id] = true
		cmd, err := c.decide(ctx, &op, k, it)
		if err != nil {
			if !partial {
				return res, err
			}
			if portal.ErrorCode(err) == portal.EINTERNAL {
				return res, err
			}
			res.Refused = append(res.Refused, Refusal{EntityID: it.id, Key: it.key, Code: portal.ErrorCode(err), Message: portal.ErrorMessage(err)})
			continue
		}
		cmds = append(cmds, cmd)
	}
	if len(cmds) == 0 {
		return res, nil
	}
	err = e.db.ApplyDurable(ctx, func(tx *cache.Tx) error {
		for _, cmd := range cmds {
			id, key, err := tx.EnqueueRow(cmd)
			if err != nil {
				return err
			}
			res.Queued = append(res.Queued, Queued{ID: id, IdempotencyKey: key, Command: cmd.Name, EntityType: cmd.EntityType, EntityID: cmd.EntityID})
		}
		return nil
	})
	if err != nil {
		return BulkResult{Queued: []Queued{}, Refused: res.Refused}, fmt.Errorf("keep your change in the local database: %w", err)
	}
	for _, q := range res.Queued {
		e.log.Debug("queued change", "id", q.ID, "command", q.Command, "entityId", q.EntityID)
	}
	e.SyncNow()
	return res, nil
}

// decide checks one item against the record as the administrator sees it.
func (c *Commands) decide(ctx context.Context, op *portal.Op, k kind, it item) (cache.Command, error) {
	payload := json.RawMessage("{}")
	if it.payload != nil {
		b, err := json.Marshal(it.payload)
		if err != nil {
			return cache.Command{}, err
		}
		payload = b
	}
	var cur json.RawMessage
	var err error
	if k.load != nil {
		cur, err = k.load(ctx, c.e, it.id)
	} else {
		cur, err = c.e.current(ctx, k.entity, it.id)
	}
	if err != nil {
		return cache.Command{}, err
	}
	d, err := k.decide(ctx, c.e, op, cur, payload)
	if err != nil {
		return cache.Command{}, err
	}
	return cache.Command{Name: it.name, EntityType: k.entity, EntityID: it.id, BaseVersion: d.base,
		Payload: payload, Preview: d.preview, PreviewDeletes: d.deletes, Key: it.key}, nil
}

// ---- who acts ----

// actorSetting is the cache setting that remembers who the desktop acts as on the server.
const actorSetting = "sync.actor"

// op builds the context of a local check: now, the actor, the cached role catalogue and
// the number of active system administrators as the administrator sees the accounts.
func (e *Engine) op(ctx context.Context) (portal.Op, error) {
	act, err := e.Actor(ctx)
	if err != nil {
		return portal.Op{}, err
	}
	roles, err := e.db.RoleCatalog(ctx)
	if err != nil {
		return portal.Op{}, err
	}
	n, err := e.countActiveSystemAdmins(ctx, roles)
	if err != nil {
		return portal.Op{}, err
	}
	return portal.Op{Now: e.clock.Now(), Actor: act, Roles: roles, ActiveSystemAdmins: n}, nil
}

func (e *Engine) countActiveSystemAdmins(ctx context.Context, roles portal.Roles) (int, error) {
	var ids []string
	for id, r := range roles {
		if r.Has(portal.PermSystemAdmin) {
			ids = append(ids, id)
		}
	}
	return e.db.CountActiveHolders(ctx, ids)
}

type savedActor struct {
	Actor    portal.Actor `json:"actor"`
	Server   string       `json:"server"`
	Embedded bool         `json:"embedded"`
	At       time.Time    `json:"at"`
}

// Actor is who the desktop acts as: Config.Actor, else what the server said last (asked
// now if never).
// SetActor pins who the engine acts as from now on (Config.Actor): the desktop's
// administrator on the local portal, named after the engine started.
func (e *Engine) SetActor(a portal.Actor) {
	e.pinned.Store(&a)
}

func (e *Engine) Actor(ctx context.Context) (portal.Actor, error) {
	if p := e.pinned.Load(); p != nil {
		return *p, nil
	}
	var s savedActor
	ok, err := e.db.GetSetting(ctx, actorSetting, &s)
	if err != nil {
		return portal.Actor{}, err
	}
	if ok && s.Actor.ID != "" {
		return s.Actor, nil
	}
	if err := e.fetchActor(ctx); err != nil {
		return portal.Actor{}, portal.Errorf(portal.EUNAUTHORIZED, "Gatehouse does not know yet what you may do on this portal. Connect to the portal server (and sign in) once, then try again.")
	}
	if _, err := e.db.GetSetting(ctx, actorSetting, &s); err != nil {
		return portal.Actor{}, err
	}
	return s.Actor, nil
}

// refreshActor asks the server who the desktop acts as, so that local checks follow
// role changes made elsewhere. Failures are left to the push and pull that follow.
func (e *Engine) refreshActor(ctx context.Context) {
	if e.pinned.Load() == nil {
		_ = e.fetchActor(ctx)
	}
}

func (e *Engine) fetchActor(ctx context.Context) error {
	me, err := e.cl.Me(ctx)
	if err != nil {
		return err
	}
	var old savedActor
	if ok, _ := e.db.GetSetting(ctx, actorSetting, &old); ok && old.Actor == me.Actor && old.Server == e.cl.BaseURL() {
		return nil
	}
	return e.db.SetSetting(ctx, actorSetting, savedActor{Actor: me.Actor, Server: e.cl.BaseURL(), Embedded: me.Embedded, At: e.clock.Now()})
}

// AccountActions asks the policy which actions the administrator may take on account a
// (as the administrator sees it), with the reason for each refused one: the screens offer
// exactly what the server would accept. inv is a's pending invitation, if any. Before
// Gatehouse knows who it acts as, every action that applies is refused with why.
func (e *Engine) AccountActions(ctx context.Context, a portal.Account, inv *portal.Invitation) ([]portal.ActionCheck, error) {
	out, err := e.AccountActionsMany(ctx, []portal.Account{a}, []*portal.Invitation{inv})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// AccountActionsMany is AccountActions for a list (the approval queue, the recycle bin):
// the actor and the role catalogue are read once, and the active system administrators are
// counted once, only if one of the accounts is one (the last-administrator guard needs the
// count; a full count per row would scan every account once per row). invs may be nil.
func (e *Engine) AccountActionsMany(ctx context.Context, accs []portal.Account, invs []*portal.Invitation) ([][]portal.ActionCheck, error) {
	out := make([][]portal.ActionCheck, len(accs))
	act, err := e.Actor(ctx)
	if code := portal.ErrorCode(err); code == portal.EUNAUTHORIZED || code == portal.EFORBIDDEN {
		for i, a := range accs {
			for _, action := range portal.AccountActionsInOrder {
				if portal.AccountActionApplies(action, a) {
					out[i] = append(out[i], portal.ActionCheck{Action: action, Reason: portal.ErrorMessage(err)})
				}
			}
		}
		return out, nil
	} else if err != nil {
		return nil, err
	}
	roles, err := e.db.RoleCatalog(ctx)
	if err != nil {
		return nil, err
	}
	op := portal.Op{Now: e.clock.Now(), Actor: act, Roles: roles}
	counted := false
	for i, a := range accs {
		if !counted && roles.IsActiveSystemAdmin(a) {
			if op.ActiveSystemAdmins, err = e.countActiveSystemAdmins(ctx, roles); err != nil {
				return nil, err
			}
			counted = true
		}
		var inv *portal.Invitation
		if i < len(invs) {
			inv = invs[i]
		}
		out[i] = portal.AccountActions(op, a, inv)
	}
	return out, nil
}
