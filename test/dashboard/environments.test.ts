/**
 * The dashboard with one store per environment: its API lists and changes
 * the store `?env=` names (never a path), a store this machine cannot open as
 * an admin is refused with the environment and its admins named (the session
 * goes on), and in a real Chromium the page switches environments and shows
 * the names missing per environment. UNPLUGIN_SECRETS_SCREENSHOTS=1 writes
 * docs/dashboard-environments.png.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecretStore } from '../../src/core/store/store'
import { dist, ROOT } from '../helpers'
import { chromiumForTests, NO_CHROMIUM } from './chromium'
import type { DevServer, TestSession } from './dev-server'
import { sessionHeaders, startDevServer } from './dev-server'

const DEFAULT_GRAFANA = 'default-grafana-value-61c0'
const PRODUCTION = { GRAFANA_API_KEY: 'production-grafana-value-2d9e', DB_PASSWORD: 'production-db-value-88a1' }
const ADDED = 'production-added-value-5f3b'
const BROWSER_ADDED = 'production-browser-value-0e7c'
const ALL_VALUES = [DEFAULT_GRAFANA, ...Object.values(PRODUCTION), ADDED, BROWSER_ADDED]

const FILES = {
  'config/integrations.yaml': 'grafana:\n  api_key: ${secret.GRAFANA_API_KEY}\n',
  'config/database.yaml': 'url: postgres://app:${secret.DB_PASSWORD}@db.internal:5432/app\n',
}

let dev: DevServer
let session: TestSession

/**
 * Another environment's store beside the build's. `keys`: what this machine's
 * key file holds for it (the admin key of the dev server's admin, the store key only, or nothing).
 */
async function environmentStore(environment: string, admin: string, keys: 'admin' | 'read' | 'none', values: Record<string, string> = {}): Promise<void> {
  const { createStore } = await dist('store')
  const adminKey = keys === 'admin' ? dev.live.adminKey : undefined
  const created = await createStore({ path: join(dev.dir, `secrets.${environment}.enc.json`), admin, ...(adminKey ? { adminKey } : {}) })
  await created.store.setMany(values)
  if (keys === 'none') return
  const file = { storeKeys: [created.storeKey], ...(keys === 'admin' ? { adminKey: created.adminKey } : {}) }
  await writeFile(join(dev.live.keyDir, `${created.store.id}.json`), JSON.stringify(file), { mode: 0o600 })
}

beforeAll(async () => {
  dev = await startDevServer({ GRAFANA_API_KEY: DEFAULT_GRAFANA }, { files: FILES })
  await environmentStore('production', 'test', 'admin', PRODUCTION)
  await environmentStore('staging', 'carol', 'read')
  await environmentStore('qa', 'quinn', 'none')
  session = await dev.signInWithLink()
})

afterAll(() => dev?.close())

const api = (method: string, path: string, body?: unknown) =>
  dev.request(method, `/__secrets/api/${path}`, { headers: { ...sessionHeaders(session), origin: dev.origin }, ...(body === undefined ? {} : { body }) })

const namesIn = async (environment: string) => {
  const { openStore } = await dist('store')
  return ((await openStore({ path: join(dev.dir, `secrets.${environment}.enc.json`) })) as SecretStore).list().map(info => info.name)
}

