import { execFileSync } from 'node:child_process'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { connect as http2Connect } from 'node:http2'
import { createServer as createNetServer } from 'node:net'
import { readFile, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatAdminKey, formatPublicKey, generateAdminKey } from '../../src/core/store/keys'
import { SIGN_IN_FAILED_MESSAGE } from '../../src/dashboard/messages'
import { IDLE_MS, LINK_MS, MAX_SESSIONS, SESSION_MS, Sessions } from '../../src/dashboard/sessions'
import { dist, tempDir } from '../helpers'
import { createLiveStore } from '../plugin/live-store'
import type { DevServer, TestSession } from './dev-server'
import { sessionHeaders, startDevServer } from './dev-server'

/**
 * The review's findings against the dashboard, each on a dev server of its
 * own where the rate limiter or the one-time link would otherwise make the
 * result depend on what ran before.
 */
const VALUES = { GRAFANA_API_KEY: 'grafana-value-hard-51e0', DB_PASSWORD: 'db-password-hard-8c2d' }
const stranger = () => formatAdminKey(generateAdminKey())

const signIn = (dev: DevServer, adminKey: unknown, headers: Record<string, string> = {}) =>
  dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin, ...headers }, body: { adminKey } })
/** What the page does with a link's token. */
const redeem = (dev: DevServer, token: string, headers: Record<string, string> = {}) =>
  dev.request('POST', '/__secrets/api/link', { headers: { origin: dev.origin, ...headers }, body: { token } })
const printedToken = (dev: DevServer) => new URLSearchParams(dev.linkPath().split('?')[1]).get('token')!

/** A POST whose body is sent as given, with the headers as given (Content-Length included), ended or not. */
function rawPost(dev: DevServer, path: string, headers: Record<string, string>, chunk: string, end: boolean): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port: dev.port, method: 'POST', path, headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (data: string) => { text += data })
      response.on('end', () => resolve({ status: response.statusCode!, body: text }))
    })
    outgoing.on('error', reject)
    outgoing.write(chunk)
    if (end) outgoing.end()
    else setTimeout(() => reject(new Error('no answer within 5 s while the body was still being sent')), 5000)
  })
}

