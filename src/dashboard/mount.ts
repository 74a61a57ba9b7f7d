import { resolve } from 'node:path'
import type { ViteDevServer } from 'vite'
import { SecretsError } from '../core/errors'
import type { DashboardOptions } from './server'
import { DASHBOARD_PATH, Dashboard } from './server'

export type MountOptions = Omit<DashboardOptions, 'hosts' | 'ignore' | 'root'>

function assertMaxAge(maxAge: number | false): void {
  if (maxAge !== false && !(typeof maxAge === 'number' && maxAge > 0 && Number.isFinite(maxAge)))
    throw new SecretsError('USAGE', `unplugin-secrets: maxAge must be a number of days above 0, or false to turn the dashboard's rotation banner off; got ${JSON.stringify(maxAge)}.`)
}

/**
 * The dashboard on a Vite dev server: its routes before Vite's own, and its
 * URL in the start-up banner, with a one-time sign-in link when this
 * machine holds an admin key of the store.
 */
export async function mountDashboard(server: ViteDevServer, options: MountOptions): Promise<Dashboard> {
  assertMaxAge(options.maxAge)
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
  })
  server.middlewares.use(dashboard.handle)

  // Decided before the banner is printed: printUrls is synchronous.
  const admin = await dashboard.localAdmin()
  const printUrls = server.printUrls.bind(server)
  server.printUrls = () => {
    printUrls()
    const local = server.resolvedUrls?.local[0]
    if (!local) return
    const url = new URL(DASHBOARD_PATH, local).href
    const { info } = config.logger
    info(`  \u279C  Secrets: ${url}`)
    if (admin) info(`  \u279C  Sign in as ${admin} (one-time link): ${url}?token=${dashboard.sessions.issueLinkToken()}`)
    else info('  \u279C  Sign in with your admin key (none on this machine for this store)')
  }
  return dashboard
}
