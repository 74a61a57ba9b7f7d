/**
 * A real Vite dev server under store churn: another process makes 200 store
 * changes (every secret set to a value tagged with its revision, and a key
 * rotation every 25 changes) while 20 clients keep requesting the config
 * module over HTTP. Every response must be a complete module whose values all
 * come from one revision — never a mix, never an error page — and the server
 * must end on the last revision.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist, tempDir } from '../helpers'
import { createLiveStore, waitFor } from '../plugin/live-store'
import { storeScript } from './harness'

const CHANGES = Number(process.env.CHURN_CHANGES ?? 200)
const CLIENTS = 20
const NAMES = Array.from({ length: 10 }, (_, i) => `S${i}`)
const valuesAt = (revision: number) => Object.fromEntries(NAMES.map(name => [name, `rev-${revision}-${name}`]))

let dir: string
let server: ViteDevServer
let live: Awaited<ReturnType<typeof createLiveStore>>

beforeAll(async () => {
  dir = await tempDir('usec-churn-')
  // Scalars of every style, aliases and a merge key, so a partial expansion would show.
  await writeFile(join(dir, 'config.yaml'), [
    ...NAMES.slice(0, 6).map(name => `${name.toLowerCase()}: \${secret.${name}}`),
    `quoted: "x \${secret.S6} y"`,
    `list: ["\${secret.S7}", '\${secret.S8}']`,
    `block: |\n  \${secret.S9}`,
    `base: &b\n  inner: \${secret.S0}/\${secret.S9}`,
    `merged:\n  <<: *b`,
  ].join('\n'))
  await writeFile(join(dir, 'index.html'), '<script type="module" src="/config.yaml"></script>')
  live = await createLiveStore(dir, valuesAt(0))
  process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
  const { createServer } = await import('vite')
  const { default: secrets } = await dist('vite')
  // client: the names may be served to the browser, so clients can fetch the module itself.
  server = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [secrets({ client: NAMES })], server: { port: 0, host: '127.0.0.1' } })
  await server.listen()
}, 60_000)

afterAll(async () => {
  await server?.close()
  delete process.env.UNPLUGIN_SECRETS_KEY_DIR
})

/** The module's data: Vite serves `const _data = JSON.parse("…")`. */
function dataOf(body: string): Record<string, unknown> {
  const match = /JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(body)
  if (!match) throw new Error(`not a config module: ${body.slice(0, 300)}`)
  return JSON.parse(JSON.parse(match[1]!) as string) as Record<string, unknown>
}

/** Every revision number that appears in the module's values. */
function revisionsIn(data: Record<string, unknown>): Set<number> {
  return new Set([...JSON.stringify(data).matchAll(/rev-(\d+)-S\d/g)].map(match => Number(match[1])))
}

describe('vite dev server under store churn', () => {
  it(`${CHANGES} store changes (a rotation every 25) while ${CLIENTS} clients request the config module: every response is whole and from one revision`, async () => {
    const url = `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}/config.yaml?import`
    expect(revisionsIn(dataOf(await (await fetch(url)).text()))).toEqual(new Set([0]))

    const writer = storeScript(`
      const store = await openStore({ path: ${JSON.stringify(live.store)} })
      const names = ${JSON.stringify(NAMES)}
      for (let revision = 1; revision <= ${CHANGES}; revision++) {
        if (revision % 25 === 0) await store.rotate()
        await store.setMany(Object.fromEntries(names.map(name => [name, 'rev-' + revision + '-' + name])))
        await new Promise(resolve => setTimeout(resolve, 5 + Math.random() * 30))
      }
    `, { UNPLUGIN_SECRETS_KEY_DIR: live.keyDir })
    let writing = true
    const finished = writer.done.finally(() => { writing = false })

    const seen = new Set<number>()
    const problems: string[] = []
    let responses = 0
    const client = async (id: number) => {
      let last = 0
      // eslint-disable-next-line no-unmodified-loop-condition -- set by the writer's promise, between the awaits below
      while (writing) {
        const response = await fetch(url)
        const body = await response.text()
        responses++
        if (response.status !== 200) {
          problems.push(`client ${id}: HTTP ${response.status}: ${body.slice(0, 300)}`)
          continue
        }
        let data: Record<string, unknown>
        try {
          data = dataOf(body)
        }
        catch (error) {
          problems.push(`client ${id}: ${(error as Error).message}`)
          continue
        }
        const revisions = revisionsIn(data)
        if (revisions.size !== 1) problems.push(`client ${id}: values from revisions ${[...revisions].join(', ')}`)
        const [revision] = revisions
        const expected = valuesAt(revision!)
        if (data.s0 !== expected.S0 || data.quoted !== `x ${expected.S6} y` || JSON.stringify(data.list) !== JSON.stringify([expected.S7, expected.S8])
          || data.block !== `${expected.S9}\n` || (data.merged as { inner: string }).inner !== `${expected.S0}/${expected.S9}`) {
          problems.push(`client ${id}: incomplete module at revision ${revision}: ${JSON.stringify(data).slice(0, 200)}`)
        }
        if (revision! < last) problems.push(`client ${id}: went back from revision ${last} to ${revision}`)
        last = Math.max(last, revision!)
        seen.add(revision!)
      }
    }
    await Promise.all([finished, ...Array.from({ length: CLIENTS }, (_, id) => client(id))])
    const result = await finished
    expect(result, result.stderr).toMatchObject({ code: 0 })

    // The server follows the store to its last revision.
    await waitFor(async () => revisionsIn(dataOf(await (await fetch(url)).text())).has(CHANGES), 20_000)
    console.log(`dev churn: ${CHANGES} changes, ${responses} responses, ${seen.size} distinct revisions served, ${problems.length} problems`)
    expect(problems.slice(0, 10)).toEqual([])
    expect(responses).toBeGreaterThan(CLIENTS * 5)
    expect(seen.size).toBeGreaterThan(10) // the clients really saw the store change under them
  }, 300_000)
})
