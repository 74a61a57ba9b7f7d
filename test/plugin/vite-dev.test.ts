import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers'
import { createLiveStore, waitFor } from './live-store'

const dist = (entry: string) => import(pathToFileURL(join(ROOT, 'dist', `${entry}.mjs`)).href)

let dir: string
let server: ViteDevServer
let cliSet: (name: string, value: string) => Promise<void>

beforeAll(async () => {
  dir = await tempDir('usec-vite-dev-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
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