describe('a web page cannot lock the admin out (finding 1)', () => {
  let dev: DevServer
  beforeAll(async () => { dev = await startDevServer(VALUES) })
  afterAll(() => dev?.close())

  it('refuses cross-site and same-site requests with 403 without counting them; wrong links and keys have their own limits; the printed link still works', async () => {
    // <img src="http://localhost:5173/__secrets/?token=x"> on any site: no Origin, but Sec-Fetch-Site.
    for (const site of ['cross-site', 'same-site']) {
      for (let i = 0; i < 6; i++) {
        const response = await dev.request('GET', '/__secrets/?token=x', { headers: { 'sec-fetch-site': site, 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' } })
        expect(response.status, site).toBe(403)
        expect(response.body).toContain(`Refused: the request came from another site (Sec-Fetch-Site: "${site}")`)
      }
      expect((await signIn(dev, stranger(), { 'sec-fetch-site': site })).status).toBe(403)
      expect((await redeem(dev, 'x', { 'sec-fetch-site': site })).status).toBe(403)
    }
    // Wrong links from this machine (no Sec-Fetch-Site, as curl; or same-origin) are limited: 5, then 429.
    const wrongLinks = []
    for (let i = 0; i < 6; i++) wrongLinks.push((await redeem(dev, 'wrong', i % 2 ? { 'sec-fetch-site': 'same-origin' } : {})).status)
    expect(wrongLinks).toEqual([401, 401, 401, 401, 401, 429])
    // Wrong keys too, in their own bucket.
    const wrongKeys = []
    for (let i = 0; i < 6; i++) wrongKeys.push((await signIn(dev, stranger())).status)
    expect(wrongKeys).toEqual([401, 401, 401, 401, 401, 429])
    // The right link is checked before the limiter.
    const redeemed = await redeem(dev, printedToken(dev), { 'sec-fetch-site': 'same-origin' })
    expect(redeemed.status).toBe(200)
    expect(String(redeemed.headers['set-cookie'])).toMatch(/^usec_session=[\w-]{43};/)
  })
})

describe('sign-in limits (findings 4 and 5; independent of test order)', () => {
  it('signs in with an admin key of this store only, and rate-limits failed sign-ins per client (429)', async () => {
    const dev = await startDevServer(VALUES)
    try {
      const notAdmin = await signIn(dev, stranger())
      expect(notAdmin.status).toBe(401)
      expect(JSON.parse(notAdmin.body).error).toEqual({ code: 'SIGN_IN_FAILED', message: SIGN_IN_FAILED_MESSAGE })
      expect(notAdmin.headers['set-cookie']).toBeUndefined()
      expect((await signIn(dev, 'usec_admin_typo')).status).toBe(401)
      for (let i = 0; i < 3; i++) expect((await signIn(dev, stranger())).status).toBe(401)
      const limited = await signIn(dev, dev.live.adminKey)
      expect(limited.status).toBe(429)
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
      expect(limited.headers['set-cookie']).toBeUndefined()
      expect(JSON.parse(limited.body).error.code).toBe('RATE_LIMITED')
    }
    finally {
      await dev.close()
    }
  })

  it('counts parallel failed sign-ins from the start: 30 at once get 5 answers and 25 × 429', async () => {
    const dev = await startDevServer(VALUES)
    try {
      const statuses = await Promise.all(Array.from({ length: 30 }, () => signIn(dev, stranger()).then(response => response.status)))
      expect(statuses.filter(status => status === 401)).toHaveLength(5)
      expect(statuses.filter(status => status === 429)).toHaveLength(25)
    }
    finally {
      await dev.close()
    }
  })

  it('a successful sign-in takes its attempt back: parallel good sign-ins do not fill the limit', async () => {
    const dev = await startDevServer(VALUES)
    try {
      const good = await Promise.all(Array.from({ length: 5 }, () => signIn(dev, dev.live.adminKey).then(response => response.status)))
      expect(good).toEqual([200, 200, 200, 200, 200])
      expect((await signIn(dev, dev.live.adminKey)).status).toBe(200)
    }
    finally {
      await dev.close()
    }
  })

  it('caps sign-in bodies at 4 KiB (refused on Content-Length before the body is read), and counts bad bodies as failures', async () => {
    const dev = await startDevServer(VALUES)
    try {
      const headers = { 'content-type': 'application/json', 'origin': dev.origin }
      // Content-Length says 8 MiB; only 1 KiB is sent and the request never ends: the answer comes anyway.
      const early = await rawPost(dev, '/__secrets/api/signin', { ...headers, 'content-length': String(8 * 1024 * 1024) }, `{"adminKey":"${'x'.repeat(1024)}`, false)
      expect(early.status).toBe(413)
      expect(JSON.parse(early.body).error).toEqual({ code: 'BAD_REQUEST', message: 'The request body is over 4 KiB; a sign-in sends { "adminKey": "usec_admin_…" } only.' })
      // Chunked, so no Content-Length: cut off while reading.
      const streamed = await rawPost(dev, '/__secrets/api/signin', { ...headers, 'transfer-encoding': 'chunked' }, JSON.stringify({ adminKey: 'x'.repeat(5000) }), true)
      expect(streamed.status).toBe(413)
      for (const body of ['{"adminKey":', '[]', '{"adminKey":42}'])
        expect((await rawPost(dev, '/__secrets/api/signin', headers, body, true)).status).toBe(400)
      // Five failed attempts: the right key now waits too.
      expect((await signIn(dev, dev.live.adminKey)).status).toBe(429)
    }
    finally {
      await dev.close()
    }
  })
})

describe('sessions, sign-in messages and the terminal (findings 6, 7, 8, 9, 10, 12, 13)', () => {
  let dev: DevServer
  beforeAll(async () => { dev = await startDevServer(VALUES, { vite: { server: { allowedHosts: true } } }) })
  afterAll(() => dev?.close())

  it('tells a visitor without a session nothing about the store; the terminal has the details, and never a key or value', async () => {
    const key = stranger()
    const failures = [await signIn(dev, key), await signIn(dev, `${dev.live.adminKey.slice(0, -2)}xx`)]
    for (const failure of failures) {
      expect(failure.status).toBe(401)
      expect(JSON.parse(failure.body).error).toEqual({ code: 'SIGN_IN_FAILED', message: SIGN_IN_FAILED_MESSAGE })
      for (const detail of [dev.dir, 'secrets.enc.json', 'test', 'usec_pub_']) expect(failure.body).not.toContain(detail)
    }
    const terminal = dev.terminal.join('\n')
    expect(terminal).toContain('unplugin-secrets dashboard: a sign-in from 127.0.0.1 was refused: Your admin key (public key usec_pub_')
    expect(terminal).toContain(`is not an admin of ${join(dev.dir, 'secrets.enc.json')}`)
    expect(terminal).toContain('is not an admin key: it has the wrong length or characters outside base64url')
    const storeText = await readFile(dev.live.store, 'utf8')
    for (const secret of [key, dev.live.adminKey, dev.live.adminKey.slice(0, -2), dev.live.key, ...Object.values(VALUES)]) {
      expect(terminal).not.toContain(secret)
      expect(storeText).not.toContain(secret)
    }
    // The banner: the URL and the link token, no key.
    expect(dev.banner.join('\n')).toMatch(/Sign in as test \(one-time link, 15 min\): http:\/\/127\.0\.0\.1:\d+\/__secrets\/\?token=[\w-]{43}/)
  })

  it('no GET or HEAD of the link spends it (a preview, a prefetch, a link checker); only the page\'s POST does', async () => {
    for (const method of ['HEAD', 'GET', 'GET']) {
      const visit = await dev.request(method, dev.linkPath())
      expect(visit.status).toBe(200)
      expect(visit.headers['set-cookie']).toBeUndefined()
    }
    const redeemed = await redeem(dev, printedToken(dev))
    expect(redeemed.status).toBe(200)
    expect(redeemed.headers['set-cookie']).toBeDefined()
  })

  it('finds the session among several usec_session cookies (one per localhost port); signing in again ends the old session', async () => {
    const first = await dev.signInWithKey(dev.live.adminKey)
    const value = first.cookie.split('=')[1]!
    const list = (cookie: string, token: string) => dev.request('GET', '/__secrets/api/secrets', { headers: { 'cookie': cookie, 'x-session-token': token } })
    expect((await list(`usec_session=from-another-port; other=1; ${first.cookie}`, first.token)).status).toBe(200)
    expect((await list(`usec_session=from-another-port`, first.token)).status).toBe(401)
    const again = await signIn(dev, dev.live.adminKey, { cookie: `usec_session=x; usec_session=${value}` })
    expect(again.status).toBe(200)
    const second = { cookie: String(again.headers['set-cookie']).split(';')[0]!, token: JSON.parse(again.body).sessionToken }
    expect(second.cookie).not.toBe(first.cookie)
    expect(second.token).not.toBe(first.token)
    expect((await list(first.cookie, first.token)).status).toBe(401)
    expect((await list(second.cookie, second.token)).status).toBe(200)
  })

  it('rechecks the admin list on every request: a removed admin\'s session gets 403 NOT_ADMIN, then is signed out', async () => {
    const bob = generateAdminKey()
    const store = await dev.openStore()
    await store.addAdmin('bob', formatPublicKey(bob.publicKey))
    const session = await dev.signInWithKey(formatAdminKey(bob))
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })).status).toBe(200)
    await store.removeAdmin('bob')
    const refused = await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body).error.code).toBe('NOT_ADMIN')
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })).status).toBe(401)
  })

  it('answers OPTIONS under /__secrets itself (before Vite\'s CORS middleware): no CORS headers, no-store, CSP', async () => {
    // Vite's default CORS allows any localhost origin: another dev server on this machine, for one.
    const preflight = await dev.request('OPTIONS', '/__secrets/api/secrets', { headers: { 'origin': 'http://localhost:3000', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-session-token,content-type' } })
    expect(preflight.status).toBe(403)
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined()
    expect(preflight.headers['cache-control']).toBe('no-store')
    const own = await dev.request('OPTIONS', '/__secrets/api/secrets', { headers: { origin: dev.origin } })
    expect(own.status).toBe(204)
    expect(own.headers['access-control-allow-origin']).toBeUndefined()
    expect(own.headers['cache-control']).toBe('no-store')
    expect(own.headers['content-security-policy']).toContain('default-src \'self\'')
  })

  it('reports a config that cannot be read (not a SecretsError) in problems instead of failing the list', async () => {
    const session = await dev.signInWithKey(dev.live.adminKey)
    // A config name linked to a Unix socket: listed by the scan, but open() fails (ENXIO). (Tests may run as root, where chmod 000 stops no read.)
    const socketPath = join(dev.dir, 'config.sock')
    const socket = createNetServer()
    await new Promise<void>(resolve => socket.listen(socketPath, resolve))
    await symlink(socketPath, join(dev.dir, 'socket.yaml'))
    try {
      const response = await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })
      expect(response.status).toBe(200)
      const list = JSON.parse(response.body)
      expect(list.problems).toEqual([{ file: 'socket.yaml', message: 'socket.yaml: could not be read (ENXIO). Check that it is a readable file, or exclude it with the plugin\'s exclude option.' }])
      expect(list.secrets.map((secret: { name: string }) => secret.name)).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY'])
    }
    finally {
      await new Promise(resolve => socket.close(resolve))
      await rm(socketPath, { force: true })
      await rm(join(dev.dir, 'socket.yaml'), { force: true })
    }
  })
})

