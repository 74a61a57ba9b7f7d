import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ROOT } from '../helpers'
import { waitFor } from '../plugin/live-store'
import { chromiumForTests, NO_CHROMIUM } from './chromium'
import type { DevServer } from './dev-server'
import { startDevServer } from './dev-server'

/**
 * The dashboard in a real browser: Chromium (CHROMIUM_PATH or PATH, see
 * ./chromium.ts) driven by playwright-core, one dev server and one browser for
 * the whole file; without a Chromium the tests are skipped, unless CI is set.
 * The flows build on each other in order, as an admin would use the page.
 * UNPLUGIN_SECRETS_SCREENSHOTS=1 writes the README's screenshots to docs/.
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const GRAFANA_FIRST = 'glsa_first_4f1c0e8b2d'
const GRAFANA_SECOND = 'glsa_second_9a7d3e51c6'
const DB_VALUE = 'db-password-77c2f1a0'
const SLACK_VALUE = 'https://hooks.slack.example/T000/B000/x9y8z7'
const STALE_EDIT = 'db-password-stale-edit-3e9b'
const ALL_VALUES = [GRAFANA_FIRST, GRAFANA_SECOND, DB_VALUE, SLACK_VALUE, STALE_EDIT]

const FILES = {
  'config/integrations.yaml': 'grafana:\n  url: https://grafana.example.com\n  api_key: ${secret.GRAFANA_API_KEY}\n',
  'config/alerts.yaml': 'slack:\n  webhook: ${secret.SLACK_WEBHOOK_URL}\n',
  'config/integrations.json': '{\n  "grafana": {\n    "token": "Bearer ${secret.GRAFANA_API_KEY}"\n  }\n}\n',
  'config/database.yaml': 'url: postgres://app:${secret.DB_PASSWORD}@db.internal:5432/app\n',
}

let dev: DevServer
let browser: Browser
let page: Page
let screenshots: string
/** Every body the dashboard sent to the browser. */
const bodies: { url: string, body: string }[] = []

beforeAll(async () => {
  const executablePath = chromiumForTests()
  if (!executablePath) return
  dev = await startDevServer({}, { files: FILES })
  browser = await chromium.launch({ executablePath, args: FLAGS })
  screenshots = process.env.UNPLUGIN_SECRETS_SCREENSHOTS ? join(ROOT, 'docs') : await mkdtemp(join(tmpdir(), 'usec-shots-'))
  // A context of its own, so that a second tab shares its cookies (and not its sessionStorage).
  page = await (await browser.newContext({ viewport: { width: 1100, height: 640 } })).newPage()
  page.setDefaultTimeout(10_000)
  page.on('response', async (response) => {
    if (!response.url().includes('/__secrets')) return
    bodies.push({ url: response.url(), body: await response.text().catch(() => '') })
  })
})

beforeEach(context => context.skip(!browser, NO_CHROMIUM))

afterAll(async () => {
  await browser?.close()
  await dev?.close()
})

const shot = (name: string) => page.screenshot({ path: join(screenshots, `dashboard-${name}.png`) })
const row = (name: string) => page.locator(`tr[data-name="${name}"]`)
const TOKEN_KEY = 'unplugin-secrets.session-token'
const storedToken = (tab: Page) => tab.evaluate(key => sessionStorage.getItem(key), TOKEN_KEY)
const configValue = async (file: string) => {
  const module = await dev.server.ssrLoadModule(file) as { default: { grafana: { api_key?: string, token?: string } } }
  return module.default.grafana.api_key ?? module.default.grafana.token
}

