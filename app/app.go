// Package app is the thin layer the frontend calls: one bound service per area of the
// screen (users, approvals, organisations, imports, invitations, reports, audit, settings,
// connection), as tiny-rdm binds several small structs. Every exported method of a service
// is bound (window.go.app.UsersService.<Method>) and is one call to backend/desk, where the
// desktop's use cases live; business rules are asked of backend/portal there.
//
// App itself is not bound: it holds the services for main, the harness and Go tests, and
// its Startup and Shutdown are Wails' OnStartup and OnShutdown. The window is reached only
// through desk.Runtime (WailsRuntime here; desk.HeadlessRuntime in tests and the harness),
// so go test runs without one.
package app

import (
	"context"

	"gatehouse/backend/desk"
)

// Config is what main (or the harness) knows before the window exists.
type Config = desk.Config

// App is the desktop: the services the window binds over one Desk. main and the harness
// make it with New, start and stop it with Startup and Shutdown, and bind Bound(a). Go tests
// call the services' methods on it directly.
type App struct {
	d *desk.Desk
	*UsersService
	*ApprovalsService
	*OrganisationsService
	*ImportsService
	*InvitationsService
	*ReportsService
	*AuditService
	*SettingsService
	*ConnectionService
}

// The bound services, each over the one Desk; the frontend calls them through its
// generated bindings (wailsjs/go/app/<Service>).
type (
	// UsersService is the Users screen: search, the drawer, lifecycle actions, promotion.
	UsersService struct{ d *desk.Desk }
	// ApprovalsService is the approval queue.
	ApprovalsService struct{ d *desk.Desk }
	// OrganisationsService is the Organisations screen: profiles, people, roles, adding users.
	OrganisationsService struct{ d *desk.Desk }
	// ImportsService is the Imports screen: sessions, mapping, rows, fixes, apply.
	ImportsService struct{ d *desk.Desk }
	// InvitationsService is the Invitations screen: batches, mail settings, messages, portal mail.
	InvitationsService struct{ d *desk.Desk }
	// ReportsService is the Reports screen: figures, tables, exports.
	ReportsService struct{ d *desk.Desk }
	// AuditService is the audit log.
	AuditService struct{ d *desk.Desk }
	// SettingsService is the Settings screen: the portal's settings, sign-in, the local
	// administrator.
	SettingsService struct{ d *desk.Desk }
	// ConnectionService is the portal in use: first run, sync, going live, who is acting.
	ConnectionService struct{ d *desk.Desk }
)

// New returns an App that talks to its window through rt. Nothing is opened until Startup:
// Wails runs main once at build time to generate the JS bindings, and that run must not
// create files in the builder's config folder.
func New(cfg Config, rt desk.Runtime) *App {
	d := desk.New(cfg, rt)
	return &App{d: d, UsersService: &UsersService{d}, ApprovalsService: &ApprovalsService{d}, OrganisationsService: &OrganisationsService{d},
		ImportsService: &ImportsService{d}, InvitationsService: &InvitationsService{d}, ReportsService: &ReportsService{d},
		AuditService: &AuditService{d}, SettingsService: &SettingsService{d}, ConnectionService: &ConnectionService{d}}
}

// Bound returns the values whose exported methods the frontend may call: main passes it to
// options.App.Bind and the harness to bridge.Options.Bind, so both always expose the same.
func Bound(a *App) []any {
	return []any{a.UsersService, a.ApprovalsService, a.OrganisationsService, a.ImportsService, a.InvitationsService, a.ReportsService, a.AuditService, a.SettingsService, a.ConnectionService}
}

// Desk is the desktop's use cases under the services, for the harness and Go tests.
func (a *App) Desk() *desk.Desk { return a.d }

// Startup is options.App.OnStartup. ctx is the Wails context; with WailsRuntime it is what
// makes runtime calls possible.
func (a *App) Startup(ctx context.Context) {
	if r, ok := a.d.Runtime().(interface{ attach(context.Context) }); ok {
		r.attach(ctx)
	}
	a.d.Startup(ctx)
}

// Shutdown is options.App.OnShutdown: it stops the sync and the embedded portal and closes
// the cache so the WAL is checkpointed.
func (a *App) Shutdown(ctx context.Context) { a.d.Shutdown(ctx) }