describe('sessions and the link token in time (findings 7 and 9)', () => {
  it('a session ends after 30 idle minutes or 12 hours; expired ones are swept; at most MAX_SESSIONS, the least recently used goes first', () => {
    const sessions = new Sessions()
    const t0 = 1_000_000
    const { cookie, session } = sessions.create('alice', 'usec_admin_typed', t0)
    const use = (entry: { cookie: string, session: { token: string } }, now: number) => {
      const found = sessions.find([entry.cookie], now)
      return found !== undefined && sessions.use(found, entry.session.token, now) ? found : undefined
    }
    expect(use({ cookie, session }, t0 + IDLE_MS - 1)).toBe(session)
    expect(use({ cookie, session }, t0 + 2 * IDLE_MS - 2)).toBe(session) // use keeps it alive
    expect(sessions.use(session, `${session.token}x`, t0 + 3 * IDLE_MS - 3)).toBe(false) // a replayed cookie without the token is no use
    expect(sessions.find([cookie], t0 + 3 * IDLE_MS - 2)).toBeUndefined() // idle
    expect(session.adminKey).toBeUndefined() // the typed key is dropped with the session

    let now = t0
    const busy = sessions.create('alice', undefined, now)
    for (now = t0; now < t0 + SESSION_MS - IDLE_MS; now += IDLE_MS / 2) expect(use(busy, now)).toBe(busy.session)
    expect(sessions.find([busy.cookie], t0 + SESSION_MS)).toBeUndefined() // 12 hours, however busy

    const later = t0 + 2 * SESSION_MS
    const idle = Array.from({ length: 10 }, () => sessions.create('bob', 'usec_admin_x', later))
    expect(sessions.size(later + IDLE_MS)).toBe(0) // swept
    expect(idle.every(entry => entry.session.adminKey === undefined)).toBe(true)

    const many = Array.from({ length: MAX_SESSIONS }, (_, i) => sessions.create(`u${i}`, undefined, later + i))
    use(many[0]!, later + MAX_SESSIONS) // the oldest is used again
    sessions.create('new', undefined, later + MAX_SESSIONS + 1)
    expect(sessions.size(later + MAX_SESSIONS + 1)).toBe(MAX_SESSIONS)
    expect(sessions.find([many[0]!.cookie], later + MAX_SESSIONS + 2)).toBeDefined()
    expect(sessions.find([many[1]!.cookie], later + MAX_SESSIONS + 2)).toBeUndefined() // least recently used
  })

  it('the sign-in link works for 15 minutes, once', () => {
    const sessions = new Sessions()
    const fresh = sessions.issueLinkToken(0)
    expect(sessions.redeemLinkToken(fresh, LINK_MS - 1)).toBe(true)
    expect(sessions.redeemLinkToken(fresh, LINK_MS - 1)).toBe(false)
    const old = sessions.issueLinkToken(0)
    expect(sessions.redeemLinkToken(old, LINK_MS)).toBe(false)
    expect(sessions.redeemLinkToken(old, 1)).toBe(false) // an expired attempt spends it
  })
})

