import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { relative } from 'node:path'
import { SecretsError } from '../core/errors'
import { assertSecretName } from '../core/names'
import type { SecretInfo, SecretStore } from '../core/store/store'
import { openStore } from '../core/store/store'
import { HttpError, readJsonBody, sendJson, sendText, statusOf, stringField } from './http'
import { renderApp, renderSignIn } from './page'
import { SignInLimiter, foreignRequest, setSecurityHeaders, tokensEqual } from './security'
import type { Session } from './sessions'
import { Sessions, clearCookieHeader, sessionCookie, setCookieHeader } from './sessions'
import { DASHBOARD_CSS } from './style'
import type { Usage, UsageOptions } from './usage'
import { UsageScanner } from './usage'

export const DASHBOARD_PATH = '/__secrets/'
const API = '/__secrets/api/'
const DAY_MS = 24 * 60 * 60 * 1000

export interface DashboardOptions extends UsageOptions {
  storePath: string
  /** The plugin's `key` option (else UNPLUGIN_SECRETS_KEY, then the key file). */
  key: string | undefined
  maxAge: number | false
  /** Host names besides localhost and IP literals that name this dev server. */
  hosts: string[]
}

/** One row of the table: metadata and where it is used, never the value. */
export interface SecretRow extends SecretInfo {
  stale: boolean
  usedIn: Usage[]
}

export interface SecretList {
  admin: string
  store: string
  maxAgeDays: number | null
  secrets: SecretRow[]
  /** Names that configs reference but the store lacks. */
  missing: { name: string, usedIn: Usage[] }[]
  problems: { file: string, message: string }[]
}