describe('dashboard API with environments', () => {
  it('lists the build\'s store by default, every store present, and the referenced names each environment lacks', async () => {
    const answer = await api('GET', 'secrets')
    expect(answer.status).toBe(200)
    const list = JSON.parse(answer.body)
    expect(list).toMatchObject({ store: 'secrets.enc.json', environment: 'default' })
    expect(list.secrets.map((secret: { name: string }) => secret.name)).toEqual(['GRAFANA_API_KEY'])
    expect(list.environments).toEqual([
      { environment: 'default', store: 'secrets.enc.json' },
      { environment: 'production', store: 'secrets.production.enc.json' },
      { environment: 'qa', store: 'secrets.qa.enc.json' },
      { environment: 'staging', store: 'secrets.staging.enc.json' },
    ])
    expect(list.missingByEnvironment).toEqual({
      environments: ['default', 'production', 'qa', 'staging'],
      rows: [
        { name: 'DB_PASSWORD', present: [false, true, false, false] },
        { name: 'GRAFANA_API_KEY', present: [true, true, false, false] },
      ],
    })
  })

  it('?env=production lists and changes that store only', async () => {
    const list = JSON.parse((await api('GET', 'secrets?env=production')).body)
    expect(list).toMatchObject({ store: 'secrets.production.enc.json', environment: 'production', missing: [] })
    expect(list.secrets.map((secret: { name: string }) => secret.name)).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY'])
    const added = await api('POST', 'secrets?env=production', { name: 'NEW_TOKEN', value: ADDED })
    expect(added.status, added.body).toBe(201)
    expect(await namesIn('production')).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY', 'NEW_TOKEN'])
    expect(JSON.parse((await api('GET', 'secrets')).body).secrets.map((secret: { name: string }) => secret.name)).toEqual(['GRAFANA_API_KEY'])
    const version = JSON.parse(added.body).secret.version
    expect((await api('DELETE', `secrets/NEW_TOKEN?version=${version}&env=production`)).status).toBe(200)
    expect(await namesIn('production')).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY'])
  })

  it('a store this machine cannot change, or cannot read, is refused naming the environment and its admins; the session goes on', async () => {
    const staging = await api('GET', 'secrets?env=staging')
    expect(staging.status).toBe(403)
    expect(JSON.parse(staging.body).error).toMatchObject({ code: 'ADMIN_REQUIRED', message: expect.stringMatching(/^Environment staging: Changing .*secrets\.staging\.enc\.json needs an admin key\. .* Its admins: carol\.$/) })
    const qa = await api('GET', 'secrets?env=qa')
    expect(qa.status).toBe(403)
    expect(JSON.parse(qa.body).error).toMatchObject({ code: 'KEY_MISSING', message: expect.stringMatching(/^Environment qa: No store key for .*secrets\.qa\.enc\.json .*Its admins can give you access: quinn\./) })
    expect((await api('GET', 'secrets')).status).toBe(200)
  })

  it('?env= names a store present, compared exactly: never a path, never another name', async () => {
    for (const asked of ['nope', '../secrets', 'PRODUCTION', '/etc/passwd', 'production/', '']) {
      const answer = await api('GET', `secrets?env=${encodeURIComponent(asked)}`)
      expect(answer.status, asked).toBe(404)
      expect(JSON.parse(answer.body).error, asked).toEqual({ code: 'ENVIRONMENT_NOT_FOUND', message: 'No such environment here. The stores present are: default, production, qa, staging. Create another with unplugin-secrets init --env NAME, then reload the page.' })
    }
  })
})

describe('dashboard in chromium with environments', () => {
  let browser: Browser | undefined
  let page: Page

  beforeAll(async () => {
    const executablePath = chromiumForTests()
    if (!executablePath) return
    browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
    page = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage()
    page.setDefaultTimeout(10_000)
  })

  afterAll(() => browser?.close())

  it('switches environments, shows the names missing per environment, and adds a secret to the environment shown', async (context) => {
    context.skip(!browser, NO_CHROMIUM)
    dev.server.printUrls() // a fresh one-time link
    await page.goto(`${dev.origin}${dev.linkPath()}`)
    await page.locator('#secrets-table').waitFor()
    const switcher = page.getByLabel('Environment')
    expect(await switcher.inputValue()).toBe('default')
    expect(await switcher.locator('option').allTextContents()).toEqual(['default', 'production', 'qa', 'staging'])
    const missing = page.locator('#missing-by-environment')
    await missing.waitFor()
    expect(await missing.locator('th').allTextContents()).toEqual(['Name', 'default', 'production', 'qa', 'staging'])
    expect(await missing.locator('tr[data-missing-name="DB_PASSWORD"] td').allTextContents()).toEqual(['DB_PASSWORD', 'missing', 'ok', 'missing', 'missing'])

    await switcher.selectOption('production')
    await expect.poll(() => page.locator('.subtitle code').textContent()).toBe('secrets.production.enc.json')
    await page.locator('tr[data-name="DB_PASSWORD"]').first().waitFor()
    expect(await page.locator('#secrets-body tr').evaluateAll(rows => rows.map(row => (row as HTMLElement).dataset.name))).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY'])
    if (process.env.UNPLUGIN_SECRETS_SCREENSHOTS) await page.screenshot({ path: join(ROOT, 'docs/dashboard-environments.png') })
    else await page.screenshot({ path: join(await mkdtemp(join(tmpdir(), 'usec-shots-')), 'environments.png') })

    await page.getByRole('button', { name: 'Add New Secret' }).click()
    await page.getByLabel('Name').fill('BROWSER_TOKEN')
    await page.getByLabel('Value', { exact: true }).fill(BROWSER_ADDED)
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('#secrets-body tr[data-name="BROWSER_TOKEN"]').waitFor()
    expect(await namesIn('production')).toEqual(['BROWSER_TOKEN', 'DB_PASSWORD', 'GRAFANA_API_KEY'])
    expect(JSON.parse((await api('GET', 'secrets')).body).secrets.map((secret: { name: string }) => secret.name)).toEqual(['GRAFANA_API_KEY'])

    await switcher.selectOption('staging')
    await expect.poll(() => page.locator('#load-error-text').textContent()).toMatch(/^Could not load the secrets: Environment staging: .* Its admins: carol\.$/)
    await switcher.selectOption('default')
    await page.locator('#secrets-body tr[data-name="GRAFANA_API_KEY"]').waitFor()
    expect(await page.locator('.subtitle code').textContent()).toBe('secrets.enc.json')
    const html = await page.content()
    for (const value of ALL_VALUES) expect(html).not.toContain(value)
  })
})