describe('concurrent writes (finding 2): the store checks under its lock', () => {
  let dev: DevServer
  let session: TestSession
  beforeAll(async () => {
    dev = await startDevServer(VALUES)
    session = await dev.signInWithLink()
  })
  afterAll(() => dev?.close())
  const headers = () => ({ ...sessionHeaders(session), origin: dev.origin })

  it('of 10 parallel adds of one new name, one wins (201) and 9 get 409 SECRET_EXISTS', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => dev.request('POST', '/__secrets/api/secrets', { headers: headers(), body: { name: 'RACE_ADD', value: `race-add-${i}` } })))
    expect(answers.map(answer => answer.status).sort()).toEqual([201, ...Array.from({ length: 9 }, () => 409)])
    for (const answer of answers.filter(a => a.status === 409))
      expect(JSON.parse(answer.body).error).toEqual({ code: 'SECRET_EXISTS', message: 'RACE_ADD already exists in secrets.enc.json. Use Edit on its row to set a new value.' })
    const store = await dev.openStore()
    expect(store.list().find(info => info.name === 'RACE_ADD')!.version).toBe(1)
    expect(store.log().filter(entry => entry.name === 'RACE_ADD').map(entry => entry.action)).toEqual(['create'])
  })

  it('of 10 parallel edits of the version the page showed, one wins and 9 get 409 SECRET_CHANGED', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => dev.request('PUT', '/__secrets/api/secrets/GRAFANA_API_KEY', { headers: headers(), body: { value: `race-edit-${i}`, version: 1 } })))
    expect(answers.map(answer => answer.status).sort()).toEqual([200, ...Array.from({ length: 9 }, () => 409)])
    expect(JSON.parse(answers.find(a => a.status === 409)!.body).error).toEqual({ code: 'SECRET_CHANGED', message: 'GRAFANA_API_KEY was changed by someone else since you opened this page; nothing was saved. Reload the page to see its current version, then try again.' })
    expect((await dev.openStore()).list().find(info => info.name === 'GRAFANA_API_KEY')!.version).toBe(2)
  })

  it('an edit racing a delete never re-creates the secret: exactly one of them wins', async () => {
    const store = await dev.openStore()
    const names = Array.from({ length: 6 }, (_, i) => `RACE_${i}`)
    await store.setMany(Object.fromEntries(names.map(name => [name, `race-value-${name}`])))
    await Promise.all(names.map(async (name) => {
      const [put, del] = await Promise.all([
        dev.request('PUT', `/__secrets/api/secrets/${name}`, { headers: headers(), body: { value: 'race-put', version: 1 } }),
        dev.request('DELETE', `/__secrets/api/secrets/${name}?version=1`, { headers: headers() }),
      ])
      const after = (await dev.openStore()).list().find(info => info.name === name)
      expect([put.status, del.status].filter(status => status === 200), name).toHaveLength(1)
      if (del.status === 200) {
        expect(after, `${name}: deleted, then re-created by the edit`).toBeUndefined()
        expect([404, 409]).toContain(put.status)
      }
      else {
        expect(after?.version).toBe(2)
        expect(JSON.parse(del.body).error.code).toBe('SECRET_CHANGED')
      }
    }))
    ;(await dev.openStore()).verify()
  })

  it('the store API: set with ifAbsent / ifVersion and delete with ifVersion, checked against the file as re-read under the lock', async () => {
    const a = await dev.openStore()
    const b = await dev.openStore() // opened before a's change: its copy is stale
    const version = a.list().find(info => info.name === 'DB_PASSWORD')!.version
    await a.set('DB_PASSWORD', 'api-value-1', { ifVersion: version })
    await expect(b.set('DB_PASSWORD', 'api-value-2', { ifVersion: version })).rejects.toMatchObject({ code: 'SECRET_CHANGED', message: expect.stringMatching(new RegExp(`^DB_PASSWORD in \\S+secrets\\.enc\\.json was changed by someone else since you read it: it is at version ${version + 1} \\(set by test\\), not ${version}; nothing was written\\. Re-read it, then try again\\.$`)) })
    await expect(b.delete('DB_PASSWORD', { ifVersion: version })).rejects.toMatchObject({ code: 'SECRET_CHANGED' })
    await expect(b.set('DB_PASSWORD', 'api-value-3', { ifAbsent: true })).rejects.toMatchObject({ code: 'SECRET_EXISTS', message: expect.stringContaining('DB_PASSWORD already exists in') })
    await expect(b.setMany({ NEW_ONE: 'n', DB_PASSWORD: { value: 'v', ifAbsent: true } })).rejects.toMatchObject({ code: 'SECRET_EXISTS' })
    expect(b.has('NEW_ONE')).toBe(false) // all or none
    expect(await b.delete('DB_PASSWORD', { ifVersion: version + 1 })).toBe(true)
    await expect(a.set('DB_PASSWORD', 'api-value-4', { ifVersion: version + 1 })).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' })
    expect(await a.delete('DB_PASSWORD', { ifVersion: version + 1 })).toBe(false)
    expect((await a.set('DB_PASSWORD', 'api-value-5', { ifAbsent: true })).version).toBe(1)
    for (const options of [{ ifVersion: 0 }, { ifVersion: 1.5 }, { ifAbsent: true, ifVersion: 1 }, { ifAbsent: 'yes' }])
      await expect(a.set('DB_PASSWORD', 'x', options as never), JSON.stringify(options)).rejects.toMatchObject({ code: 'USAGE' })
    expect(await a.get('DB_PASSWORD')).toBe('api-value-5')
  })
})

