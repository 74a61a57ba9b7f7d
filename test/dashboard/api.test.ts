import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DevServer } from './dev-server'
import { seen, startDevServer } from './dev-server'

const VALUES = { GRAFANA_API_KEY: 'grafana-value-7f3a9c', DB_PASSWORD: 'db-password-e41b08', EMPTY: '', BIG: 'big-value-0c5d2e' }
const ADDED = 'api-added-value-91ad4f'
const UPDATED = 'api-updated-value-2b6e77'

let dev: DevServer
let session: { cookie: string, csrf: string }

beforeAll(async () => {
  // allowedHosts: true switches Vite's own Host check off, so only the dashboard's can refuse a foreign Host.
  dev = await startDevServer(VALUES, { vite: { server: { allowedHosts: true } } })
  await dev.backdate('DB_PASSWORD', 120)
  session = await dev.signInWithLink()
})

afterAll(() => dev?.close())

const writeHeaders = () => ({ cookie: session.cookie, 'x-csrf-token': session.csrf, origin: dev.origin })

describe('dashboard API', () => {
  it('prints the dashboard URL and a one-time sign-in link in the start-up banner', () => {
    const lines = dev.banner.join('\n')
    expect(lines).toContain(`Secrets: ${dev.origin}/__secrets/`)
    expect(lines).toMatch(new RegExp(`Sign in as test \\(one-time link\\): ${dev.origin}/__secrets/\\?token=[\\w-]{43}\\n?`))
  })

  it('a sign-in link works once, and sets an HttpOnly, SameSite=Strict session cookie for /__secrets', async () => {
    expect(session.cookie).toMatch(/^usec_session=[\w-]{43}$/)
    const first = seen.find(entry => entry.url.includes('?token='))!.result
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/__secrets/')
    expect(String(first.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Path=\/__secrets$/)
    const again = await dev.request('GET', seen.find(entry => entry.url.includes('?token='))!.url)
    expect(again.status).toBe(401)
    expect(again.headers['set-cookie']).toBeUndefined()
    expect(again.body).toContain('not valid or was already used')
  })

  it('answers 401 to every API endpoint without a session, and shows only the sign-in form', async () => {
    const endpoints: [string, string, unknown?][] = [
      ['GET', '/__secrets/api/secrets'],
      ['POST', '/__secrets/api/secrets', { name: 'X', value: 'x' }],
      ['PUT', '/__secrets/api/secrets/GRAFANA_API_KEY', { value: 'x' }],
      ['DELETE', '/__secrets/api/secrets/GRAFANA_API_KEY'],
      ['POST', '/__secrets/api/signout'],
      ['GET', '/__secrets/api/anything-else'],
    ]
    for (const cookie of [undefined, 'usec_session=forged-or-expired']) {
      for (const [method, path, body] of endpoints) {
        const response = await dev.request(method, path, { headers: { origin: dev.origin, ...(cookie ? { cookie } : {}) }, body })
        expect(response.status, `${method} ${path}`).toBe(401)
        expect(JSON.parse(response.body).error.code).toBe('SIGN_IN_REQUIRED')
      }
    }
    const page = await dev.request('GET', '/__secrets/')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<label for="admin-key">Admin key</label>')
    for (const name of Object.keys(VALUES)) expect(page.body).not.toContain(name)
    expect(page.body).not.toContain('csrf-token')
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
        const response = await dev.request(method, path, { headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...headers }, body: method === 'POST' ? { name: 'FOREIGN', value: 'x' } : undefined })
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403)
        expect(response.body).toMatch(/Refused: the (Host header|Origin) .* (does not name this dev server|is not this dev server)/)
      }
    }
    // The same requests from the dev server's own origin pass.
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: writeHeaders() })).status).toBe(200)
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: { cookie: session.cookie, host: `localhost:${dev.port}` } })).status).toBe(200)
    expect((await dev.openStore()).list().map(info => info.name)).not.toContain('FOREIGN')
  })

  it('refuses writes without this session\'s CSRF token with 403', async () => {
    const other = await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: dev.live.adminKey } })
    const otherCookie = String(other.headers['set-cookie']).split(';')[0]!
    const otherCsrf = (await dev.request('GET', '/__secrets/', { headers: { cookie: otherCookie } })).body.match(/name="csrf-token" content="([^"]+)"/)![1]!
    for (const token of [undefined, '', 'x', session.csrf.slice(0, -1), otherCsrf]) {
      const headers = { cookie: session.cookie, origin: dev.origin, ...(token === undefined ? {} : { 'x-csrf-token': token }) }
      for (const [method, path, body] of [['POST', '/__secrets/api/secrets', { name: 'CSRF_TEST', value: 'x' }], ['PUT', '/__secrets/api/secrets/BIG', { value: 'x' }], ['DELETE', '/__secrets/api/secrets/BIG'], ['POST', '/__secrets/api/signout']] as const) {
        const response = await dev.request(method, path, { headers, body })
        expect(response.status, `${method} ${path} with ${JSON.stringify(token)}`).toBe(403)
        expect(JSON.parse(response.body).error.code).toBe('CSRF_TOKEN')
      }
    }
    const names = (await dev.openStore()).list()
    expect(names.map(info => info.name)).not.toContain('CSRF_TEST')
    expect(names.find(info => info.name === 'BIG')!.version).toBe(1)
  })

  it('lists metadata, where each name is used (file:line), names configs reference but the store lacks, and secrets older than maxAge', async () => {
    const response = await dev.request('GET', '/__secrets/api/secrets', { headers: { cookie: session.cookie } })
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
      const list = JSON.parse((await dev.request('GET', '/__secrets/api/secrets', { headers: { cookie: session.cookie } })).body)
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
    const updated = await dev.request('PUT', '/__secrets/api/secrets/API_TOKEN', { headers: writeHeaders(), body: { value: UPDATED } })
    expect(updated.status).toBe(200)
    expect(JSON.parse(updated.body).secret).toMatchObject({ name: 'API_TOKEN', version: 2, description: 'from the API' })

    const store = await dev.openStore()
    store.verify() // every audit signature and the file signature
    expect(store.log().slice(-2)).toMatchObject([{ action: 'create', name: 'API_TOKEN', admin: 'test' }, { action: 'update', name: 'API_TOKEN', admin: 'test' }])
    expect(await store.get('API_TOKEN')).toBe(UPDATED)

    const deleted = await dev.request('DELETE', '/__secrets/api/secrets/API_TOKEN', { headers: writeHeaders() })
    expect(deleted.status).toBe(200)
    const afterDelete = await dev.openStore()
    afterDelete.verify()
    expect(afterDelete.log().at(-1)).toMatchObject({ action: 'delete', name: 'API_TOKEN', admin: 'test' })
    expect((await dev.request('DELETE', '/__secrets/api/secrets/API_TOKEN', { headers: writeHeaders() })).status).toBe(404)
  })

  it('rejects bad input with the store\'s own errors and leaves the store as it was', async () => {
    const before = (await dev.openStore()).log().length
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/__secrets/api/secrets', { name: 'bad-name', value: ADDED }, 400, 'INVALID_NAME'],
      ['POST', '/__secrets/api/secrets', { name: 'OK_NAME' }, 400, 'BAD_REQUEST'],
      ['POST', '/__secrets/api/secrets', `{"name":"OK_NAME","value":"${ADDED}"`, 400, 'BAD_REQUEST'],
      ['PUT', '/__secrets/api/secrets/NOT_THERE', { value: ADDED }, 404, 'SECRET_NOT_FOUND'],
      ['PUT', '/__secrets/api/secrets/bad-name', { value: ADDED }, 400, 'INVALID_NAME'],
      ['PUT', '/__secrets/api/secrets/%E0%A4%A', { value: ADDED }, 400, 'BAD_REQUEST'],
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

  it('signs in with an admin key of this store only, and rate-limits failed sign-ins per client (429)', async () => {
    const { generateAdminKey, formatAdminKey } = await import('../../src/core/store/keys')
    const stranger = formatAdminKey(generateAdminKey())
    const notAdmin = await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: stranger } })
    expect(notAdmin.status).toBe(401)
    expect(JSON.parse(notAdmin.body).error).toMatchObject({ code: 'SIGN_IN_FAILED', message: expect.stringMatching(/is not an admin of .*secrets\.enc\.json/) })
    expect(notAdmin.headers['set-cookie']).toBeUndefined()
    const malformed = await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: 'usec_admin_typo' } })
    expect(malformed.status).toBe(401)
    // With the earlier used link, that makes 3 failures; 2 more reach the limit of 5 per minute.
    for (let i = 0; i < 2; i++) expect((await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: stranger } })).status).toBe(401)
    const limited = await dev.request('POST', '/__secrets/api/signin', { headers: { origin: dev.origin }, body: { adminKey: dev.live.adminKey } })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['set-cookie']).toBeUndefined()
    expect(JSON.parse(limited.body).error.code).toBe('RATE_LIMITED')
  })

  it('signing out ends the session', async () => {
    expect((await dev.request('POST', '/__secrets/api/signout', { headers: writeHeaders() })).status).toBe(200)
    expect((await dev.request('GET', '/__secrets/api/secrets', { headers: { cookie: session.cookie } })).status).toBe(401)
  })

  it('never returns a value, and answers every request no-store; the page has the CSP', () => {
    expect(seen.length).toBeGreaterThan(60)
    const values = [...Object.values(VALUES), ADDED, UPDATED].filter(value => value.length > 0)
    for (const { url, result } of seen) {
      for (const value of values) expect(result.body, url).not.toContain(value)
      expect(result.headers['cache-control'], url).toBe('no-store')
    }
    const page = seen.find(entry => entry.url === '/__secrets/' && entry.result.status === 200)!
    expect(page.result.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
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
