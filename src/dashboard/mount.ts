/** The dashboard in a Vite dev server: mounted on the server, its one-time sign-in link in the banner. */
import { basename, dirname, resolve } from 'node:path'
import type { ViteDevServer } from 'vite'
import type { BuildStore } from '../core/build-store'
import type { SecretsContext } from '../core/context'
import { SecretsError } from '../core/errors'
import type { EnvironmentStore } from '../core/store/locate'
import { storesIn } from '../core/store/locate'
import type { DashboardOptions } from './server'
import { Dashboard, DASHBOARD_PATH } from './server'
import { bannerSignIn } from './messages'

type MountOptions = Omit<DashboardOptions, 'hosts' | 'ignore' | 'root'>

/** Why the store did not open, for the banner (messages hold no value; a stack is never shown). */
const storeFailure = (error: unknown): string => error instanceof SecretsError
  ? error.message
  : `the store could not be opened: ${(error as Error)?.message ?? String(error)}`

/**
 * The stores the page switches between, as they are now: every environment's beside the build's
 * store, which is always one.
 */
function switchableStores(store: BuildStore): EnvironmentStore[] {
  const present = storesIn(dirname(store.path))
  if (present.some(({ path }) => path === store.path)) return present
  return [{ environment: store.environment ?? basename(store.path), path: store.path }, ...present]
}

/** A mounted dashboard: the banner lines for a dev server's local URL (each call makes a new one-time link). */
export type DashboardBanner = (localUrl: string) => string[]

/**
 * The dashboard of one plugin instance: its store, key and filters, and the
 * configs it transformed. `printUrls: false` for a host that prints its own
 * banner (Astro): it prints the lines itself.
 */
export async function mountPluginDashboard(
  server: ViteDevServer,
  ctx: SecretsContext,
  { printUrls = true } = {},
): Promise<DashboardBanner | undefined> {
  const { key, include, exclude, maxAge } = ctx.options
  const environments = () => switchableStores(ctx.store)
  return mountDashboard(
    server,
    { storePath: ctx.storePath, environments, key, include, exclude, maxAge, transformed: () => ctx.storeUsers },
    printUrls,
  )
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
async function mountDashboard(
  server: ViteDevServer,
  options: MountOptions,
  printUrls: boolean,
): Promise<DashboardBanner | undefined> {
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
    // Store files are JSON with no reference: not configs to scan, whichever environment's.
    ignore: [...options.environments().map(store => store.path), resolve(config.root, config.build.outDir)],
    logger: config.logger,
  })
  // First in the stack: Vite's CORS middleware would otherwise answer preflights (OPTIONS) under /__secrets/ itself.
  server.middlewares.stack.unshift({
    route: '',
    handle: dashboard.handle as (typeof server.middlewares.stack)[number]['handle'],
  })
  dashboard.answerOversizedHeaders(server.httpServer)

  // Decided before the banner is printed: printUrls is synchronous.
  const signIn = await dashboard.localAdmin().then(
    admin => ({ admin }),
    (error: unknown) => ({ failure: storeFailure(error) }),
  )
  const banner: DashboardBanner = (local) => {
    const url = new URL(DASHBOARD_PATH, local).href
    const line = 'failure' in signIn
      ? bannerSignIn.storeFailed(signIn.failure)
      : signIn.admin
        ? bannerSignIn.link(signIn.admin, `${url}?token=${dashboard.sessions.issueLinkToken()}`)
        : bannerSignIn.noAdminKey
    return [`Secrets: ${url}`, line]
  }
  if (printUrls) {
    const printViteUrls = server.printUrls.bind(server)
    server.printUrls = () => {
      printViteUrls()
      const local = server.resolvedUrls?.local[0]
      if (local) {
        for (const line of banner(local)) config.logger.info(`  \u279C  ${line}`)
      }
    }
  }
  return banner
}
