// Repeat-open time against 0.1.0 (before the audit-trail replay and the
// rollback memory), both measured in one process, run by run in turns, so a
// burst of load on the shared machine falls on both. Prints medians and new/old.
//
//   git worktree add /tmp/oldtree 06ba9f5 && (cd /tmp/oldtree && npm ci && npx tsdown)
//   npx tsdown && OLD_DIST=/tmp/oldtree/dist node bench/store-vs-0.1.0.mjs
//
// BENCH_SIZES (default 10000) and BENCH_RUNS (default 15) as in bench/store.mjs.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { machine } from './measure.mjs'

const OLD_DIST = resolve(process.env.OLD_DIST ?? '/tmp/oldtree/dist')
if (!existsSync(join(OLD_DIST, 'store.mjs'))) {
  console.error(`No built 0.1.0 at ${OLD_DIST}. Build one (see the top of bench/store-vs-0.1.0.mjs) and set OLD_DIST.`)
  process.exit(1)
}
const SIZES = (process.env.BENCH_SIZES ?? '10000').split(',').map(Number)
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const versions = {
  new: await import('../dist/store.mjs'),
  old: await import(pathToFileURL(join(OLD_DIST, 'store.mjs')).href),
}

const dir = await mkdtemp(join(tmpdir(), 'usec-bench-vs-'))
const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * A store of `size` secrets made by one version, with a change made
 * "elsewhere" (another key folder) before each open.
 */
async function prepare(name, size) {
  const { createStore, openStore } = versions[name]
  const path = join(dir, `${name}-${size}.enc.json`)
  const here = join(dir, `${name}-${size}-here`)
  const elsewhere = join(dir, `${name}-${size}-elsewhere`)
  process.env.UNPLUGIN_SECRETS_KEY_DIR = elsewhere
  const { store, storeKey, adminKey } = await createStore({ path, admin: 'bench' })
  const values = {}
  for (let i = 0; i < size; i++) values[`SECRET_${String(i).padStart(5, '0')}`] = `value-${i}-${'x'.repeat(40)}`
  await store.setMany(values)
  let change = 0
  return {
    async changeElsewhere() {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = elsewhere
      await (await openStore({ path, key: storeKey, adminKey })).set('SECRET_00001', `changed-${++change}`)
    },
    async open() {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = here
      const start = performance.now()
      await openStore({ path, key: storeKey })
      return performance.now() - start
    },
  }
}

console.log(`unplugin-secrets: open after one change, this tree vs 0.1.0 (${OLD_DIST}) — ${machine()}`)
try {
  for (const size of SIZES) {
    const sides = { new: await prepare('new', size), old: await prepare('old', size) }
    const times = { new: [], old: [] }
    for (let run = 0; run <= RUNS; run++) {
      // Alternate which goes first, so neither always follows the other's garbage.
      for (const name of run % 2 ? ['old', 'new'] : ['new', 'old']) {
        await sides[name].changeElsewhere()
        const ms = await sides[name].open()
        if (run > 0) times[name].push(ms) // run 0 warms up
      }
    }
    const [n, o] = [median(times.new), median(times.old)]
    const medians = `new ${n.toFixed(1)} ms, 0.1.0 ${o.toFixed(1)} ms`
    console.log(`${size} secrets, ${RUNS} runs each: ${medians}, new/old ${(n / o).toFixed(2)}`)
  }
}
finally {
  await rm(dir, { recursive: true, force: true })
}
