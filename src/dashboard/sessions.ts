import { createHash } from 'node:crypto'
import { randomToken, tokensEqual } from './security'

export const SESSION_COOKIE = 'usec_session'
export const COOKIE_PATH = '/__secrets'
/** A session ends after this long, signed-in use or not. */
const SESSION_MS = 12 * 60 * 60 * 1000

export interface Session {
  /** The admin's name in the store, when the session began. */
  admin: string
  /**
   * The admin key typed into the sign-in form, kept in this process's memory
   * only; undefined for a sign-in link session, which acts as the admin key
   * found on this machine (UNPLUGIN_SECRETS_ADMIN_KEY, then the key file).
   */
  adminKey: string | undefined
  csrf: string
  expires: number
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url')

/**
 * Sessions of one dev server, in memory: a restart signs everyone out. They
 * are keyed by the SHA-256 of the cookie, so a lookup's timing depends on a
 * hash an attacker cannot steer, never on how much of a guess was right.
 */
export class Sessions {
  readonly #sessions = new Map<string, Session>()
  #linkToken: string | undefined

  /** A new one-time sign-in token (replacing any unused one). */
  issueLinkToken(): string {
    this.#linkToken = randomToken()
    return this.#linkToken
  }

  /** True once for the current link token, compared in constant time; it is then spent. */
  redeemLinkToken(given: string): boolean {
    const expected = this.#linkToken
    if (expected === undefined || !tokensEqual(given, expected)) return false
    this.#linkToken = undefined
    return true
  }

  /** Starts a session; resolves to the cookie value. */
  create(admin: string, adminKey: string | undefined, now = Date.now()): { cookie: string, session: Session } {
    const cookie = randomToken()
    const session: Session = { admin, adminKey, csrf: randomToken(), expires: now + SESSION_MS }
    this.#sessions.set(digest(cookie), session)
    return { cookie, session }
  }

  find(cookie: string | undefined, now = Date.now()): Session | undefined {
    if (!cookie) return undefined
    const key = digest(cookie)
    const session = this.#sessions.get(key)
    if (session && session.expires <= now) {
      this.#sessions.delete(key)
      return undefined
    }
    return session
  }

  end(cookie: string | undefined): void {
    if (cookie) this.#sessions.delete(digest(cookie))
  }
}

/** The session cookie's value from a Cookie header. */
export function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === SESSION_COOKIE) return value.join('=')
  }
  return undefined
}

export const setCookieHeader = (cookie: string, secure: boolean): string =>
  `${SESSION_COOKIE}=${cookie}; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}${secure ? '; Secure' : ''}`

export const clearCookieHeader = (): string =>
  `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=${COOKIE_PATH}; Max-Age=0`
