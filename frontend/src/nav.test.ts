import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import App from './App.vue'
import { buildRoutes, homePath, navGroups, navItems, navKeyFor, preloadViews } from './nav'
import { createAppRouter } from './router'

const screens = ['Users', 'Approvals', 'Organisations', 'Imports', 'Invitations', 'Reports', 'Audit', 'Settings']

describe('navigation', () => {
  it('lists every screen once, grouped by area, Settings last', () => {
    expect(navItems.map((i) => i.label)).toEqual(screens)
    expect(navGroups.map((g) => g.label)).toEqual(['People', 'Onboarding', 'Oversight', 'System'])
    expect(new Set(navItems.map((i) => i.path)).size).toBe(navItems.length)
    expect(new Set(navItems.map((i) => i.key)).size).toBe(navItems.length)
  })

  // Each push compiles that screen's code: seconds on a busy machine, so more time than
  // Vitest's five.
  it('has a route for every entry and sends unknown paths home', { timeout: 30_000 }, async () => {
    const router = createAppRouter(createMemoryHistory())
    for (const item of navItems) {
      await router.push(item.path)
      expect(router.currentRoute.value.meta.nav).toBe(item.key)
    }
    await router.push('/no/such/screen')
    expect(router.currentRoute.value.path).toBe(homePath)
    await router.push('/')
    expect(router.currentRoute.value.path).toBe('/users')
  })

  it('opens Settings on its first tab, About (four tabs and the redirect)', async () => {
    const router = createAppRouter(createMemoryHistory())
    await router.push('/settings')
    expect(router.currentRoute.value.path).toBe('/settings/about')
    expect(buildRoutes().find((r) => r.path === '/settings')?.children?.length).toBe(5)
  })

  it.each([
    ['/users', 'users'],
    ['/settings/about', 'settings'],
    ['/usersx', undefined],
    ['/', undefined],
  ])('highlights %s as %s', (path, key) => {
    expect(navKeyFor(path)).toBe(key)
  })
})

describe('app shell', () => {
  // There is no Go side here: every binding call fails. The shell must still render and
  // work, and each failure is reported once as an unexpected backend error, nothing else.
  let consoleError: MockInstance<typeof console.error>
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
  })
  afterEach(() => {
    for (const call of consoleError.mock.calls) {
      expect(call[0]).toBe('Gatehouse: unexpected error from the backend:')
    }
    consoleError.mockRestore()
  })

  it('renders the navigation and follows a click to a screen', async () => {
    const router = createAppRouter(createMemoryHistory())
    await router.push('/users')
    const w = mount(App, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()
    const nav = w.get('[data-testid="nav"]')
    for (const label of screens) expect(nav.text()).toContain(label)
    expect(w.get('[data-testid="view-title"]').text()).toBe('Users')
    expect(w.get('[data-testid="status-mode"]').text()).toBe('Local portal')

    const approvals = nav.findAll('a.nav-item').find((el) => el.text() === 'Approvals')
    expect(approvals).toBeDefined()
    await approvals!.trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/approvals')
    expect(w.get('[data-testid="view-title"]').text()).toBe('Approvals')
    w.unmount()
  })

  it('toggles the theme from the header', async () => {
    const router = createAppRouter(createMemoryHistory())
    await router.push('/users')
    const w = mount(App, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()
    const before = document.documentElement.dataset.theme
    await w.get('[data-testid="theme-toggle"]').trigger('click')
    await flushPromises()
    expect(document.documentElement.dataset.theme).not.toBe(before)
    expect(localStorage.getItem('gatehouse.theme')).toBe(document.documentElement.dataset.theme)
    w.unmount()
  })
})

describe('preloadViews', () => {
  it('loads every screen once, Users first, one after another, each when idle', async () => {
    const order: string[] = []
    const idles: (() => void)[] = []
    const loaders = ['users', 'approvals', 'reports'].map((k) => () => {
      order.push(k)
      return k === 'approvals' ? Promise.reject(new Error('offline')) : Promise.resolve()
    })
    preloadViews((fn) => idles.push(fn), (fn) => fn(), loaders)
    expect(order).toEqual([]) // nothing before the browser is idle
    for (let i = 0; i < 3; i++) {
      expect(idles.length).toBe(i + 1)
      idles[i]()
      await new Promise((r) => setTimeout(r, 0))
    }
    expect(order).toEqual(['users', 'approvals', 'reports']) // a failed load does not stop the rest
    expect(navItems[0].key).toBe('users')
  })
})