describe('server.https: Vite serves HTTP/2 (finding 3)', () => {
  let hasOpenssl = true
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
  }
  catch {
    hasOpenssl = false
  }

  it.skipIf(!hasOpenssl)('answers HTTP/2 requests by their :authority: 401 without a session, 403 for a foreign authority; the link signs in with a Secure cookie, which alone opens nothing', async () => {
    const dir = await tempDir('usec-cert-')
    // node:crypto cannot make X.509 certificates; a throw-away self-signed one for this test only.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    const https = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }
    const dev = await startDevServer(VALUES, { vite: { server: { https } } })
    const client = http2Connect(`https://127.0.0.1:${dev.port}`, { rejectUnauthorized: false })
    const h2 = (path: string, headers: Record<string, string> = {}, json?: unknown) => new Promise<{ status: number, headers: Record<string, unknown>, body: string }>((resolve, reject) => {
      const stream = client.request({ ':method': json === undefined ? 'GET' : 'POST', ':path': path, ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers })
      let status = 0
      let responseHeaders: Record<string, unknown> = {}
      let body = ''
      stream.setEncoding('utf8')
      stream.on('response', (received) => {
        status = Number(received[':status'])
        responseHeaders = received
      })
      stream.on('data', (chunk: string) => { body += chunk })
      stream.on('end', () => resolve({ status, headers: responseHeaders, body }))
      stream.on('error', reject)
      stream.end(json === undefined ? undefined : JSON.stringify(json))
    })
    try {
      const api = await h2('/__secrets/api/secrets')
      expect(api.status, api.body).toBe(401)
      expect(JSON.parse(api.body).error.code).toBe('SIGN_IN_REQUIRED')
      const foreign = await h2('/__secrets/api/secrets', { ':authority': `attacker.example:${dev.port}` })
      expect(foreign.status).toBe(403)
      const link = await h2('/__secrets/api/link', {}, { token: new URLSearchParams(dev.linkPath().split('?')[1]).get('token') })
      expect(link.status).toBe(200)
      const cookie = String(link.headers['set-cookie'])
      expect(cookie).toMatch(/; HttpOnly; SameSite=Strict; Path=\/__secrets; Secure$/)
      // The Secure cookie reaches plain-HTTP listeners on this host too (another port): alone it opens nothing.
      const replayed = await h2('/__secrets/api/secrets', { cookie: cookie.split(';')[0]! })
      expect([replayed.status, JSON.parse(replayed.body).error.code]).toEqual([401, 'SESSION_TOKEN'])
      const list = await h2('/__secrets/api/secrets', { 'cookie': cookie.split(';')[0]!, 'x-session-token': JSON.parse(link.body).sessionToken })
      expect(list.status).toBe(200)
      expect(JSON.parse(list.body).secrets.map((secret: { name: string }) => secret.name)).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY'])
    }
    finally {
      client.close()
      await dev.close()
    }
  })
})

