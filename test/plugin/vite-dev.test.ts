import { cp, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist, ROOT, tempDir } from '../helpers'
import { createLiveStore, waitFor } from './live-store'

let dir: string
let server: ViteDevServer
let cliSet: (name: string, value: string) => Promise<void>

beforeAll(async () => {
  dir = await tempDir('usec-vite-dev-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  await writeFile(join(dir, '.env'), 'SECRET=1\n') // before start: Vite restarts when an env file changes
  const live = await createLiveStore(dir, { GRAFANA_API_KEY: 'first-grafana', DB_PASSWORD: 'first-db', EMPTY: '', BIG: 'big' })
  cliSet = live.cliSet
  process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
  const { createServer } = await import('vite')
  const { default: secrets } = await dist('vite')
  server = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [secrets()], server: { port: 0, host: '127.0.0.1' } })
  await server.listen()
}, 60_000)

afterAll(async () => {
  await server?.close()
  delete process.env.UNPLUGIN_SECRETS_KEY_DIR
})

const baseUrl = () => `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}`

describe('vite dev server', () => {
  it('serves the new value after `unplugin-secrets set`, without a restart (YAML and JSON modules for the server)', async () => {
    const ssrYaml = async () => ((await server.ssrLoadModule('/config.yaml')).default as { grafana: { api_key: string } }).grafana.api_key
    const ssrJson = async () => ((await server.ssrLoadModule('/config.json')).default as { grafana: { api_key: string } }).grafana.api_key
    expect(await ssrYaml()).toBe('first-grafana')
    expect(await ssrJson()).toBe('first-grafana')

    await cliSet('GRAFANA_API_KEY', 'second-grafana')
    await waitFor(async () => (await ssrYaml()) === 'second-grafana')
    await waitFor(async () => (await ssrJson()) === 'second-grafana')
  }, 30_000)

  it('refuses to expand a secret into a module for the browser, and says how to fix it', async () => {
    // A request without ?import gets the file as written (references, no values): checked below.
    for (const url of ['/config.json?import', '/config.yaml?import']) {
      const response = await fetch(`${baseUrl()}${url}`)
      const body = await response.text()
      expect(response.status, url).toBe(500)
      expect(body, url).toMatch(/secret \w+ would be shipped to the browser \(client build\)\. Move the import to server code, or allow this name with client: \['\w+'\]/)
      for (const value of ['first-grafana', 'second-grafana', 'first-db']) expect(body, url).not.toContain(value)
    }
    const raw = await (await fetch(`${baseUrl()}/config.yaml`)).text()
    for (const value of ['second-grafana', 'first-db']) expect(raw).not.toContain(value)
  })

  it('does not serve the store file, and keeps Vite\'s own deny list', async () => {
    for (const url of ['/secrets.enc.json', `/@fs${join(dir, 'secrets.enc.json')}`, '/secrets.enc.json?raw', '/secrets%2Eenc.json', '/SECRETS.ENC.JSON', '/.env'])
      expect((await fetch(`${baseUrl()}${url}`)).status, url).toBe(403)
  })

  it('refuses every file the package writes: the key folder and all in it, the store\'s lock and temp files, the parse cache', async () => {
    const keyFile = (await readdir(join(dir, 'keys'))).find(name => name.endsWith('.json'))!
    await mkdir(join(dir, 'keys/history'), { recursive: true })
    await writeFile(join(dir, 'keys/history/revisions.json'), '{ "head": "a-revision-hash" }\n')
    await writeFile(join(dir, 'secrets.enc.json.lock'), '{ "pid": 1 }\n')
    await writeFile(join(dir, 'secrets.enc.json.lock.break'), '')
    await writeFile(join(dir, 'secrets.enc.json.4242.0a1b2c3d.tmp'), '{}\n')
    await mkdir(join(dir, 'node_modules/.cache/unplugin-secrets'), { recursive: true }) // the parse cache's folder for this root
    await writeFile(join(dir, 'node_modules/.cache/unplugin-secrets/entry.json'), '{ "key": "a-revision-hash" }\n')
    const refused = [
      `/keys/${keyFile}`,
      `/keys/${keyFile}?import`,
      `/keys/${keyFile}?raw`,
      `/KEYS/${keyFile.toUpperCase()}`,
      `/%6Beys/${keyFile}`,
      `/keys%2F${keyFile}`,
      `/config/../keys/./${keyFile}`,
      `/@fs${join(dir, 'keys', keyFile)}`,
      '/keys/history/revisions.json',
      '/keys/',
      '/secrets.enc.json.lock',
      '/Secrets.Enc.Json.LOCK',
      '/secrets.enc.json.lock.break',
      '/secrets.enc.json.4242.0a1b2c3d.tmp',
      '/secrets%2Eenc%2Ejson%2Elock?raw',
      '/node_modules/.cache/unplugin-secrets/entry.json',
    ]
    for (const url of refused) {
      const response = await fetch(`${baseUrl()}${url}`)
      const body = await response.text()
      expect(response.status, url).toBe(403)
      expect(body, url).not.toMatch(/usec_|storeKeys|a-revision-hash/)
    }
    // Configs are still served: the guard is about the package's own files.
    expect((await fetch(`${baseUrl()}/plain.json`)).status).toBe(200)
  })
})