describe('dashboard in chromium', () => {
  it('a visitor without a session sees the sign-in form only, and a key that is not an admin\'s is refused', async () => {
    const stranger = await browser.newContext()
    try {
      const visit = await stranger.newPage()
      await visit.goto(`${dev.origin}/__secrets/`)
      await expect.poll(() => visit.getByLabel('Admin key').isVisible()).toBe(true)
      expect(await visit.locator('table, #add-secret').count()).toBe(0)
      expect(await visit.evaluate(async () => (await fetch('/__secrets/api/secrets')).status)).toBe(401)
      const { generateAdminKey, formatAdminKey } = await import('../../src/core/store/keys')
      await visit.getByLabel('Admin key').fill(formatAdminKey(generateAdminKey()))
      await visit.getByRole('button', { name: 'Sign in' }).click()
      await expect.poll(() => visit.locator('#signin-error').textContent()).toBe('That key is not an admin key of this store. Check that you pasted the whole usec_admin_… key of an admin of this project\'s store; the dev server\'s terminal says more.')
      expect(await visit.locator('table, #add-secret').count()).toBe(0)
      expect((await stranger.cookies()).length).toBe(0)
    }
    finally {
      await stranger.close()
    }
  })

  it('signs in through the link printed at start-up; an empty store shows the empty state and the names configs are waiting for', async () => {
    const link = dev.banner.find(line => line.includes('?token='))!.match(/http\S+/)![0]
    await page.goto(link)
    await page.locator('#empty').waitFor()
    expect(page.url()).toBe(`${dev.origin}/__secrets/`) // the token is gone from the address bar
    expect(await page.locator('.subtitle').textContent()).toContain('signed in as test')
    const cookie = (await page.context().cookies()).find(c => c.name === 'usec_session')!
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/__secrets' })
    expect(await page.locator('#missing-banner').textContent()).toContain('GRAFANA_API_KEY (config/integrations.json:3, config/integrations.yaml:3)')
    await shot('empty')
  })

  it('shows the naming rule as an invalid name is typed, and does not save it', async () => {
    await page.getByRole('button', { name: 'Add New Secret' }).click()
    const name = page.getByLabel('Name')
    await name.pressSequentially('grafana-key')
    expect(await name.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#secret-name-rule').textContent()).toBe('Invalid name: a name is a letter or _ followed by letters, digits or _ ([A-Za-z_][A-Za-z0-9_]*).')
    await page.getByLabel('Value', { exact: true }).fill('anything')
    await shot('invalid-name')
    await page.getByRole('button', { name: 'Save' }).click()
    expect(await page.locator('#secret-dialog').getAttribute('open')).toBe('')
    expect((await dev.openStore()).list()).toEqual([])
    await name.fill('GRAFANA_API_KEY')
    await name.dispatchEvent('input')
    expect(await name.getAttribute('aria-invalid')).toBe('false')
    await page.getByRole('button', { name: 'Cancel' }).click()
  })

  it('adds a secret with a masked value; the config modules served by the dev server then have it', async () => {
    await expect(configValue('/config/integrations.yaml')).rejects.toThrow(/secret GRAFANA_API_KEY is not in \S*secrets\.enc\.json/)
    await page.getByRole('button', { name: 'Add New Secret' }).click()
    await page.getByLabel('Name').fill('GRAFANA_API_KEY')
    const value = page.getByLabel('Value', { exact: true })
    await value.fill(GRAFANA_FIRST)
    expect(await value.getAttribute('type')).toBe('password')
    await page.getByRole('button', { name: 'Show value' }).click()
    expect(await value.getAttribute('type')).toBe('text')
    expect(await page.locator('#toggle-value').getAttribute('aria-pressed')).toBe('true')
    await page.getByRole('button', { name: 'Hide value' }).click()
    expect(await value.getAttribute('type')).toBe('password')
    await page.getByLabel('Description').fill('Grafana service account, read-only')
    await shot('add')
    await page.getByRole('button', { name: 'Save' }).click()
    await row('GRAFANA_API_KEY').waitFor()
    expect(await row('GRAFANA_API_KEY').locator('td').allTextContents()).toEqual(['GRAFANA_API_KEY', 'Grafana service account, read-only', '1', 'just now', 'test', 'config/integrations.json:3config/integrations.yaml:3', 'EditDelete'])

    const store = await dev.openStore()
    store.verify()
    expect(store.log().at(-1)).toMatchObject({ action: 'create', name: 'GRAFANA_API_KEY', admin: 'test' })
    await waitFor(async () => (await configValue('/config/integrations.yaml').catch(() => undefined)) === GRAFANA_FIRST)
    expect(await configValue('/config/integrations.json')).toBe(`Bearer ${GRAFANA_FIRST}`)
  })

  it('lists every secret with where it is used, and a banner for those older than maxAge', async () => {
    const store = await dev.openStore()
    await store.set('DB_PASSWORD', DB_VALUE, { description: 'Primary Postgres, app user' })
    await store.set('SLACK_WEBHOOK_URL', SLACK_VALUE, { description: 'Alerts channel' })
    await dev.backdate('SLACK_WEBHOOK_URL', 120)
    await page.reload()
    await row('SLACK_WEBHOOK_URL').waitFor()
    expect(await page.locator('tbody tr').evaluateAll(rows => rows.map(r => (r as HTMLElement).dataset.name))).toEqual(['DB_PASSWORD', 'GRAFANA_API_KEY', 'SLACK_WEBHOOK_URL'])
    expect(await row('SLACK_WEBHOOK_URL').locator('time').textContent()).toBe('4 months ago')
    expect(await row('DB_PASSWORD').locator('td.usage').textContent()).toBe('config/database.yaml:1')
    expect(await page.locator('#stale-banner').textContent()).toBe('1 secret was last set more than 90 days ago: SLACK_WEBHOOK_URL. Rotate it at the provider, then Edit to save the new value.')
    expect(await page.locator('#missing-banner').isHidden()).toBe(true)
    await shot('populated')
  })

  it('a session cookie read by a listener on another port of this host opens nothing; the page keeps its session across reloads', async () => {
    // Any local program on another port: the browser sends it the cookies of this host for /__secrets.
    const received: string[] = []
    const listener = createServer((request, response) => {
      received.push(request.headers.cookie ?? '')
      response.end('another port')
    })
    await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve))
    try {
      const otherTab = await page.context().newPage()
      await otherTab.goto(`http://127.0.0.1:${(listener.address() as { port: number }).port}/__secrets/`)
      await otherTab.close()
      const stolen = received.join('; ').split('; ').find(cookie => cookie.startsWith('usec_session='))!
      expect(stolen).toBe(`usec_session=${(await page.context().cookies()).find(c => c.name === 'usec_session')!.value}`)
      const token = await storedToken(page)
      expect(token).toMatch(/^[\w-]{43}$/)
      for (const [method, path, body] of [['GET', '/__secrets/api/session'], ['GET', '/__secrets/api/secrets'], ['POST', '/__secrets/api/secrets', { name: 'STOLEN', value: 'x' }], ['PUT', '/__secrets/api/secrets/DB_PASSWORD', { value: 'x', version: 1 }], ['DELETE', '/__secrets/api/secrets/DB_PASSWORD?version=1'], ['POST', '/__secrets/api/signout']] as const) {
        const replayed = await dev.request(method, path, { headers: { cookie: stolen }, body })
        expect([replayed.status, JSON.parse(replayed.body).error.code], `${method} ${path}`).toEqual([401, 'SESSION_TOKEN'])
      }
      // Nor does the page give the token to whoever holds the cookie.
      expect((await dev.request('GET', '/__secrets/', { headers: { cookie: stolen } })).body).not.toContain(token)
      expect((await dev.openStore()).list().map(info => [info.name, info.version])).toEqual([['DB_PASSWORD', 1], ['GRAFANA_API_KEY', 1], ['SLACK_WEBHOOK_URL', 1]])
      await page.reload()
      await row('DB_PASSWORD').waitFor()
      expect(await storedToken(page)).toBe(token)
    }
    finally {
      await new Promise(resolve => listener.close(resolve))
    }
  })

  it('a new tab has the cookie but not the token: it shows the sign-in form, and the first tab stays signed in', async () => {
    const tab = await page.context().newPage()
    await tab.goto(`${dev.origin}/__secrets/`)
    await tab.getByLabel('Admin key').waitFor()
    expect(await tab.locator('table, #add-secret').count()).toBe(0)
    expect(await storedToken(tab)).toBeNull()
    await tab.close()
    await page.reload()
    await row('DB_PASSWORD').waitFor()
  })

  it('edits with a new value only (the old one never reaches the browser); the config modules reload with it', async () => {
    await page.getByRole('button', { name: 'Edit GRAFANA_API_KEY' }).click()
    expect(await page.locator('#secret-dialog-title').textContent()).toBe('Edit GRAFANA_API_KEY')
    const value = page.getByLabel('New value')
    expect(await value.inputValue()).toBe('')
    expect(await page.getByLabel('Name').inputValue()).toBe('GRAFANA_API_KEY')
    expect(await page.getByLabel('Name').getAttribute('readonly')).toBe('')
    await value.fill(GRAFANA_SECOND)
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => row('GRAFANA_API_KEY').locator('td').nth(2).textContent()).toBe('2')
    expect((await dev.openStore()).log().at(-1)).toMatchObject({ action: 'update', name: 'GRAFANA_API_KEY', admin: 'test' })
    // Loaded before with the first value: only the plugin's hotUpdate path (store file changed) brings the new one.
    await waitFor(async () => (await configValue('/config/integrations.yaml')) === GRAFANA_SECOND)
    await waitFor(async () => (await configValue('/config/integrations.json')) === `Bearer ${GRAFANA_SECOND}`)
  })

  it('refuses an edit of a secret someone changed since the page loaded, and says to reload', async () => {
    await page.getByRole('button', { name: 'Edit DB_PASSWORD' }).click()
    // Meanwhile, in a terminal: the same secret set again (version 2).
    await (await dev.openStore()).set('DB_PASSWORD', DB_VALUE)
    await page.getByLabel('New value').fill(STALE_EDIT)
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.locator('#secret-error').textContent()).toBe('DB_PASSWORD was changed by someone else since you opened this page; nothing was saved. Reload the page to see its current version, then try again.')
    expect(await page.locator('#secret-dialog').getAttribute('open')).toBe('')
    const store = await dev.openStore()
    expect(store.list().find(info => info.name === 'DB_PASSWORD')!.version).toBe(2)
    expect(await store.get('DB_PASSWORD')).toBe(DB_VALUE)
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.reload()
    await expect.poll(() => row('DB_PASSWORD').locator('td').nth(2).textContent()).toBe('2')
  })

  it('deletes after a confirmation that names the config files that would break', async () => {
    await page.getByRole('button', { name: 'Delete GRAFANA_API_KEY' }).click()
    const dialog = page.locator('#delete-dialog')
    expect(await dialog.locator('h2').textContent()).toBe('Delete GRAFANA_API_KEY?')
    expect(await dialog.locator('#delete-text').textContent()).toContain('These config files reference GRAFANA_API_KEY and would break')
    expect(await dialog.locator('#delete-usages li').allTextContents()).toEqual(['config/integrations.json:3', 'config/integrations.yaml:3'])
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect((await dev.openStore()).list().map(info => info.name)).toContain('GRAFANA_API_KEY')

    await page.getByRole('button', { name: 'Delete GRAFANA_API_KEY' }).click()
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await row('GRAFANA_API_KEY').waitFor({ state: 'detached' })
    const store = await dev.openStore()
    expect(store.list().map(info => info.name)).toEqual(['DB_PASSWORD', 'SLACK_WEBHOOK_URL'])
    expect(store.log().at(-1)).toMatchObject({ action: 'delete', name: 'GRAFANA_API_KEY', admin: 'test' })
    expect(await page.locator('#missing-banner').textContent()).toContain('GRAFANA_API_KEY (config/integrations.json:3, config/integrations.yaml:3)')
  })

  it('is keyboard operable: Enter opens the dialog on its first field, Escape closes it and gives focus back', async () => {
    await page.getByRole('button', { name: 'Add New Secret' }).focus()
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret-name')
    await page.keyboard.type('KEYBOARD_ONLY')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret-value')
    await page.keyboard.press('Escape')
    expect(await page.locator('#secret-dialog').getAttribute('open')).toBeNull()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('add-secret')
  })

  it('shows an error state when the store cannot be read, and recovers with Try again', async () => {
    const original = await readFile(dev.live.store, 'utf8')
    await writeFile(dev.live.store, original.replace('Alerts channel', 'Alerts channel!'))
    await page.reload()
    await page.locator('#load-error').waitFor()
    expect(await page.locator('#load-error-text').textContent()).toMatch(/^Could not load the secrets: .*secrets\.enc\.json: its content does not match the signature/)
    await shot('error')
    await writeFile(dev.live.store, original)
    await page.getByRole('button', { name: 'Try again' }).click()
    await row('SLACK_WEBHOOK_URL').waitFor()
  })

  it('signs out: the session ends, the tab forgets its token and the page is the sign-in form again', async () => {
    expect(await storedToken(page)).not.toBeNull()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin key').waitFor()
    expect(await storedToken(page)).toBeNull()
    expect((await page.context().cookies()).filter(cookie => cookie.name === 'usec_session')).toEqual([])
    expect(await page.locator('table, #add-secret').count()).toBe(0)
    expect(await page.evaluate(async () => (await fetch('/__secrets/api/secrets')).status)).toBe(401)
  })

  it('never sent a stored value to the browser', async () => {
    expect(bodies.length).toBeGreaterThan(15)
    for (const { url, body } of bodies) {
      for (const value of ALL_VALUES) expect(body, url).not.toContain(value)
    }
  })
})
