import { createRouter, createWebHashHistory, type Router, type RouterHistory } from 'vue-router'
import { buildRoutes } from './nav'

// Hash history: the app is served from wails:// in the window and from a plain file server
// in tests, and neither rewrites unknown paths to index.html.
export function createAppRouter(history: RouterHistory = createWebHashHistory()): Router {
  return createRouter({ history, routes: buildRoutes() })
}
