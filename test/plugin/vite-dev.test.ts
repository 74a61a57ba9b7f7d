import { spawn } from 'node:child_process'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, ROOT, tempDir } from '../helpers'

const dist = (entry: string) => import(pathToFileURL(join(ROOT, 'dist', `${entry}.mjs`)).href)

let dir: string
let keyDir: string
let server: ViteDevServer

/** `unplugin-secrets set NAME` in another process, as an admin in another terminal would. */
function cliSet(name: string, value: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'set', name, '--store', join(dir, 'secrets.enc.json')], { env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: keyDir }, stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(stderr))))
    child.stdin.end(value)
  })
}

beforeAll(async () => {
  dir = await tempDir('usec-vite-dev-')
  keyDir = join(dir, 'keys')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
  const { createStore } = await dist('store')
  const { storeKey, adminKey, store } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany({ GRAFANA_API_KEY: 'first-grafana', DB_PASSWORD: 'first-db', EMPTY: '', BIG: 'big' })
  await mkdir(keyDir, { recursive: true })
  await writeFile(join(keyDir, `${store.id}.json`), JSON.stringify({ storeKeys: [storeKey], adminKey }), { mode: 0o600 })
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

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

describe('vite dev server', () => {
  it('serves the new value after `unplugin-secrets set`, without a restart (YAML and JSON, server and client)', async () => {
    const ssrYaml = async () => ((await server.ssrLoadModule('/config.yaml')).default as { grafana: { api_key: string } }).grafana.api_key
    const ssrJson = async () => ((await server.ssrLoadModule('/config.json')).default as { grafana: { api_key: string } }).grafana.api_key
    const clientJson = async () => (await fetch(`${baseUrl()}/config.json?import`)).text()
    expect(await ssrYaml()).toBe('first-grafana')
    expect(await ssrJson()).toBe('first-grafana')
    expect(await clientJson()).toContain('first-grafana')

    await cliSet('GRAFANA_API_KEY', 'second-grafana')
    await waitFor(async () => (await ssrYaml()) === 'second-grafana')
    await waitFor(async () => (await ssrJson()) === 'second-grafana')
    await waitFor(async () => (await clientJson()).includes('second-grafana'))
  }, 30_000)

  it('does not serve the store file', async () => {
    const response = await fetch(`${baseUrl()}/secrets.enc.json`)
    expect(response.status).toBe(403)
    const fsResponse = await fetch(`${baseUrl()}/@fs${join(dir, 'secrets.enc.json')}`)
    expect(fsResponse.status).toBe(403)
  })
})
