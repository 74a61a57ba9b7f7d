import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DevServer, TestSession } from './dev-server'
import { seen, sessionHeaders, startDevServer } from './dev-server'

const VALUES = { GRAFANA_API_KEY: 'grafana-value-7f3a9c', DB_PASSWORD: 'db-password-e41b08', EMPTY: '', BIG: 'big-value-0c5d2e' }
const ADDED = 'api-added-value-91ad4f'
const UPDATED = 'api-updated-value-2b6e77'

let dev: DevServer
let session: TestSession

beforeAll(async () => {
  // allowedHosts: true switches Vite's own Host check off, so only the dashboard's can refuse a foreign Host.
  dev = await startDevServer(VALUES, { vite: { server: { allowedHosts: true } } })
  await dev.backdate('DB_PASSWORD', 120)
  session = await dev.signInWithLink()
})

afterAll(() => dev?.close())

const writeHeaders = () => ({ ...sessionHeaders(session), origin: dev.origin })

describe('dashboard API', () => {
  it('prints the dashboard URL and a one-time sign-in link in the start-up banner', () => {
    const lines = dev.banner.join('\n')
    expect(lines).toContain(`Secrets: ${dev.origin}/__secrets/`)
    expect(lines).toMatch(new RegExp(`Sign in as test \\(one-time link, 15 min\\): ${dev.origin}/__secrets/\\?token=[\\w-]{43}\\n?`))
  })

  it('a sign-in link works once: its answer sets an HttpOnly, SameSite=Strict session cookie for /__secrets and holds the session token', async () => {
    expect(session.cookie).toMatch(/^usec_session=[\w-]{43}$/)
    expect(session.token).toMatch(/^[\w-]{43}$/)
    expect(session.token).not.toBe(session.cookie.split('=')[1])
    const first = seen.find(entry => entry.url === '/__secrets/api/link')!.result
    expect(first.status).toBe(200)
    expect(JSON.parse(first.body)).toEqual({ admin: 'test', sessionToken: session.token })
    expect(String(first.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Path=\/__secrets$/)
    const token = new URLSearchParams(dev.linkPath().split('?')[1]).get('token')
    const again = await dev.request('POST', '/__secrets/api/link', { headers: { origin: dev.origin }, body: { token } })
    expect(again.status).toBe(401)
    expect(again.headers['set-cookie']).toBeUndefined()
    expect(JSON.parse(again.body).error).toEqual({ code: 'LINK_INVALID', message: 'This sign-in link is not valid, was already used (each link works once) or is over 15 minutes old. Sign in with your admin key, or print a new link: press u and Enter in the dev server\'s terminal, or restart it.' })
  })

  it('serves one page for everyone: the same bytes with or without a session, a link in the URL or not, and no token in them', async () => {
    const plain = await dev.request('GET', '/__secrets/')
    expect(plain.status).toBe(200)
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(plain.body).toContain('<script type="module" src="/__secrets/dashboard.js"></script>')
    for (const headers of [{ cookie: session.cookie }, sessionHeaders(session)]) expect((await dev.request('GET', '/__secrets/', { headers })).body).toBe(plain.body)
    expect((await dev.request('GET', dev.linkPath())).body).toBe(plain.body)
    for (const secret of [session.token, session.cookie.split('=')[1]!, 'csrf', ...Object.keys(VALUES)]) expect(plain.body).not.toContain(secret)
    const script = await dev.request('GET', '/__secrets/dashboard.js')
    expect([script.status, script.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8'])
    const style = await dev.request('GET', '/__secrets/dashboard.css')
    expect([style.status, style.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8'])
  })

  it('answers 401 to every API endpoint without a session, and shows only the sign-in form', async () => {
    const endpoints: [string, string, unknown?][] = [
      ['GET', '/__secrets/api/secrets'],
      ['POST', '/__secrets/api/secrets', { name: 'X', value: 'x' }],
      ['PUT', '/__secrets/api/secrets/GRAFANA_API_KEY', { value: 'x' }],
      ['DELETE', '/__secrets/api/secrets/GRAFANA_API_KEY'],
      ['POST', '/__secrets/api/signout'],
      ['GET', '/__secrets/api/session'],
      ['GET', '/__secrets/api/anything-else'],
    ]
    for (const cookie of [undefined, 'usec_session=forged-or-expired']) {
      for (const [method, path, body] of endpoints) {
        const response = await dev.request(method, path, { headers: { origin: dev.origin, ...(cookie ? { cookie } : {}) }, body })
        expect(response.status, `${method} ${path}`).toBe(401)
        expect(JSON.parse(response.body).error.code).toBe('SIGN_IN_REQUIRED')
      }
    }
  })

  it('refuses a Host or Origin that is not the dev server with 403, even with a session', async () => {
    const otherPort = dev.port === 1 ? 2 : dev.port - 1
    const foreign: Record<string, string>[] = [
      // DNS rebinding: the attacker's name resolving to 127.0.0.1; to the browser the request is same-origin.
      { host: `attacker.example:${dev.port}`, origin: `http://attacker.example:${dev.port}` },
      { host: `attacker.example:${dev.port}` },
      { host: `127.0.0.1:${otherPort}`, origin: `http://127.0.0.1:${otherPort}` },
      { host: `127.0.0.1:${dev.port}`, origin: 'http://attacker.example' },
      { host: `127.0.0.1:${dev.port}`, origin: `http://localhost:${dev.port}` },
      { host: `127.0.0.1:${dev.port}`, origin: 'null' },
    ]
    for (const headers of foreign) {
      for (const [method, path] of [['GET', '/__secrets/api/secrets'], ['POST', '/__secrets/api/secrets'], ['GET', '/__secrets/']] as const) {
        const response = await dev.request(method, path, { headers: { ...sessionHeaders(session), ...headers }, body: method === 'POST' ? { name: 'FOREIGN', value: 'x' } : undefined })
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403)
        expect(response.body).toMatch(/Refused: the (Host header|Origin) .* (does not name this dev server|is not this dev server)/)
      }
    }
    // The same requests from the dev server's own origin pass.
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: writeHeaders() })).status).toBe(200)
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: { ...sessionHeaders(session), host: `localhost:${dev.port}` } })).status).toBe(200)
    expect((await dev.openStore()).list().map(info => info.name)).not.toContain('FOREIGN')
  })

  it('a cookie alone authorizes nothing: every API route refuses it without this session\'s token, or with a wrong one (401 SESSION_TOKEN)', async () => {
    const other = await dev.signInWithKey(dev.live.adminKey)
    const routes = [
      ['GET', '/__secrets/api/session'],
      ['GET', '/__secrets/api/secrets'],
      ['POST', '/__secrets/api/secrets', { name: 'REPLAYED', value: 'x' }],
      ['PUT', '/__secrets/api/secrets/BIG', { value: 'x', version: 1 }],
      ['DELETE', '/__secrets/api/secrets/BIG?version=1'],
      ['POST', '/__secrets/api/signout'],
    ] as const
    // What a program holding the stolen cookie can send: no token, guesses, the other session's token, the cookie itself.
    for (const token of [undefined, '', 'x', session.token.slice(0, -1), `${session.token}x`, other.token, session.cookie.split('=')[1]!]) {
      const headers = { cookie: session.cookie, ...(token === undefined ? {} : { 'x-session-token': token }) }
      for (const [method, path, body] of routes) {
        const response = await dev.request(method, path, { headers, body })
        expect(response.status, `${method} ${path} with ${JSON.stringify(token)}`).toBe(401)
        expect(JSON.parse(response.body).error).toEqual({ code: 'SESSION_TOKEN', message: 'Refused: this request has a session cookie but not that session\'s token (X-Session-Token). A cookie alone authorizes nothing: the dashboard page sends the token it got at sign-in. Reload the page, or sign in again.' })
      }
    }
    const store = await dev.openStore()
    expect(store.list().map(info => info.name)).not.toContain('REPLAYED')
    expect(store.list().find(info => info.name === 'BIG')!.version).toBe(1)
    // Neither session was ended by the refusals; the token of one never opens the other.
    expect((await dev.request('GET', '/__secrets/api/session', { headers: sessionHeaders(session) })).status).toBe(200)
    expect((await dev.request('GET', '/__secrets/api/session', { headers: sessionHeaders(other) })).status).toBe(200)
    expect((await dev.request('GET', '/__secrets/api/session', { headers: { ...sessionHeaders(other), cookie: session.cookie } })).status).toBe(401)
    // The terminal hears of it once per session (49 refusals here), without the cookie or a token.
    expect(dev.terminal.filter(line => line.includes('without its token'))).toEqual([
      'unplugin-secrets dashboard: a request from 127.0.0.1 carried the usec_session cookie of test\'s session without its token, and was refused. If it was not the dashboard page, a program has read the cookie (a browser sends it to every port of this host under /__secrets/): sign out and in again to end that session.',
    ])
    for (const secret of [session.cookie.split('=')[1]!, session.token, other.token]) expect(dev.terminal.join('\n')).not.toContain(secret)
  })

  it('GET session says who is signed in to which store', async () => {
    const answer = await dev.request('GET', '/__secrets/api/session', { headers: sessionHeaders(session) })
    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { admin: 'test', store: 'secrets.enc.json' }])
  })

  it('lists metadata, where each name is used (file:line), names configs reference but the store lacks, and secrets older than maxAge', async () => {
    const response = await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    const list = JSON.parse(response.body)
    expect(list).toMatchObject({ admin: 'test', store: 'secrets.enc.json', maxAgeDays: 90, missing: [], problems: [] })
    const grafana = list.secrets.find((secret: { name: string }) => secret.name === 'GRAFANA_API_KEY')
    expect(Object.keys(grafana).sort()).toEqual(['createdAt', 'name', 'stale', 'updatedAt', 'updatedBy', 'usedIn', 'version'])
    expect(grafana.usedIn).toEqual([
      { file: 'config.json', line: 4, column: 17 },
      { file: 'config.yaml', line: 4, column: 12 },
      { file: 'config.yaml', line: 5, column: 19 },
      { file: 'config.yaml', line: 8, column: 31 },
      { file: 'config.yaml', line: 14, column: 7 },
      { file: 'config.yaml', line: 17, column: 9 },
    ])
    expect(list.secrets.map((secret: { name: string, stale: boolean }) => [secret.name, secret.stale])).toEqual([['BIG', false], ['DB_PASSWORD', true], ['EMPTY', false], ['GRAFANA_API_KEY', false]])
  })

  it('reports config files it could not scan, so "where used" is known to be incomplete', async () => {
    await writeFile(join(dev.dir, 'broken.yaml'), 'token: ${ secret.GRAFANA_API_KEY }\n')
    try {
      const list = JSON.parse((await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })).body)
      expect(list.problems).toEqual([{ file: 'broken.yaml', message: 'broken.yaml:1:8: Malformed reference "${ secret.GRAFANA_API_KEY }": write ${secret.GRAFANA_API_KEY} without spaces.' }])
    }
    finally {
      await rm(join(dev.dir, 'broken.yaml'))
    }
  })

  it('a secret added, changed and deleted through the API is signed by the session\'s admin and in the audit log', async () => {
    const created = await dev.request('POST', '/__secrets/api/secrets', { headers: writeHeaders(), body: { name: 'API_TOKEN', value: ADDED, description: 'from the API' } })
    expect(created.status).toBe(201)
    expect(JSON.parse(created.body).secret).toMatchObject({ name: 'API_TOKEN', version: 1, updatedBy: 'test', description: 'from the API' })
    const again = await dev.request('POST', '/__secrets/api/secrets', { headers: writeHeaders(), body: { name: 'API_TOKEN', value: 'other' } })
    expect(again.status).toBe(409)
    expect(JSON.parse(again.body).error).toEqual({ code: 'SECRET_EXISTS', message: 'API_TOKEN already exists in secrets.enc.json. Use Edit on its row to set a new value.' })
    const updated = await dev.request('PUT', '/__secrets/api/secrets/API_TOKEN', { headers: writeHeaders(), body: { value: UPDATED, version: 1 } })
    expect(updated.status).toBe(200)
    expect(JSON.parse(updated.body).secret).toMatchObject({ name: 'API_TOKEN', version: 2, description: 'from the API' })

    const store = await dev.openStore()
    store.verify() // every audit signature and the file signature
    expect(store.log().slice(-2)).toMatchObject([{ action: 'create', name: 'API_TOKEN', admin: 'test' }, { action: 'update', name: 'API_TOKEN', admin: 'test' }])
    expect(await store.get('API_TOKEN')).toBe(UPDATED)

    const deleted = await dev.request('DELETE', '/__secrets/api/secrets/API_TOKEN?version=2', { headers: writeHeaders() })
    expect(deleted.status).toBe(200)
    const afterDelete = await dev.openStore()
    afterDelete.verify()
    expect(afterDelete.log().at(-1)).toMatchObject({ action: 'delete', name: 'API_TOKEN', admin: 'test' })
    expect((await dev.request('DELETE', '/__secrets/api/secrets/API_TOKEN?version=2', { headers: writeHeaders() })).status).toBe(404)
  })

  it('rejects bad input with the store\'s own errors and leaves the store as it was', async () => {
    const before = (await dev.openStore()).log().length
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/__secrets/api/secrets', { name: 'bad-name', value: ADDED }, 400, 'INVALID_NAME'],
      ['POST', '/__secrets/api/secrets', { name: 'OK_NAME' }, 400, 'BAD_REQUEST'],
      ['POST', '/__secrets/api/secrets', `{"name":"OK_NAME","value":"${ADDED}"`, 400, 'BAD_REQUEST'],
      ['PUT', '/__secrets/api/secrets/NOT_THERE', { value: ADDED, version: 1 }, 404, 'SECRET_NOT_FOUND'],
      ['PUT', '/__secrets/api/secrets/bad-name', { value: ADDED, version: 1 }, 400, 'INVALID_NAME'],
      ['PUT', '/__secrets/api/secrets/%E0%A4%A', { value: ADDED, version: 1 }, 400, 'BAD_REQUEST'],
      ['PUT', '/__secrets/api/secrets/BIG', { value: ADDED }, 400, 'BAD_REQUEST'],
      ['PUT', '/__secrets/api/secrets/BIG', { value: ADDED, version: '1' }, 400, 'BAD_REQUEST'],
      ['DELETE', '/__secrets/api/secrets/BIG', undefined, 400, 'BAD_REQUEST'],
      ['DELETE', '/__secrets/api/secrets/BIG?version=x', undefined, 400, 'BAD_REQUEST'],
    ]
    for (const [method, path, body, status, code] of cases) {
      const response = await dev.request(method, path, { headers: writeHeaders(), body })
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status)
      expect(JSON.parse(response.body).error.code).toBe(code)
    }
    const form = await dev.request('POST', '/__secrets/api/secrets', { headers: { ...writeHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=FORM&value=x' })
    expect(form.status).toBe(415)
    expect((await dev.openStore()).log()).toHaveLength(before)
  })

  it('signing out ends the session', async () => {
    expect((await dev.request('POST', '/__secrets/api/signout', { headers: writeHeaders() })).status).toBe(200)
    const after = await dev.request('GET', '/__secrets/api/secrets', { headers: sessionHeaders(session) })
    expect([after.status, JSON.parse(after.body).error.code]).toEqual([401, 'SIGN_IN_REQUIRED'])
  })

  it('never returns a value, and answers every request no-store; the page has the CSP', () => {
    expect(seen.length).toBeGreaterThan(60)
    const values = [...Object.values(VALUES), ADDED, UPDATED].filter(value => value.length > 0)
    for (const { url, result } of seen) {
      for (const value of values) expect(result.body, url).not.toContain(value)
      expect(result.headers['cache-control'], url).toBe('no-store')
    }
    const page = seen.find(entry => entry.url === '/__secrets/' && entry.result.status === 200)!
    expect(page.result.headers['content-security-policy']).toBe('default-src \'self\'; script-src \'self\'; style-src \'self\'; img-src \'self\'; object-src \'none\'; frame-ancestors \'none\'; base-uri \'none\'; form-action \'self\'')
  })
})

describe('start-up banner without an admin key of the store on this machine', () => {
  it('prints the URL and says to sign in with an admin key, with no link', async () => {
    const { generateAdminKey, formatAdminKey } = await import('../../src/core/store/keys')
    process.env.UNPLUGIN_SECRETS_ADMIN_KEY = formatAdminKey(generateAdminKey()) // a key, but not an admin of this store
    const other = await startDevServer({ A: 'a-value-for-no-admin' })
    try {
      const lines = other.banner.join('\n')
      expect(lines).toContain(`Secrets: ${other.origin}/__secrets/`)
      expect(lines).toContain('Sign in with your admin key (none on this machine for this store)')
      expect(lines).not.toContain('token=')
    }
    finally {
      delete process.env.UNPLUGIN_SECRETS_ADMIN_KEY
      await other.close()
    }
  })
})

describe('dashboard: false', () => {
  it('mounts no route and prints no dashboard line', async () => {
    const off = await startDevServer({ A: 'a-value-for-off' }, { plugin: { dashboard: false } })
    try {
      expect(off.banner.join('\n')).not.toContain('__secrets')
      const response = await off.request('GET', '/__secrets/api/secrets')
      expect(response.status).toBe(404)
    }
    finally {
      await off.close()
    }
  })
})
