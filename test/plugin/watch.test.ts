import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, it } from 'vitest'
import { webpackLikeCompiler } from '../build'
import { dist, ROOT, tempDir } from '../helpers'
import { createLiveStore, waitFor } from './live-store'

let dir: string
let live: Awaited<ReturnType<typeof createLiveStore>>
/** The value GRAFANA_API_KEY has in the store now (the tests run in order and change it). */
let current = 'first-value'

beforeAll(async () => {
  dir = await tempDir('usec-watch-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  live = await createLiveStore(dir, { GRAFANA_API_KEY: current, DB_PASSWORD: 'db', EMPTY: '', BIG: 'big' })
})

/** A built bundle's text (read, not imported: no module cache to defeat). */
async function builtKeys(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '')
}

describe('watch mode rebuilds when the store changes', () => {
  it('rollup', async () => {
    const { watch } = await import('rollup')
    const { default: json } = await import('@rollup/plugin-json')
    const { default: secrets } = await dist('rollup')
    const file = join(dir, 'out-rollup-watch/entry.mjs')
    const watcher = watch({ input: join(dir, 'entry.js'), onwarn: () => {}, plugins: [secrets({ key: live.key, store: live.store }), json()], output: { file, format: 'es' }, watch: { buildDelay: 50 } })
    try {
      await waitFor(async () => (await builtKeys(file)).includes(current))
      await live.cliSet('GRAFANA_API_KEY', 'changed-for-rollup')
      current = 'changed-for-rollup'
      await waitFor(async () => (await builtKeys(file)).split(current).length >= 3) // in the YAML and the JSON module
    }
    finally {
      await watcher.close()
    }
  }, 40_000)

  it.each(['webpack', 'rspack'] as const)('%s', async (name) => {
    const { default: secrets } = await dist(name)
    const outDir = join(dir, `out-${name}-watch`)
    const compiler = await webpackLikeCompiler(name, {
      mode: 'development',
      target: 'node',
      context: dir,
      entry: join(dir, 'entry.js'),
      devtool: false,
      output: { path: outDir, filename: 'entry.js' },
      plugins: [secrets({ key: live.key, store: live.store })],
    })
    const watching = compiler.watch({ aggregateTimeout: 50 }, () => {})
    try {
      const file = join(outDir, 'entry.js')
      await waitFor(async () => (await builtKeys(file)).includes(current))
      const marker = `changed-for-${name}`
      await live.cliSet('GRAFANA_API_KEY', marker)
      current = marker
      await waitFor(async () => (await builtKeys(file)).includes(marker))
    }
    finally {
      await new Promise<void>(resolve => watching.close(() => resolve()))
    }
  }, 40_000)
})
