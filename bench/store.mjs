// npm run bench:store — open+verify and decrypt-all times for stores of 1,000
// and 10,000 secrets. Prints medians (min/max) of repeated runs after a warm-up.
// Uses the built package (dist/), as users do.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { machine, measure, RUNS } from './measure.mjs'
import { createStore, openStore } from '../dist/store.mjs'

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number)

const table = []
let size = 0
async function timed(label, fn, runs = RUNS) {
  const row = await measure(fn, runs)
  console.log(`${label.padEnd(44)} ${row.median.toFixed(2).padStart(9)} ms   (min ${row.min.toFixed(2)}, max ${row.max.toFixed(2)}, ${runs} runs)`)
  table.push(`| ${size.toLocaleString('en')} | ${label} | ${row.median.toFixed(2)} ms (${row.min.toFixed(1)}–${row.max.toFixed(1)}) | ${runs} |`)
  return row
}

/** Like timed, with `setup` before each call, outside the timing. */
async function timedWithSetup(label, setup, fn, runs = RUNS) {
  const times = []
  for (let i = 0; i <= runs; i++) {
    await setup()
    const start = performance.now()
    await fn()
    if (i > 0) times.push(performance.now() - start) // the first is the warm-up
  }
  times.sort((a, b) => a - b)
  const row = { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1) }
  console.log(`${label.padEnd(44)} ${row.median.toFixed(2).padStart(9)} ms   (min ${row.min.toFixed(2)}, max ${row.max.toFixed(2)}, ${runs} runs)`)
  table.push(`| ${size.toLocaleString('en')} | ${label} | ${row.median.toFixed(2)} ms (${row.min.toFixed(1)}–${row.max.toFixed(1)}) | ${runs} |`)
}

const dir = await mkdtemp(join(tmpdir(), 'usec-bench-'))
// The rollback memory and key files of this run stay in its own folder.
process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'keys')
console.log(`unplugin-secrets store benchmark — ${machine()}`)
try {
  for (size of SIZES) {
    const path = join(dir, `store-${size}.enc.json`)
    const { store, storeKey, adminKey } = await createStore({ path, admin: 'bench' })
    const values = {}
    for (let i = 0; i < size; i++) values[`SECRET_${String(i).padStart(5, '0')}`] = `value-${i}-${'x'.repeat(40)}`
    const built = performance.now()
    await store.setMany(values)
    console.log(`\n${size} secrets (one value 48 B; file ${((await stat(path)).size / 1024).toFixed(0)} KiB, ${size + 1} audit entries; written in ${(performance.now() - built).toFixed(0)} ms)`)
    const keyDir = process.env.UNPLUGIN_SECRETS_KEY_DIR
    const elsewhere = join(dir, `elsewhere-${size}`)
    await timed(`open, first time on this machine (every signature checked)`, async () => {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = await mkdtemp(join(dir, 'fresh-'))
      await openStore({ path, key: storeKey })
      process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
    }, size > 1000 ? 3 : RUNS)
    await timed(`open + verify (openStore), seen before`, () => openStore({ path, key: storeKey }))
    // One change by another machine, then an open here: the new entry's signature is checked, the rest were before.
    let change = 0
    await timedWithSetup(`open after one change made elsewhere`, async () => {
      process.env.UNPLUGIN_SECRETS_KEY_DIR = elsewhere
      await (await openStore({ path, key: storeKey, adminKey })).set('SECRET_00001', `changed-${++change}`)
      process.env.UNPLUGIN_SECRETS_KEY_DIR = keyDir
    }, () => openStore({ path, key: storeKey }))
    const opened = await openStore({ path, key: storeKey })
    await timed(`get one value`, () => opened.get('SECRET_00007'), 1000)
    await timed(`resolve 20 names`, async () => { for (let i = 0; i < 20; i++) await opened.get(`SECRET_${String(i * 37 % size).padStart(5, '0')}`) }, 100)
    await timed(`decrypt all (getAll)`, () => opened.getAll())
    await timed(`full verify (every signature and ciphertext)`, () => opened.verify(), size > 1000 ? 3 : RUNS)
  }
}
finally {
  await rm(dir, { recursive: true, force: true })
}

// The store section of bench/results.md (npm run bench writes the rest first).
const results = new URL('./results.md', import.meta.url)
const before = existsSync(results) ? readFileSync(results, 'utf8').replace(/\n## Store\n[\s\S]*$/, '') : '# Benchmark results\n'
writeFileSync(results, `${before}\n## Store\n\n${machine()}. One value 48 B; full verify checks every signature and ciphertext.\n\n| secrets | row | median (min–max) | runs |\n| --- | --- | --- | --- |\n${table.join('\n')}\n`)
console.log('\nWrote the store section of bench/results.md')
