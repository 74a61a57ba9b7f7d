import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { relative } from 'node:path'
import { SecretsError } from '../core/errors'
import { assertSecretName } from '../core/names'
import type { SecretInfo, SecretStore } from '../core/store/store'
import { openStore } from '../core/store/store'
import { HttpError, MAX_SIGN_IN_BYTES, readJsonBody, sendJson, sendText, statusOf, stringField } from './http'
import { renderApp, renderSignIn } from './page'
import { SignInLimiter, foreignRequest, setSecurityHeaders, tokensEqual } from './security'
import type { Session } from './sessions'
import { LINK_MS, Sessions, clearCookieHeader, sessionCookies, setCookieHeader } from './sessions'
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
  /** The dev server's terminal (Vite's logger): sign-in failures and internal errors, never a key or value. */
  logger?: { warn: (message: string) => void, error: (message: string) => void }
}

/** What anyone without a session hears about a failed sign-in: nothing about the store (its path, its admins). */
export const SIGN_IN_FAILED_MESSAGE = 'That key is not an admin key of this store. Check that you pasted the whole usec_admin_… key of an admin of this project\'s store; the dev server\'s terminal says more.'
const LINK_FAILED_MESSAGE = `This sign-in link is not valid, was already used (each link works once) or is over ${LINK_MS / 60_000} minutes old. Sign in with your admin key, or print a new link: press u and Enter in the dev server's terminal, or restart it.`

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

  readonly #logger: NonNullable<DashboardOptions['logger']>

  constructor(readonly options: DashboardOptions) {
    this.#usage = new UsageScanner(options)
    this.#logger = options.logger ?? { warn: message => console.warn(message), error: message => console.error(message) }
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

  #open(adminKey: string | undefined): Promise<SecretStore> {
    return openStore({ path: this.options.storePath, key: this.options.key, adminKey })
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
      if (!(error instanceof HttpError) && !(error instanceof SecretsError))
        this.#logger.error(`unplugin-secrets dashboard: ${request.method} ${url.pathname} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
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
    // Answered here, before Vite's CORS middleware could (the dashboard runs first): no CORS headers, so no cross-origin preflight passes.
    if (method === 'OPTIONS') return sendText(response, 204, 'text/plain', '', { Allow: path.startsWith(API) ? 'GET, POST, PUT, DELETE' : 'GET, HEAD' })
    if (path.startsWith(API)) return this.#api(request, response, path.slice(API.length), method, url)
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here.`)
    if (path === '/__secrets') return sendText(response, 308, 'text/plain', '', { Location: DASHBOARD_PATH })
    if (path === `${DASHBOARD_PATH}dashboard.css`) return sendText(response, 200, 'text/css', DASHBOARD_CSS)
    if (path === `${DASHBOARD_PATH}dashboard.js`) return sendText(response, 200, 'text/javascript', await this.#script())
    if (path !== DASHBOARD_PATH) throw new HttpError(404, 'NOT_FOUND', 'Not found. The dashboard is at /__secrets/.')
    const token = url.searchParams.get('token')
    // Only a GET spends the link: a HEAD (a link checker, a preview) gets the sign-in form's headers.
    if (token !== null && method === 'GET') return this.#linkSignIn(request, response, token)
    if (token !== null) return sendText(response, 200, 'text/html', renderSignIn())
    const session = this.sessions.find(sessionCookies(request.headers.cookie))
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

  #checkRateLimit(bucket: string): void {
    const wait = this.#limiter.retryAfter(bucket)
    if (wait > 0)
      throw new HttpError(429, 'RATE_LIMITED', `Too many failed sign-ins from this address; try again in ${wait} s.`, { 'Retry-After': String(wait) })
  }

  #startSession(request: IncomingMessage, response: ServerResponse, admin: string, adminKey: string | undefined): Session {
    // A browser signing in again ends the session its cookie had.
    for (const cookie of sessionCookies(request.headers.cookie)) this.sessions.end(this.sessions.find([cookie]))
    const { cookie, session } = this.sessions.create(admin, adminKey)
    response.setHeader('Set-Cookie', setCookieHeader(cookie, isSecure(request)))
    return session
  }

  async #linkSignIn(request: IncomingMessage, response: ServerResponse, token: string): Promise<void> {
    // The token is checked first: the right link works whatever else this address sent. Wrong links have their own bucket.
    if (!this.sessions.redeemLinkToken(token)) {
      const bucket = `link ${clientAddress(request)}`
      this.#checkRateLimit(bucket)
      this.#limiter.fail(bucket)
      return sendText(response, 401, 'text/html', renderSignIn(LINK_FAILED_MESSAGE))
    }
    const admin = await this.localAdmin()
    if (!admin)
      return sendText(response, 401, 'text/html', renderSignIn('The admin key on this machine is no longer an admin of the store. Sign in with your admin key.'))
    this.#startSession(request, response, admin, undefined)
    sendText(response, 303, 'text/plain', '', { Location: DASHBOARD_PATH })
  }

  async #api(request: IncomingMessage, response: ServerResponse, route: string, method: string, url: URL): Promise<void> {
    if (route === 'signin') {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Sign in with POST.')
      return this.#formSignIn(request, response)
    }
    const session = this.sessions.find(sessionCookies(request.headers.cookie))
    if (!session) throw new HttpError(401, 'SIGN_IN_REQUIRED', 'Sign in first: open /__secrets/ and enter your admin key, or use the link the dev server printed.')
    if (method !== 'GET' && method !== 'HEAD') {
      const given = request.headers['x-csrf-token']
      if (!tokensEqual(typeof given === 'string' ? given : undefined, session.csrf))
        throw new HttpError(403, 'CSRF_TOKEN', 'Refused: the request lacks this session\'s CSRF token (X-CSRF-Token). Reload the page.')
    }
    if (route === 'signout') {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Sign out with POST.')
      this.sessions.end(session)
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
      if (method === 'DELETE') return sendJson(response, 200, await this.#delete(session, name, url.searchParams.get('version')))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use PUT to set a new value and DELETE to remove the secret.')
    }
    throw new HttpError(404, 'NOT_FOUND', `No API route ${JSON.stringify(route.slice(0, 80))}.`)
  }

  async #formSignIn(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Counted as a failure from here, before the first await, so parallel attempts cannot outrun the limit;
    // every way this can fail (wrong key, bad or oversized body) stays counted.
    const bucket = `form ${clientAddress(request)}`
    this.#checkRateLimit(bucket)
    const succeeded = this.#limiter.start(bucket)
    const adminKey = stringField(await readJsonBody(request, MAX_SIGN_IN_BYTES, 'a sign-in sends { "adminKey": "usec_admin_…" } only'), 'adminKey', true)!.trim()
    let admin: string
    try {
      admin = (await this.#open(adminKey)).assertAdmin()
    }
    catch (error) {
      if (!(error instanceof SecretsError)) throw error
      // Details (the store's path, the key's public half) go to the terminal only: the browser has no session yet.
      if (['KEY_INVALID', 'NOT_ADMIN', 'ADMIN_REQUIRED'].includes(error.code)) {
        this.#logger.warn(`unplugin-secrets dashboard: a sign-in from ${clientAddress(request)} was refused: ${error.message}`)
        throw new HttpError(401, 'SIGN_IN_FAILED', SIGN_IN_FAILED_MESSAGE)
      }
      this.#logger.error(`unplugin-secrets dashboard: a sign-in could not be checked: ${error.message}`)
      throw new HttpError(statusOf(error.code), error.code, `The dev server could not check the key against its store (${error.code}); its terminal says why.`)
    }
    succeeded()
    const session = this.#startSession(request, response, admin, adminKey)
    sendJson(response, 200, { admin: session.admin })
  }

  /**
   * The store as the session's admin, checked against the admin list as it is
   * now: an admin removed meanwhile is refused (NOT_ADMIN) and signed out.
   */
  async #asAdmin(session: Session): Promise<SecretStore> {
    try {
      const store = await this.#open(session.adminKey)
      store.assertAdmin()
      return store
    }
    catch (error) {
      if (error instanceof SecretsError && ['NOT_ADMIN', 'ADMIN_REQUIRED', 'KEY_INVALID'].includes(error.code)) this.sessions.end(session)
      throw error
    }
  }

  async #list(session: Session): Promise<SecretList> {
    const store = await this.#asAdmin(session)
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

  /**
   * The dashboard's wording for a failed condition. The conditions themselves
   * are checked by the store under its file lock, against the file as it is
   * then, so two requests that saw the same state cannot both win.
   */
  #conflict(error: unknown, name: string): unknown {
    if (!(error instanceof SecretsError)) return error
    const store = this.#storeShown()
    switch (error.code) {
      case 'SECRET_EXISTS':
        return new SecretsError('SECRET_EXISTS', `${name} already exists in ${store}. Use Edit on its row to set a new value.`)
      case 'SECRET_CHANGED':
        return new SecretsError('SECRET_CHANGED', `${name} was changed by someone else since you opened this page; nothing was saved. Reload the page to see its current version, then try again.`)
      case 'SECRET_NOT_FOUND':
        return new SecretsError('SECRET_NOT_FOUND', `${name} is not in ${store} (deleted meanwhile?). Reload the page; add it again with Add New Secret.`)
      default:
        return error
    }
  }

  async #create(session: Session, body: Record<string, unknown>): Promise<{ secret: SecretInfo }> {
    const name = stringField(body, 'name', true)!
    assertSecretName(name)
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const store = await this.#asAdmin(session)
    try {
      return { secret: await store.set(name, value, { ifAbsent: true, ...(description ? { description } : {}) }) }
    }
    catch (error) {
      throw this.#conflict(error, name)
    }
  }

  async #update(session: Session, name: string, body: Record<string, unknown>): Promise<{ secret: SecretInfo }> {
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const version = versionOf(body.version)
    const store = await this.#asAdmin(session)
    try {
      return { secret: await store.set(name, value, { ifVersion: version, ...(description === undefined ? {} : { description }) }) }
    }
    catch (error) {
      throw this.#conflict(error, name)
    }
  }

  async #delete(session: Session, name: string, version: string | null): Promise<{ deleted: string }> {
    const ifVersion = versionOf(version === null ? undefined : /^\d{1,15}$/.test(version) ? Number(version) : version)
    const store = await this.#asAdmin(session)
    let deleted: boolean
    try {
      deleted = await store.delete(name, { ifVersion })
    }
    catch (error) {
      throw this.#conflict(error, name)
    }
    if (!deleted)
      throw new SecretsError('SECRET_NOT_FOUND', `${name} is not in ${this.#storeShown()} (deleted meanwhile?). Reload the page.`)
    return { deleted: name }
  }
}

/** The version an edit or delete replaces: the one the page showed (PUT body `version`, DELETE `?version=`). */
function versionOf(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new HttpError(400, 'BAD_REQUEST', 'Send the version you are replacing (PUT body "version", DELETE ?version=), as GET secrets lists it: edits and deletes are refused when someone changed the secret since.')
  return version
}
