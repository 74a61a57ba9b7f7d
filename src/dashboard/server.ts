/**
 * The dashboard's routes under /__secrets/: the page's three static files,
 * sign-in, and the JSON API that a session (its cookie and its token) may call.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { relative } from 'node:path'
import { environmentCoverage } from '../core/coverage'
import { SecretsError } from '../core/errors'
import { assertSecretName } from '../core/names'
import type { EnvironmentStore } from '../core/store/locate'
import type { SecretInfo, SecretStore } from '../core/store/store'
import { openStore } from '../core/store/store'
import { HttpError, MAX_SIGN_IN_BYTES, readJsonBody, sendJson, sendText, statusOf, stringField } from './http'
import * as messages from './messages'
import type { ClientErrorSource } from './oversized'
import { answerOversizedHeaders } from './oversized'
import type { MissingByEnvironment, SecretList, SessionInfo, SignInAnswer } from './protocol'
import { API_PATH, DASHBOARD_PATH, ENVIRONMENT_PARAM, SCRIPT_FILE, SESSION_HEADER, STYLE_FILE } from './protocol'
import { foreignRequest, setSecurityHeaders, SignInLimiter } from './security'
import type { Session } from './sessions'
import { clearCookieHeader, sessionCookies, Sessions, setCookieHeader } from './sessions'
import type { UsageOptions } from './usage'
import { UsageScanner } from './usage'

export { DASHBOARD_PATH } from './protocol'

const DAY_MS = 24 * 60 * 60 * 1000

export interface DashboardOptions extends UsageOptions {
  /** The build's store: sign-in is checked against it, and the page opens on it. */
  storePath: string
  /** The stores the page can switch to, the build's among them: every environment's beside it, as they are now. */
  environments: () => EnvironmentStore[]
  /** The plugin's `key` option (else UNPLUGIN_SECRETS_KEY, then the key file). */
  key: string | undefined
  maxAge: number | false
  /** Host names besides localhost and IP literals that name this dev server. */
  hosts: string[]
  /** The dev server's terminal (Vite's logger): sign-in failures and internal errors, never a key or value. */
  logger?: { warn: (message: string) => void, error: (message: string) => void }
}

/** The page's files (built into dist/dashboard/), by the path they are served at. One page for every visitor. */
const PAGE_FILES: Record<string, { file: string, type: string }> = {
  [DASHBOARD_PATH]: { file: 'index.html', type: 'text/html' },
  [DASHBOARD_PATH + SCRIPT_FILE]: { file: SCRIPT_FILE, type: 'text/javascript' },
  [DASHBOARD_PATH + STYLE_FILE]: { file: STYLE_FILE, type: 'text/css' },
}

