/**
 * The dashboard's request checks: random tokens and their comparison, security headers, own-origin
 * checks, the sign-in limiter.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A fresh random token: 32 bytes, base64url (sign-in links, session cookies and session tokens). */
export const randomToken = (): string => randomBytes(32).toString('base64url')

/** Compares two tokens in constant time (for equal lengths; a length mismatch says nothing about the content). */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

const CONTENT_SECURITY_POLICY = 'default-src \'self\'; script-src \'self\'; style-src \'self\'; '
  + 'img-src \'self\'; object-src \'none\'; frame-ancestors \'none\'; base-uri \'none\'; form-action \'self\''

/** Headers on every response under /__secrets/: nothing is cached, framed, sniffed or leaked through Referer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

export function setSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
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

/** The host the request names: HTTP/2's `:authority` (Vite with `server.https`), else HTTP/1's `Host`. */
function requestHost(request: IncomingMessage): string | undefined {
  const authority = request.headers[':authority']
  return typeof authority === 'string' && authority !== '' ? authority : request.headers.host
}

/**
 * Why a request did not come from the dev server's own origin, or undefined
 * when it did: its Host (HTTP/2: `:authority`) must name this server (a known
 * host name, the port the connection arrived on); an Origin, when sent, must
 * be that same host (no cross-origin page, no DNS rebinding); and a browser's
 * `Sec-Fetch-Site`, when sent, must be `same-origin` or `none` (typed or
 * pasted into the address bar), so no other site, not even another port of
 * localhost, can make a request count (an `<img>` sends no Origin).
 */
export function foreignRequest(request: IncomingMessage, configuredHosts: readonly string[]): string | undefined {
  const secure = 'encrypted' in request.socket && Boolean(request.socket.encrypted)
  const host = requestHost(request)
  const parsed = host === undefined ? undefined : parseHost(host, secure)
  if (!parsed || !hostnameAllowed(parsed.hostname, configuredHosts) || parsed.port !== request.socket.localPort)
    return `the Host header ${JSON.stringify(host ?? '')} does not name this dev server`
  const origin = request.headers.origin
  if (origin !== undefined && origin.toLowerCase() !== `${secure ? 'https' : 'http'}://${host!.toLowerCase()}`)
    return `the Origin ${JSON.stringify(origin)} is not this dev server`
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return [
      'the request came from another site (Sec-Fetch-Site:',
      `${JSON.stringify(site)}), not from the dashboard's own page`,
    ].join(' ')
  }
  return undefined
}

/**
 * Sign-in attempts per client bucket: at most `limit` failures in `windowMs`,
 * then 429 until the oldest ages out. An attempt counts from the moment it
 * starts ({@link SignInLimiter.start}), so parallel attempts cannot all pass
 * the check before the first one fails; a success takes its own back.
 */
export class SignInLimiter {
  readonly #attempts = new Map<string, { at: number }[]>()

  constructor(readonly limit = 5, readonly windowMs = 60_000) {}

  #recent(client: string, now: number): { at: number }[] {
    const recent = (this.#attempts.get(client) ?? []).filter(attempt => now - attempt.at < this.windowMs)
    if (recent.length) this.#attempts.set(client, recent)
    else this.#attempts.delete(client)
    return recent
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string, now = Date.now()): number {
    const recent = this.#recent(client, now)
    return recent.length < this.limit ? 0 : Math.max(1, Math.ceil((recent[0]!.at + this.windowMs - now) / 1000))
  }

  /** Counts a failure (an attempt that is over at once). */
  fail(client: string, now = Date.now()): void {
    this.start(client, now)
  }

  /**
   * Counts an attempt as failed from now on; call the returned function when
   * it succeeded to take it back. Synchronous, so call it before any await.
   */
  start(client: string, now = Date.now()): () => void {
    const attempt = { at: now }
    this.#attempts.set(client, [...this.#recent(client, now), attempt])
    return () => {
      const rest = (this.#attempts.get(client) ?? []).filter(entry => entry !== attempt)
      if (rest.length) this.#attempts.set(client, rest)
      else this.#attempts.delete(client)
    }
  }
}