describe('middleware mode (finding 11)', () => {
  it('mounts no dashboard without Vite\'s own HTTP server (Vitest\'s server, frameworks embedding Vite); VITEST in the environment is no signal', async () => {
    // Vitest sets VITEST in this worker, so every dev server these tests start sees it; the dashboard tests above show those still mount.
    expect(process.env.VITEST).toBeTruthy()
    const dir = await tempDir('usec-middleware-')
    const live = await createLiveStore(dir, VALUES)
    process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
    const { createServer, createLogger } = await import('vite')
    const { default: secrets } = await dist('vite')
    const server = await createServer({ root: dir, configFile: false, customLogger: createLogger('silent'), plugins: [secrets()], server: { middlewareMode: true } })
    const host = createHttpServer(server.middlewares)
    await new Promise<void>(resolve => host.listen(0, '127.0.0.1', resolve))
    try {
      const port = (host.address() as { port: number }).port
      const status = await new Promise<{ status: number, csp: unknown }>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: '/__secrets/api/secrets' }, (response) => {
          response.resume()
          response.on('end', () => resolve({ status: response.statusCode!, csp: response.headers['content-security-policy'] }))
        }).on('error', reject).end()
      })
      expect(status.status).toBe(404)
      expect(status.csp).toBeUndefined()
    }
    finally {
      await new Promise(resolve => host.close(resolve))
      await server.close()
      delete process.env.UNPLUGIN_SECRETS_KEY_DIR
    }
  })
})
