import { request as httpRequest } from 'node:http'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { InlineConfig, ViteDevServer } from 'vite'
import type { SecretStore } from '../../src/core/store/store'
import { dist, ROOT, tempDir } from '../helpers'
import { createLiveStore } from '../plugin/live-store'
import { backdateSecret } from '../store/fixtures'

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A signed-in session as a program holds it: the cookie (`name=value`) and the token from the sign-in answer's body. */
export interface TestSession {
  cookie: string
  token: string
}

/** The cookie and token of a successful sign-in answer. */
export function sessionOf(answer: HttpResult): TestSession {
  return { cookie: String(answer.headers['set-cookie']).split(';')[0]!, token: JSON.parse(answer.body).sessionToken }
}

/** The headers of the dashboard page's API calls in a session: its cookie and X-Session-Token. */
export const sessionHeaders = (session: TestSession): Record<string, string> => ({ 'cookie': session.cookie, 'x-session-token': session.token })

/** Every response a suite saw, for checks across all of them (no value in any body, no-store on all). */
export const seen: { url: string, result: HttpResult }[] = []

/**
 * A Vite dev server with the plugin (from dist/) on a temp copy of the shared
 * config fixtures (or the given files) and a real store whose keys are in a key file, as on an
 * admin's machine. The start-up banner (`banner`: info) and everything else the
 * dev server printed (`terminal`: info, warnings, errors) are captured.
 */
export async function startDevServer(values: Record<string, string>, { plugin = {}, vite = {}, files }: { plugin?: Record<string, unknown>, vite?: InlineConfig, files?: Record<string, string> } = {}) {
  const dir = await tempDir('usec-dashboard-')
  if (files) {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true })
      await writeFile(join(dir, path), text)
    }
  }
  else {
    await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  }
  const live = await createLiveStore(dir, values)
  process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
  const { createServer, createLogger } = await import('vite')
  const { default: secrets } = await dist('vite')
  const banner: string[] = []
  const terminal: string[] = []
  const logger = createLogger('silent')
  logger.info = (message) => {
    banner.push(message)
    terminal.push(message)
  }
  logger.warn = (message) => { terminal.push(message) }
  logger.warnOnce = (message) => { terminal.push(message) }
  logger.error = (message) => { terminal.push(message) }
  const server: ViteDevServer = await createServer({ root: dir, configFile: false, customLogger: logger, plugins: [secrets(plugin)], ...vite, server: { port: 0, host: '127.0.0.1', ...vite.server } })
  await server.listen()
  server.printUrls()
  const port = (server.httpServer!.address() as { port: number }).port
  const origin = `http://127.0.0.1:${port}`
  /** The path and query of the printed one-time link. */
  const linkPath = () => {
    const link = new URL(banner.findLast(line => line.includes('?token='))!.match(/http\S+/)![0])
    return link.pathname + link.search
  }

  /** A raw HTTP request (node:http, so Host and Origin can be anything), recorded in `seen`. */
  const request = (method: string, path: string, { headers = {}, body }: { headers?: Record<string, string>, body?: unknown } = {}) =>
    new Promise<HttpResult>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
      const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => { text += chunk })
        response.on('end', () => {
          const result = { status: response.statusCode!, headers: response.headers, body: text }
          seen.push({ url: path, result })
          resolve(result)
        })
      })
      outgoing.on('error', reject)
      outgoing.end(payload)
    })

  /** What the page does with the printed one-time link: POST its token; resolves to the session (cookie and token) and the answer. */
  const signInWithLink = async () => {
    const token = new URLSearchParams(linkPath().split('?')[1]).get('token')!
    const redeemed = await request('POST', '/__secrets/api/link', { headers: { origin }, body: { token } })
    if (redeemed.status !== 200) throw new Error(`the link answered ${redeemed.status}: ${redeemed.body}`)
    return { ...sessionOf(redeemed), redeemed }
  }

  /** Sets a secret's updatedAt into the past, history re-signed by the admin (as if it had been set then). */
  const backdate = (name: string, days: number) => backdateSecret(live.store, name, days, live.adminKey, live.key, 'test')

  /** The store as a setup script sees it (dist/store.mjs, keys from the key file). */
  const openStore = async () => {
    const { openStore: open } = await dist('store')
    return open({ path: live.store }) as Promise<SecretStore>
  }

  const close = async () => {
    await server.close()
    delete process.env.UNPLUGIN_SECRETS_KEY_DIR
  }

  /** Signs in with an admin key through the form's API; resolves to the session cookie and token. */
  const signInWithKey = async (adminKey: string) => {
    const signedIn = await request('POST', '/__secrets/api/signin', { headers: { origin }, body: { adminKey } })
    if (signedIn.status !== 200) throw new Error(`sign-in answered ${signedIn.status}: ${signedIn.body}`)
    return sessionOf(signedIn)
  }

  return { dir, server, banner, terminal, port, origin, live, request, linkPath, signInWithLink, signInWithKey, backdate, openStore, close }
}

export type DevServer = Awaited<ReturnType<typeof startDevServer>>
