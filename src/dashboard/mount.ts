import { resolve } from 'node:path'
import type { ViteDevServer } from 'vite'
import type { SecretsContext } from '../core/context'
import type { DashboardOptions } from './server'
import { DASHBOARD_PATH, Dashboard } from './server'
import { LINK_MS } from './sessions'

type MountOptions = Omit<DashboardOptions, 'hosts' | 'ignore' | 'root'>

/** A mounted dashboard: the banner lines for a dev server's local URL (each call makes a new one-time link). */
export type DashboardBanner = (localUrl: string) => string[]

/**
 * The dashboard of one plugin instance: its store, key and filters, and the
 * configs it transformed. `printUrls: false` for a host that prints its own
 * banner (Astro): it prints the lines itself.
 */
export async function mountPluginDashboard(server: ViteDevServer, ctx: SecretsContext, { printUrls = true } = {}): Promise<DashboardBanner | undefined> {
  const { key, include, exclude, maxAge } = ctx.options
  return mountDashboard(server, { storePath: ctx.storePath, key, include, exclude, maxAge, transformed: () => ctx.storeUsers }, printUrls)
}

/**
 * The dashboard on a Vite dev server: its routes before all of Vite's own
 * (CORS and host check included), and its URL in the start-up banner, with a
 * one-time sign-in link when this machine holds an admin key of the store.
 *
 * Not mounted without an HTTP server of Vite's own (`server.middlewareMode`:
 * Vitest's internal server, frameworks that embed Vite): there is no banner
 * to print a link to, and the host app decides who reaches its routes.
 * (`process.env.VITEST` is no signal: Vitest sets it in the worker, so it
 * would also hide the dashboard of a dev server a test starts.)
 */
async function mountDashboard(server: ViteDevServer, options: MountOptions, printUrls: boolean): Promise<DashboardBanner | undefined> {
  if (!server.httpServer) return undefined
  const { config } = server
  const allowed = config.server.allowedHosts
  const hosts = [
    ...(typeof config.server.host === 'string' ? [config.server.host] : []),
    ...(Array.isArray(allowed) ? allowed.filter(host => !host.startsWith('.')) : []),
  ].map(host => host.toLowerCase())
  const dashboard = new Dashboard({
    ...options,
    root: config.root,
    hosts,
    ignore: [options.storePath, resolve(config.root, config.build.outDir)],
    logger: config.logger,
  })
  // First in the stack: Vite's CORS middleware would otherwise answer preflights (OPTIONS) under /__secrets/ itself.
  server.middlewares.stack.unshift({ route: '', handle: dashboard.handle as (typeof server.middlewares.stack)[number]['handle'] })
  dashboard.answerOversizedHeaders(server.httpServer)

  // Decided before the banner is printed: printUrls is synchronous.
  const admin = await dashboard.localAdmin()
  const banner: DashboardBanner = (local) => {
    const url = new URL(DASHBOARD_PATH, local).href
    const signIn = admin
      ? `Sign in as ${admin} (one-time link, ${LINK_MS / 60_000} min): ${url}?token=${dashboard.sessions.issueLinkToken()}`
      : 'Sign in with your admin key (none on this machine for this store)'
    return [`Secrets: ${url}`, signIn]
  }
  if (printUrls) {
    const printViteUrls = server.printUrls.bind(server)
    server.printUrls = () => {
      printViteUrls()
      const local = server.resolvedUrls?.local[0]
      if (local) for (const line of banner(local)) config.logger.info(`  \u279C  ${line}`)
    }
  }
  return banner
}
