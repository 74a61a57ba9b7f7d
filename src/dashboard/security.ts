import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A fresh random token: 32 bytes, base64url (sign-in links, sessions, CSRF). */
export const randomToken = (): string => randomBytes(32).toString('base64url')

/** Compares two tokens in constant time (for equal lengths; a length mismatch says nothing about the content). */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/** Headers on every response under /__secrets/: nothing is cached, framed, sniffed or leaked through Referer. */
export function setSecurityHeaders(response: ServerResponse): void {
  response.setHeader('Cache-Control', 'no-store')
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  response.setHeader('X-Content-Type-Options', 'nosniff')
  response.setHeader('X-Frame-Options', 'DENY')
  response.setHeader('Referrer-Policy', 'no-referrer')
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
}

/**
 * The host names a request may carry: `localhost`, IP literals (which no DNS
 * answer can rebind), and the dev server's own `server.host` and exact
 * `server.allowedHosts` entries.
 */
export function hostnameAllowed(hostname: string, configured: readonly string[]): boolean {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return bare === 'localhost' || isIP(bare) !== 0 || configured.includes(bare)
}

/** `host:port` split, the port defaulting to the scheme's. */
function parseHost(host: string, secure: boolean): { hostname: string, port: number } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host)
  if (!match) return undefined
  return { hostname: match[1]!, port: match[2] === undefined ? (secure ? 443 : 80) : Number(match[2]) }
}

/**
 * Why a request did not come from the dev server's own origin, or undefined
 * when it did: its Host must name this server (a known host name, the port
 * the connection arrived on), and an Origin, when sent, must be that same
 * host (no cross-origin page, no DNS rebinding).
 */
export function foreignRequest(request: IncomingMessage, configuredHosts: readonly string[]): string | undefined {
  const secure = 'encrypted' in request.socket && Boolean(request.socket.encrypted)
  const host = request.headers.host
  const parsed = host === undefined ? undefined : parseHost(host, secure)
  if (!parsed || !hostnameAllowed(parsed.hostname, configuredHosts) || parsed.port !== request.socket.localPort)
    return `the Host header ${JSON.stringify(host ?? '')} does not name this dev server`
  const origin = request.headers.origin
  if (origin !== undefined && origin.toLowerCase() !== `${secure ? 'https' : 'http'}://${host!.toLowerCase()}`)
    return `the Origin ${JSON.stringify(origin)} is not this dev server`
  return undefined
}

/** Failed sign-ins per client: at most `limit` in `windowMs`, then 429 until the oldest ages out. */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>()

  constructor(readonly limit = 5, readonly windowMs = 60_000) {}

  #recent(client: string, now: number): number[] {
    const recent = (this.#failures.get(client) ?? []).filter(at => now - at < this.windowMs)
    if (recent.length) this.#failures.set(client, recent)
    else this.#failures.delete(client)
    return recent
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string, now = Date.now()): number {
    const recent = this.#recent(client, now)
    return recent.length < this.limit ? 0 : Math.ceil((recent[0]! + this.windowMs - now) / 1000)
  }

  fail(client: string, now = Date.now()): void {
    this.#failures.set(client, [...this.#recent(client, now), now])
  }
}
