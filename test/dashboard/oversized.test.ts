import type { Server } from 'node:http'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestLine } from '../../src/dashboard/oversized'
import type { DevServer } from './dev-server'
import { startDevServer } from './dev-server'

/**
 * Cookies planted by another port of the same host (cookies are shared by
 * every port) until the browser's headers pass Node's 16 KiB limit: every
 * dashboard request would answer a bare 431. Real Chromium, real dev server,
 * a real second server on another port as the planter.
 */
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const RECOVERY_HEADING = 'Your browser sent more cookies than this dev server accepts'

let dev: DevServer
let browser: Browser
let planter: Server
let planterPort: number

beforeAll(async () => {
  dev = await startDevServer({ PLANTED_TEST: 'planted-test-value-5d1e' })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  // Ten 4 KB cookies for the whole host (Path=/), HttpOnly so that no page script could remove them.
  planter = createServer((_request, response) => {
    response.setHeader('Set-Cookie', Array.from({ length: 10 }, (_, i) => `planted${i}=${'x'.repeat(4000)}; Path=/; HttpOnly`))
    response.end('planted')
  })
  await new Promise<void>(resolve => planter.listen(0, '127.0.0.1', resolve))
  planterPort = (planter.address() as { port: number }).port
})

afterAll(async () => {
  await browser?.close()
  await new Promise(resolve => planter?.close(resolve))
  await dev?.close()
})

/** One raw HTTP/1.1 request whose Cookie header is `cookieBytes` long; resolves to the whole answer as text. */
function rawRequest(method: string, path: string, cookieBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(dev.port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { answer += chunk })
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${dev.port}\r\nCookie: big=${'y'.repeat(cookieBytes)}\r\nContent-Length: 0\r\n\r\n`)
  })
}

describe('cookies planted from another port (431)', () => {
  it('the dashboard answers with a page that explains and clears the host\'s cookies; after that the admin signs in again', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(10_000)
    const link = dev.banner.find(line => line.includes('?token='))!.match(/http\S+/)![0]
    await page.goto(link)
    await page.locator('tr[data-name="PLANTED_TEST"]').waitFor()

    await page.goto(`http://127.0.0.1:${planterPort}/`)
    expect((await context.cookies()).filter(cookie => cookie.name.startsWith('planted'))).toHaveLength(10)
    const refused = await page.goto(`${dev.origin}/__secrets/`)
    expect(refused!.status()).toBe(431)
    expect(await page.locator('h1').textContent()).toBe(RECOVERY_HEADING)
    expect(refused!.headers()['cache-control']).toBe('no-store')
    expect(refused!.headers()['content-security-policy']).toContain('default-src \'self\'')

    await page.getByRole('button', { name: 'Clear this host\'s cookies and reload' }).click()
    await page.getByLabel('Admin key').waitFor()
    expect(page.url()).toBe(`${dev.origin}/__secrets/`)
    expect(await context.cookies()).toEqual([]) // the planted ones and the session cookie: the admin signs in again
    expect(dev.terminal.filter(line => line.includes('KiB of headers'))).toEqual([
      'unplugin-secrets dashboard: a browser sent over 16 KiB of headers to /__secrets/ (oversized cookies, possibly set by a page on another port of this host); it got a page that offers to clear the cookies.',
    ])
    await context.close()
  })

  it('leaves every other path and error to Vite, which answers as before', async () => {
    expect(await rawRequest('GET', '/', 20_000)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n$/)
    expect(await rawRequest('GET', '/__secretsX', 20_000)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n$/)
    expect(await rawRequest('GET /__secrets/ HTTP/1.1\r\nBad Header', '', 0)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(await rawRequest('GET', '/__secrets/api/secrets', 20_000)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[\s\S]*Content-Type: text\/html; charset=utf-8\r\n/)
  })

  it('clears only on the recovery form\'s POST, and then sends the browser back to the dashboard', async () => {
    const clear = await rawRequest('POST', '/__secrets/clear-cookies', 20_000)
    expect(clear).toMatch(/^HTTP\/1\.1 303 See Other\r\n/)
    expect(clear).toContain('\r\nLocation: /__secrets/\r\n')
    expect(clear).toContain('\r\nClear-Site-Data: "cookies"\r\n')
    for (const [method, path] of [['GET', '/__secrets/clear-cookies'], ['POST', '/__secrets/']])
      expect(await rawRequest(method!, path!, 20_000), `${method} ${path}`).not.toContain('Clear-Site-Data')
    // With headers of a normal size there is nothing to clear: the dashboard's own routes answer (a POST outside the API: 405).
    expect((await dev.request('POST', '/__secrets/clear-cookies', { headers: { origin: dev.origin } })).status).toBe(405)
  })

  it('reads the request line from the bytes Node could not parse, or nothing', () => {
    expect(requestLine(Buffer.from('GET /__secrets/?token=abc HTTP/1.1\r\nHost: x\r\nCookie: a'))).toEqual({ method: 'GET', path: '/__secrets/' })
    expect(requestLine(Buffer.from('POST /__secrets/clear-cookies HTTP/1.0\r\n'))).toEqual({ method: 'POST', path: '/__secrets/clear-cookies' })
    for (const packet of [undefined, Buffer.from('cookie-tail=xxxxxxxx\r\n'), Buffer.from('GET http://x/ HTTP/1.1\r\n'), Buffer.from('GET /__secrets/ HTTP/2\r\n')])
      expect(requestLine(packet)).toBeUndefined()
  })
})