const SESSION_HEADER_KEY = SESSION_HEADER.toLowerCase()
const clientAddress = (request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown'
const isSecure = (request: IncomingMessage) => 'encrypted' in request.socket && Boolean(request.socket.encrypted)

function allowMethod(method: string, allowed: string, refusal: string): void {
  if (method !== allowed) throw new HttpError(405, 'METHOD_NOT_ALLOWED', refusal)
}

/**
 * The dashboard's routes under /__secrets/. Every response is no-store;
 * every request must come from the dev server's own origin.
 */
export class Dashboard {
  readonly sessions = new Sessions()
  readonly #limiter = new SignInLimiter()
  readonly #usage: UsageScanner
  readonly #pageFiles = new Map<string, Promise<string>>()
  readonly #logger: NonNullable<DashboardOptions['logger']>

  constructor(readonly options: DashboardOptions) {
    this.#usage = new UsageScanner(options)
    this.#logger = options.logger ?? {
      warn: message => console.warn(message),
      error: message => console.error(message),
    }
  }

  /**
   * The admin whose key this machine holds (env, then key file), if it is an
   * admin of the store. A store that does not open (no store key, tampered,
   * rolled back) throws its error: that is not "no admin here".
   */
  async localAdmin(): Promise<string | undefined> {
    return (await this.#open(undefined)).admin
  }

  /**
   * Answers dashboard requests whose headers Node cannot parse (431: cookies
   * planted by another port of this host) with a page that can clear them.
   */
  answerOversizedHeaders(server: ClientErrorSource): void {
    answerOversizedHeaders(server, this.#logger)
  }

  /**
   * A store as an admin key opens it (undefined: the admin key on this machine); the build's store
   * unless another is given.
   */
  #open(adminKey: string | undefined, path = this.options.storePath): Promise<SecretStore> {
    // The key option is the build's store key: another environment's store opens with its own (variable or key file).
    return openStore({ path, key: path === this.options.storePath ? this.options.key : undefined, adminKey })
  }

  /**
   * The store a secrets request is about: `?env=NAME` picks one of the stores
   * present (compared exactly, never made into a path); without it, the build's.
   */
  #storeOf(url: URL): EnvironmentStore {
    const stores = this.options.environments()
    const asked = url.searchParams.get(ENVIRONMENT_PARAM)
    const found = asked === null
      ? stores.find(store => store.path === this.options.storePath)
      : stores.find(store => store.environment === asked)
    if (!found) {
      throw new HttpError(
        404,
        'ENVIRONMENT_NOT_FOUND',
        messages.environmentNotFound(stores.map(store => store.environment)),
      )
    }
    return found
  }

  /** Connect-style middleware: answers under /__secrets, passes everything else on. */
  handle = (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid')
    if (url.pathname !== '/__secrets' && !url.pathname.startsWith(DASHBOARD_PATH)) return next()
    setSecurityHeaders(response)
    this.#route(request, response, url).catch((error: unknown) => this.#fail(request, response, url, error))
  }

  #fail(request: IncomingMessage, response: ServerResponse, url: URL, error: unknown): void {
    const known = error instanceof HttpError || error instanceof SecretsError
    const failure = error instanceof HttpError
      ? error
      : error instanceof SecretsError
        ? new HttpError(statusOf(error.code), error.code, error.message)
        : new HttpError(500, 'INTERNAL_ERROR', messages.INTERNAL_ERROR_MESSAGE)
    if (!known) {
      const detail = error instanceof Error ? error.stack ?? error.message : String(error)
      this.#logger.error(`unplugin-secrets dashboard: ${request.method} ${url.pathname} failed: ${detail}`)
    }
    if (response.headersSent) return void response.end()
    const { status, code, message, headers } = failure
    if (url.pathname.startsWith(API_PATH)) sendJson(response, status, { error: { code, message } }, headers)
    else sendText(response, status, 'text/plain', message, headers)
  }

  async #route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const foreign = foreignRequest(request, this.options.hosts)
    if (foreign) {
      throw new HttpError(
        403,
        'FOREIGN_ORIGIN',
        `Refused: ${foreign}. Open the dashboard at the URL the dev server printed.`,
      )
    }
    const path = url.pathname
    const method = request.method ?? 'GET'
    // Answered here, before Vite's CORS middleware could (the dashboard runs first): no CORS
    // headers, so no cross-origin preflight passes.
    if (method === 'OPTIONS') {
      return sendText(response, 204, 'text/plain', '', {
        Allow: path.startsWith(API_PATH) ? 'GET, POST, PUT, DELETE' : 'GET, HEAD',
      })
    }
    if (path.startsWith(API_PATH)) return this.#api(request, response, path.slice(API_PATH.length), method, url)
    if (method !== 'GET' && method !== 'HEAD')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here.`)
    if (path === '/__secrets') return sendText(response, 308, 'text/plain', '', { Location: DASHBOARD_PATH })
    const page = PAGE_FILES[path]
    if (!page) throw new HttpError(404, 'NOT_FOUND', 'Not found. The dashboard is at /__secrets/.')
    // The same bytes for everyone, signed in or not, a sign-in link too: the page asks the API for the rest.
    sendText(response, 200, page.type, await this.#pageFile(page.file))
  }

  #pageFile(file: string): Promise<string> {
    let text = this.#pageFiles.get(file)
    if (!text) {
      // Built by tsdown next to this module: dist/dashboard/.
      text = readFile(new URL(`./dashboard/${file}`, import.meta.url), 'utf8')
      this.#pageFiles.set(file, text)
    }
    return text
  }

  async #api(request: IncomingMessage, response: ServerResponse, route: string, method: string, url: URL) {
    if (route === 'signin') {
      allowMethod(method, 'POST', 'Sign in with POST.')
      return this.#keySignIn(request, response)
    }
    if (route === 'link') {
      allowMethod(method, 'POST', 'Redeem a sign-in link with POST.')
      return this.#linkSignIn(request, response)
    }
    const session = this.#authorize(request)
    if (route === 'session') {
      allowMethod(method, 'GET', 'Use GET to see who is signed in.')
      return sendJson(response, 200, { admin: session.admin, store: this.#storeShown() } satisfies SessionInfo)
    }
    if (route === 'signout') {
      allowMethod(method, 'POST', 'Sign out with POST.')
      this.sessions.end(session)
      response.setHeader('Set-Cookie', clearCookieHeader())
      return sendJson(response, 200, { signedOut: true })
    }
    if (route === 'secrets') {
      if (method === 'GET') return sendJson(response, 200, await this.#list(session, this.#storeOf(url)))
      if (method === 'POST')
        return sendJson(response, 201, await this.#create(session, this.#storeOf(url), await readJsonBody(request)))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use GET to list secrets and POST to add one.')
    }
    if (route.startsWith('secrets/'))
      return this.#secretRoute(request, response, session, route.slice('secrets/'.length), method, url)
    throw new HttpError(404, 'NOT_FOUND', `No API route ${JSON.stringify(route.slice(0, 80))}.`)
  }

  /** PUT and DELETE of one secret, named percent-encoded in the path. */
  async #secretRoute(
    request: IncomingMessage,
    response: ServerResponse,
    session: Session,
    encoded: string,
    method: string,
    url: URL,
  ): Promise<void> {
    let name: string
    try {
      name = decodeURIComponent(encoded)
    }
    catch {
      throw new HttpError(400, 'BAD_REQUEST', 'The secret name in the URL is not valid percent-encoding.')
    }
    assertSecretName(name)
    const store = this.#storeOf(url)
    if (method === 'PUT')
      return sendJson(response, 200, await this.#update(session, store, name, await readJsonBody(request)))
    if (method === 'DELETE')
      return sendJson(response, 200, await this.#delete(session, store, name, url.searchParams.get('version')))
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use PUT to set a new value and DELETE to remove the secret.')
  }

  /**
   * The session that this request's cookie and X-Session-Token open together.
   * A cookie without its token (another port of this host received it and
   * replays it) is refused, and reported to the terminal once per session.
   */
  #authorize(request: IncomingMessage): Session {
    const session = this.sessions.find(sessionCookies(request.headers.cookie))
    if (!session) throw new HttpError(401, 'SIGN_IN_REQUIRED', messages.SIGN_IN_REQUIRED_MESSAGE)
    const token = request.headers[SESSION_HEADER_KEY]
    if (this.sessions.use(session, typeof token === 'string' ? token : undefined)) return session
    if (!session.replayReported) {
      session.replayReported = true
      this.#logger.warn(messages.replayWarning(clientAddress(request), session.admin))
    }
    throw new HttpError(401, 'SESSION_TOKEN', messages.SESSION_TOKEN_MESSAGE)
  }

  #storeShown(path = this.options.storePath): string {
    return relative(this.options.root, path) || path
  }

  #checkRateLimit(bucket: string): void {
    const wait = this.#limiter.retryAfter(bucket)
    if (wait > 0)
      throw new HttpError(429, 'RATE_LIMITED', messages.rateLimitedMessage(wait), { 'Retry-After': String(wait) })
  }

  /** Starts a session: its cookie in Set-Cookie, its token in the answer's body (the only time it is sent). */
  #answerSignIn(request: IncomingMessage, response: ServerResponse, admin: string, adminKey: string | undefined): void {
    // A browser signing in again ends the session its cookie had.
    for (const cookie of sessionCookies(request.headers.cookie)) this.sessions.end(this.sessions.find([cookie]))
    const { cookie, session } = this.sessions.create(admin, adminKey)
    response.setHeader('Set-Cookie', setCookieHeader(cookie, isSecure(request)))
    sendJson(response, 200, { admin: session.admin, sessionToken: session.token } satisfies SignInAnswer)
  }

  async #linkSignIn(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJsonBody(request, MAX_SIGN_IN_BYTES, 'a link sign-in sends { "token": "…" } only')
    const token = stringField(body, 'token', true)!
    // The token is checked first: the right link works whatever else this address sent. Wrong links have
    // their own bucket, checked and counted with no await in between, so parallel guesses cannot outrun it.
    if (!this.sessions.redeemLinkToken(token)) {
      const bucket = `link ${clientAddress(request)}`
      this.#checkRateLimit(bucket)
      this.#limiter.fail(bucket)
      throw new HttpError(401, 'LINK_INVALID', messages.LINK_FAILED_MESSAGE)
    }
    const admin = await this.localAdmin()
    if (!admin) throw new HttpError(401, 'SIGN_IN_FAILED', messages.LOCAL_ADMIN_GONE_MESSAGE)
    this.#answerSignIn(request, response, admin, undefined)
  }

  async #keySignIn(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Counted as a failure from here, before the first await, so parallel attempts cannot outrun the limit;
    // every way this can fail (wrong key, bad or oversized body) stays counted.
    const bucket = `form ${clientAddress(request)}`
    this.#checkRateLimit(bucket)
    const succeeded = this.#limiter.start(bucket)
    const body = await readJsonBody(request, MAX_SIGN_IN_BYTES, 'a sign-in sends { "adminKey": "usec_admin_…" } only')
    const adminKey = stringField(body, 'adminKey', true)!.trim()
    const admin = await this.#checkAdminKey(request, adminKey)
    succeeded()
    this.#answerSignIn(request, response, admin, adminKey)
  }

  /** The admin a typed key belongs to. A refusal's details go to the terminal only: the browser has no session yet. */
  async #checkAdminKey(request: IncomingMessage, adminKey: string): Promise<string> {
    try {
      return (await this.#open(adminKey)).assertAdmin()
    }
    catch (error) {
      if (!(error instanceof SecretsError)) throw error
      if (['KEY_INVALID', 'NOT_ADMIN', 'ADMIN_REQUIRED'].includes(error.code)) {
        this.#logger.warn(
          `unplugin-secrets dashboard: a sign-in from ${clientAddress(request)} was refused: ${error.message}`,
        )
        throw new HttpError(401, 'SIGN_IN_FAILED', messages.SIGN_IN_FAILED_MESSAGE)
      }
      this.#logger.error(`unplugin-secrets dashboard: a sign-in could not be checked: ${error.message}`)
      throw new HttpError(
        statusOf(error.code),
        error.code,
        `The dev server could not check the key against its store (${error.code}); its terminal says why.`,
      )
    }
  }

  /**
   * A store as the session's admin, checked against the admin list as it is
   * now: an admin removed meanwhile from the build's store is refused
   * (NOT_ADMIN) and signed out. Another environment's store has admins and
   * keys of its own: a refusal there names the environment and ends nothing.
   */
  async #asAdmin(session: Session, { environment, path }: EnvironmentStore): Promise<SecretStore> {
    const own = path === this.options.storePath
    try {
      const store = await this.#open(session.adminKey, path)
      store.assertAdmin()
      return store
    }
    catch (error) {
      if (!(error instanceof SecretsError)) throw error
      if (!own) throw new SecretsError(error.code, messages.inEnvironment(environment, error.message))
      if (['NOT_ADMIN', 'ADMIN_REQUIRED', 'KEY_INVALID'].includes(error.code)) this.sessions.end(session)
      throw error
    }
  }

  /**
   * Every referenced name against every environment's store present (names only, read without
   * keys): the rows with a gap.
   */
  async #missingByEnvironment(referenced: Iterable<string>): Promise<MissingByEnvironment> {
    const coverage = await environmentCoverage(
      referenced,
      this.options.environments().filter(store => existsSync(store.path)),
    )
    return { environments: coverage.environments, rows: coverage.rows.filter(row => row.present.includes(false)) }
  }

  async #list(session: Session, listed: EnvironmentStore): Promise<SecretList> {
    const store = await this.#asAdmin(session, listed)
    const { byName, problems } = await this.#usage.scan()
    const maxAge = this.options.maxAge
    const now = Date.now()
    const secrets = store.list().map(info => ({
      ...info,
      stale: maxAge !== false && now - Date.parse(info.updatedAt) > maxAge * DAY_MS,
      usedIn: byName.get(info.name) ?? [],
    }))
    const missing = [...byName]
      .filter(([name]) => !store.has(name))
      .map(([name, usedIn]) => ({ name, usedIn }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
    return {
      admin: session.admin,
      store: this.#storeShown(listed.path),
      environment: listed.environment,
      environments: this.options
        .environments()
        .map(({ environment, path }) => ({ environment, store: this.#storeShown(path) })),
      missingByEnvironment: await this.#missingByEnvironment(byName.keys()),
      maxAgeDays: maxAge === false ? null : maxAge,
      secrets,
      missing,
      problems,
    }
  }

  /**
   * The dashboard's wording for a failed condition. The conditions themselves
   * are checked by the store under its file lock, against the file as it is
   * then, so two requests that saw the same state cannot both win.
   */
  #conflict(error: unknown, name: string, path: string): unknown {
    if (!(error instanceof SecretsError)) return error
    const store = this.#storeShown(path)
    switch (error.code) {
      case 'SECRET_EXISTS':
        return new SecretsError('SECRET_EXISTS', messages.conflictMessages.SECRET_EXISTS(name, store))
      case 'SECRET_CHANGED':
        return new SecretsError('SECRET_CHANGED', messages.conflictMessages.SECRET_CHANGED(name))
      case 'SECRET_NOT_FOUND':
        return new SecretsError('SECRET_NOT_FOUND', messages.conflictMessages.SECRET_NOT_FOUND(name, store))
      default:
        return error
    }
  }

  async #create(
    session: Session,
    target: EnvironmentStore,
    body: Record<string, unknown>,
  ): Promise<{ secret: SecretInfo }> {
    const name = stringField(body, 'name', true)!
    assertSecretName(name)
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const store = await this.#asAdmin(session, target)
    try {
      return { secret: await store.set(name, value, { ifAbsent: true, ...(description ? { description } : {}) }) }
    }
    catch (error) {
      throw this.#conflict(error, name, store.path)
    }
  }

  async #update(
    session: Session,
    target: EnvironmentStore,
    name: string,
    body: Record<string, unknown>,
  ): Promise<{ secret: SecretInfo }> {
    const value = stringField(body, 'value', true)!
    const description = stringField(body, 'description', false)
    const version = versionOf(body.version)
    const store = await this.#asAdmin(session, target)
    try {
      return {
        secret: await store.set(name, value, {
          ifVersion: version,
          ...(description === undefined ? {} : { description }),
        }),
      }
    }
    catch (error) {
      throw this.#conflict(error, name, store.path)
    }
  }

  async #delete(
    session: Session,
    target: EnvironmentStore,
    name: string,
    version: string | null,
  ): Promise<{ deleted: string }> {
    const ifVersion = versionOf(version === null ? undefined : /^\d{1,15}$/.test(version) ? Number(version) : version)
    const store = await this.#asAdmin(session, target)
    let deleted: boolean
    try {
      deleted = await store.delete(name, { ifVersion })
    }
    catch (error) {
      throw this.#conflict(error, name, store.path)
    }
    if (!deleted) {
      throw new SecretsError('SECRET_NOT_FOUND', [
        `${name} is not in ${this.#storeShown(store.path)} (deleted meanwhile?).`,
        'Reload the page.',
      ].join(' '))
    }
    return { deleted: name }
  }
}

/** The version an edit or delete replaces: the one the page showed (PUT body `version`, DELETE `?version=`). */
function versionOf(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new HttpError(400, 'BAD_REQUEST', messages.BAD_VERSION_MESSAGE)
  return version
}
