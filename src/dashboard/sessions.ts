/** Dashboard sessions in the dev server's memory: the one-time sign-in link, and each session's cookie and token. */
import { createHash } from 'node:crypto'
import { randomToken, tokensEqual } from './security'

export const SESSION_COOKIE = 'usec_session'
export const COOKIE_PATH = '/__secrets'
/** A session ends this long after sign-in, in use or not. */
export const SESSION_MS = 12 * 60 * 60 * 1000
/** A session ends after this long without a request. */
export const IDLE_MS = 30 * 60 * 1000
/** The one-time sign-in link works for this long after it is printed. */
export const LINK_MS = 15 * 60 * 1000
/** At most this many sessions at once; a new one ends the least recently used. */
export const MAX_SESSIONS = 50

export interface Session {
  /** The SHA-256 of the cookie: how the session is found and ended. */
  readonly id: string
  /** The admin's name in the store, when the session began. */
  admin: string
  /**
   * The admin key typed into the sign-in form, kept in this process's memory
   * only, and dropped when the session ends (sign-out, idle or absolute
   * timeout, a new sign-in with its cookie, the cap). JavaScript cannot wipe
   * a string: until the garbage collector reuses the memory, a copy of the
   * key (and of the request body it came in) may remain in the heap.
   * Undefined for a sign-in link session, which acts as the admin key found
   * on this machine (UNPLUGIN_SECRETS_ADMIN_KEY, then the key file).
   */
  adminKey: string | undefined
  /**
   * The page's half of the session: given out once, in the sign-in answer,
   * kept by the page outside cookies and sent in X-Session-Token on every
   * API call. A browser sends the cookie to every port of the host; this it
   * sends to no one.
   */
  token: string
  /** Whether a request with this session's cookie but without its token was reported to the terminal (once). */
  replayReported: boolean
  /** Absolute end. */
  expires: number
  /** Last request; the session ends IDLE_MS after it. */
  lastSeen: number
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url')

/**
 * Sessions of one dev server, in memory: a restart signs everyone out. They
 * are keyed by the SHA-256 of the cookie, so a lookup's timing depends on a
 * hash an attacker cannot steer, never on how much of a guess was right.
 */
export class Sessions {
  readonly #sessions = new Map<string, Session>()
  #link: { token: string, expires: number } | undefined

  /** Live sessions (after dropping expired and idle ones). */
  size(now = Date.now()): number {
    this.#sweep(now)
    return this.#sessions.size
  }

  /** A new one-time sign-in token, valid for LINK_MS (replacing any unused one). */
  issueLinkToken(now = Date.now()): string {
    const token = randomToken()
    this.#link = { token, expires: now + LINK_MS }
    return token
  }

  /** True once for the current, unexpired link token, compared in constant time; it is then spent. */
  redeemLinkToken(given: string, now = Date.now()): boolean {
    const link = this.#link
    if (link === undefined || !tokensEqual(given, link.token)) return false
    this.#link = undefined
    return link.expires > now
  }

  #sweep(now: number): void {
    for (const [id, session] of this.#sessions) {
      if (session.expires <= now || session.lastSeen + IDLE_MS <= now) {
        session.adminKey = undefined
        this.#sessions.delete(id)
      }
    }
  }

  /** Starts a session; resolves to the cookie value. */
  create(admin: string, adminKey: string | undefined, now = Date.now()): { cookie: string, session: Session } {
    this.#sweep(now)
    // The Map keeps insertion order and use() re-inserts: the first entry is the least recently used.
    while (this.#sessions.size >= MAX_SESSIONS) this.end(this.#sessions.values().next().value)
    const cookie = randomToken()
    const session: Session = {
      id: digest(cookie),
      admin,
      adminKey,
      token: randomToken(),
      replayReported: false,
      expires: now + SESSION_MS,
      lastSeen: now,
    }
    this.#sessions.set(session.id, session)
    return { cookie, session }
  }

  /**
   * The live session of the first cookie value that has one (a browser may
   * send several). Finding it is not using it: see {@link Sessions.use}.
   */
  find(cookies: readonly string[], now = Date.now()): Session | undefined {
    this.#sweep(now)
    for (const cookie of cookies) {
      const session = this.#sessions.get(digest(cookie))
      if (session) return session
    }
    return undefined
  }

  /**
   * True when `token` is the session's token (compared in constant time); the
   * request then counts as use. A cookie replayed without the token neither
   * passes nor keeps the session from idling out.
   */
  use(session: Session, token: string | undefined, now = Date.now()): boolean {
    if (!tokensEqual(token, session.token)) return false
    session.lastSeen = now
    // Re-inserted: the Map's first entry stays the least recently used.
    this.#sessions.delete(session.id)
    this.#sessions.set(session.id, session)
    return true
  }

  end(session: Session | undefined): void {
    if (!session) return
    session.adminKey = undefined
    this.#sessions.delete(session.id)
  }
}

/** Every session cookie value in a Cookie header (a browser sends the cookies of every localhost port). */
export function sessionCookies(header: string | undefined): string[] {
  const values: string[] = []
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE && value.length) values.push(value.join('='))
  }
  return values
}

export const setCookieHeader = (cookie: string, secure: boolean): string =>
  `${SESSION_COOKIE}=${cookie}; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}${secure ? '; Secure' : ''}`

export const clearCookieHeader = (): string =>
  `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}; Max-Age=0`
