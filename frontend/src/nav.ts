import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

// The screens of the app, grouped by area as the left navigation shows them; the
// navigation and the routes both follow from this list.
export interface NavItem {
  key: string
  label: string
  path: string
  view: () => Promise<{ default: Component }>
  // Child routes shown inside the view (e.g. Settings' tabs); the first is the default.
  children?: { path: string; label: string; view: () => Promise<{ default: Component }> }[]
}

export interface NavGroup {
  key: string
  label: string
  items: NavItem[]
}

export const navGroups: NavGroup[] = [
  {
    key: 'people',
    label: 'People',
    items: [
      { key: 'users', label: 'Users', path: '/users', view: () => import('./views/users/UsersView.vue') },
      { key: 'approvals', label: 'Approvals', path: '/approvals', view: () => import('./views/approvals/ApprovalsView.vue') },
      {
        key: 'organisations',
        label: 'Organisations',
        path: '/organisations',
        view: () => import('./views/organisations/OrganisationsView.vue'),
      },
    ],
  },
  {
    key: 'onboarding',
    label: 'Onboarding',
    items: [
      { key: 'imports', label: 'Imports', path: '/imports', view: () => import('./views/imports/ImportsView.vue') },
      {
        key: 'invitations',
        label: 'Invitations',
        path: '/invitations',
        view: () => import('./views/invitations/InvitationsView.vue'),
      },
    ],
  },
  {
    key: 'oversight',
    label: 'Oversight',
    items: [
      { key: 'reports', label: 'Reports', path: '/reports', view: () => import('./views/reports/ReportsView.vue') },
      { key: 'audit', label: 'Audit', path: '/audit', view: () => import('./views/audit/AuditView.vue') },
    ],
  },
  {
    key: 'system',
    label: 'System',
    items: [
      {
        key: 'settings',
        label: 'Settings',
        path: '/settings',
        view: () => import('./views/settings/SettingsView.vue'),
        children: [
          { path: 'about', label: 'About', view: () => import('./views/settings/AboutPanel.vue') },
          { path: 'signin', label: 'Server and sign-in', view: () => import('./views/settings/SignInPanel.vue') },
          { path: 'portal', label: 'Portal', view: () => import('./views/settings/PortalPanel.vue') },
          { path: 'directories', label: 'Directories', view: () => import('./views/settings/DirectoriesPanel.vue') },
        ],
      },
    ],
  },
]

export const navItems: NavItem[] = navGroups.flatMap((g) => g.items)

export const homePath = navItems[0].path

// preloadViews loads the screens' code while the browser is idle after the app has
// started, Users first, then one screen a second, so that the loading never stands in the
// way of a click: a click on a screen then only draws it, instead of fetching and compiling
// its code first (about 300 ms for Users on the test machine).
export function preloadViews(
  idle: (fn: () => void) => void,
  pause: (fn: () => void) => void = (fn) => setTimeout(fn, 1000),
  loaders: (() => Promise<unknown>)[] = navItems.map((i) => i.view),
): void {
  const queue = [...loaders]
  const next = () => {
    const load = queue.shift()
    if (load) idle(() => void load().then(() => pause(next), () => pause(next)))
  }
  next()
}

export function buildRoutes(): RouteRecordRaw[] {
  const routes: RouteRecordRaw[] = [{ path: '/', redirect: homePath }]
  for (const item of navItems) {
    const children = item.children ?? []
    routes.push({
      path: item.path,
      // A route with children is named by its children (Vue Router warns otherwise).
      name: children.length ? undefined : item.key,
      component: item.view,
      meta: { nav: item.key },
      children: children.length
        ? [
            { path: '', redirect: `${item.path}/${children[0].path}` },
            ...children.map((c) => ({
              path: c.path,
              name: `${item.key}-${c.path}`,
              component: c.view,
              meta: { nav: item.key },
            })),
          ]
        : undefined,
    })
  }
  routes.push({ path: '/:rest(.*)*', redirect: homePath })
  return routes
}

// navKeyFor tells which navigation entry a path belongs to, for highlighting it.
export function navKeyFor(path: string): string | undefined {
  return navItems.find((i) => path === i.path || path.startsWith(i.path + '/'))?.key
}