const clientAddress = (request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown'
const isSecure = (request: IncomingMessage) => 'encrypted' in request.socket && Boolean(request.socket.encrypted)

/**
 * The dashboard's routes under /__secrets/: the page, its script and style,
 * the one-time sign-in link, and the JSON API. Every response is no-store;
 * every request must come from the dev server's own origin.
 */
export class Dashboard {
  readonly sessions = new Sessions()
  readonly #limiter = new SignInLimiter()
  readonly #usage: UsageScanner
  #clientScript: Promise<string> | undefined

  constructor(readonly options: DashboardOptions) {
    this.#usage = new UsageScanner(options)
  }

  /** The admin whose key this machine holds (env, then key file), if it is an admin of the store. */
  async localAdmin(): Promise<string | undefined> {
    try {
      return (await this.#open(undefined)).admin
    }
    catch {
      return undefined
    }
  }

  #open(adminKey: string | undefined, readOnly = false): Promise<SecretStore> {
    return openStore({ path: this.options.storePath, key: this.options.key, ...(readOnly ? { readOnly } : { adminKey }) })
  }

  /** Connect-style middleware: answers under /__secrets, passes everything else on. */
  handle = (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid')
    if (url.pathname !== '/__secrets' && !url.pathname.startsWith(DASHBOARD_PATH)) return next()
    setSecurityHeaders(response)
    const isApi = url.pathname.startsWith(API)
    this.#route(request, response, url).catch((error: unknown) => {
      const failure = error instanceof HttpError
        ? error
        : error instanceof SecretsError
          ? new HttpError(statusOf(error.code), error.code, error.message)
          : new HttpError(500, 'INTERNAL_ERROR', 'The dashboard failed on this request; the dev server\'s terminal has the details.')
      if (!(error instanceof HttpError) && !(error instanceof SecretsError)) console.error(error)
      if (response.headersSent) return response.end()
      if (isApi) sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } }, failure.headers)
      else sendText(response, failure.status, 'text/plain', failure.message, failure.headers)
    })
  }

  async #route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const foreign = foreignRequest(request, this.options.hosts)
    if (foreign) throw new HttpError(403, 'FOREIGN_ORIGIN', `Refused: ${foreign}. Open the dashboard at the URL the dev server printed.`)
    const path = url.pathname
    const method = request.method ?? 'GET'
    if (path.startsWith(API)) return this.#api(request, response, path.slice(API.length), method)
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here.`)
    if (path === '/__secrets') return sendText(response, 308, 'text/plain', '', { Location: DASHBOARD_PATH })
    if (path === `${DASHBOARD_PATH}dashboard.css`) return sendText(response, 200, 'text/css', DASHBOARD_CSS)
    if (path === `${DASHBOARD_PATH}dashboard.js`) return sendText(response, 200, 'text/javascript', await this.#script())
    if (path !== DASHBOARD_PATH) throw new HttpError(404, 'NOT_FOUND', 'Not found. The dashboard is at /__secrets/.')
    const token = url.searchParams.get('token')
    if (token !== null) return this.#linkSignIn(request, response, token)
    const session = this.sessions.find(sessionCookie(request.headers.cookie))
    if (!session) return sendText(response, 200, 'text/html', renderSignIn())
    return sendText(response, 200, 'text/html', renderApp({ admin: session.admin, csrf: session.csrf, store: this.#storeShown() }))
  }

  #storeShown(): string {
    return relative(this.options.root, this.options.storePath) || this.options.storePath
  }

  #script(): Promise<string> {
    // Built by tsdown next to this module (dist/dashboard-client.js).
    this.#clientScript ??= readFile(new URL('./dashboard-client.js', import.meta.url), 'utf8')
    return this.#clientScript
  }

  #checkRateLimit(request: IncomingMessage): void {
    const wait = this.#limiter.retryAfter(clientAddress(request))
    if (wait > 0)
      throw new HttpError(429, 'RATE_LIMITED', `Too many failed sign-ins from this address; try again in ${wait} s.`, { 'Retry-After': String(wait) })
  }

  #startSession(request: IncomingMessage, response: ServerResponse, admin: string, adminKey: string | undefined): Session {
    const { cookie, session } = this.sessions.create(admin, adminKey)
    response.setHeader('Set-Cookie', setCookieHeader(cookie, isSecure(request)))
    return session
  }

  async #linkSignIn(request: IncomingMessage, response: ServerResponse, token: string): Promise<void> {
    this.#checkRateLimit(request)
    if (!this.sessions.redeemLinkToken(token)) {
      this.#limiter.fail(clientAddress(request))
      return sendText(response, 401, 'text/html', renderSignIn('This sign-in link is not valid or was already used (each link works once). Sign in with your admin key, or restart the dev server for a new link.'))
    }
    const admin = await this.localAdmin()
    if (!admin)
      return sendText(response, 401, 'text/html', renderSignIn('The admin key on this machine is no longer an admin of the store. Sign in with your admin key.'))
    this.#startSession(request, response, admin, undefined)
    sendText(response, 303, 'text/plain', '', { Location: DASHBOARD_PATH })
  }

  async #api(request: IncomingMessage, response: ServerResponse, route: string, method: string): Promise<void> {
    if (route === 'signin') {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Sign in with POST.')
      return this.#formSignIn(request, response)
    }
    const cookie = sessionCookie(request.headers.cookie)
    const session = this.sessions.find(cookie)
    if (!session) throw new HttpError(401, 'SIGN_IN_REQUIRED', 'Sign in first: open /__secrets/ and enter your admin key, or use the link the dev server printed.')
    if (method !== 'GET' && method !== 'HEAD') {
      const given = request.headers['x-csrf-token']
      if (!tokensEqual(typeof given === 'string' ? given : undefined, session.csrf))
        throw new HttpError(403, 'CSRF_TOKEN', 'Refused: the request lacks this session\'s CSRF token (X-CSRF-Token). Reload the page.')
    }
    if (route === 'signout') {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Sign out with POST.')
      this.sessions.end(cookie)
      response.setHeader('Set-Cookie', clearCookieHeader())
      return sendJson(response, 200, { signedOut: true })
    }
    if (route === 'secrets') {
      if (method === 'GET') return sendJson(response, 200, await this.#list(session))
      if (method === 'POST') return sendJson(response, 201, await this.#create(session, await readJsonBody(request)))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use GET to list secrets and POST to add one.')
    }
    if (route.startsWith('secrets/')) {
      let name: string
      try {
        name = decodeURIComponent(route.slice('secrets/'.length))
      }
      catch {
        throw new HttpError(400, 'BAD_REQUEST', 'The secret name in the URL is not valid percent-encoding.')
      }
      assertSecretName(name)
      if (method === 'PUT') return sendJson(response, 200, await this.#update(session, name, await readJsonBody(request)))
      if (method === 'DELETE') return sendJson(response, 200, await this.#delete(session, name))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use PUT to set a new value and DELETE to remove the secret.')
    }
    throw new HttpError(404, 'NOT_FOUND', `No API route ${JSON.stringify(route.slice(0, 80))}.`)
  }

  async #formSignIn(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#checkRateLimit(request)
    const adminKey = stringField(await readJsonBody(request), 'adminKey', true)!.trim()
    let admin: string
    try {
      admin = (await this.#open(adminKey)).assertAdmin()
    }
    catch (error) {
      if (!(error instanceof SecretsError) || !['KEY_INVALID', 'NOT_ADMIN', 'ADMIN_REQUIRED'].includes(error.code)) throw error
      this.#limiter.fail(clientAddress(request))
      throw new HttpError(401, 'SIGN_IN_FAILED', error.message)
    }
    const session = this.#startSession(request, response, admin, adminKey)
    sendJson(response, 200, { admin: session.admin })
  }

  async #list(session: Session): Promise<SecretList> {
    const store = await this.#open(undefined, true)
    const { byName, problems } = await this.#usage.scan()
    const maxAge = this.options.maxAge
    const now = Date.now()
    const secrets = store.list().map(info => ({
      ...info,
      stale: maxAge !== false && now - Date.parse(info.updatedAt) > maxAge * DAY_MS,
      usedIn: byName.get(info.name) ?? [],
    }))
    const missing = [...byName].filter(([name]) => !store.has(name)).map(([name, usedIn]) => ({ name, usedIn })).sort((a, b) => (a.name < b.name ? -1 : 1))
    return { admin: session.admin, store: this.#storeShown(), maxAgeDays: maxAge === false ? null : maxAge, secrets, missing, problems }
  }

  /** Writes go through the admin-gated store API as the session's admin: the audit trail names them. */
  async #writable(session: Session): Promise<SecretStore> {
    const store = await this.#open(session.adminKey)
    store.assertAdmin()
    return store
  }

  async #create(session: Session, body: Record<string, unknown>): Promise<{ secret: SecretInfo }> {
    const name = stringField(body, 'name', true)!
    assertSecretName(name)
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const store = await this.#writable(session)
    if (store.has(name))
      throw new SecretsError('SECRET_EXISTS', `${name} already exists in ${this.#storeShown()}. Use Edit on its row to set a new value.`)
    return { secret: await store.set(name, value, description ? { description } : {}) }
  }

  async #update(session: Session, name: string, body: Record<string, unknown>): Promise<{ secret: SecretInfo }> {
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const store = await this.#writable(session)
    if (!store.has(name))
      throw new SecretsError('SECRET_NOT_FOUND', `${name} is not in ${this.#storeShown()} (deleted meanwhile?). Reload the page; add it again with Add New Secret.`)
    return { secret: await store.set(name, value, description === undefined ? {} : { description }) }
  }

  async #delete(session: Session, name: string): Promise<{ deleted: string }> {
    const store = await this.#writable(session)
    if (!(await store.delete(name)))
      throw new SecretsError('SECRET_NOT_FOUND', `${name} is not in ${this.#storeShown()} (deleted meanwhile?). Reload the page.`)
    return { deleted: name }
  }
}
