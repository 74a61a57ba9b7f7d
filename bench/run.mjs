// npm run bench — transform and build costs against the parser floor and the peers,
// and CLI cold start, in one process run on the same inputs. Prints medians and
// ratios and writes bench/results.md. (Store numbers: npm run bench:store.)
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import json from '@rollup/plugin-json'
import yamlPeer from '@rollup/plugin-yaml'
import { rollup } from 'rollup'
import { parse as yamlParse, stringify as yamlStringify } from 'yaml'
import secretsRollup from '../dist/rollup.mjs'
import { createStore } from '../dist/store.mjs'
import { RUNS, machine, measure } from './measure.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  return () => {
    seed |= 0
    seed = (seed + 0x6D2B79F5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A config of about `bytes` of YAML with references in 0.1% of its string scalars (at least one). */
function generate(bytes, seed) {
  const next = random(seed)
  const services = {}
  let scalars = 0
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const service = {
      image: `registry.example.com/team/app-${i}:${Math.floor(next() * 1000)}`,
      replicas: 1 + Math.floor(next() * 5),
      env: { LOG_LEVEL: 'info', REGION: `eu-west-${i % 3}`, URL: `https://svc-${i}.internal:${8000 + i}` },
      ports: [8000 + i, 9000 + i],
      labels: { team: `team-${i % 7}`, tier: next() > 0.5 ? 'backend' : 'worker' },
    }
    services[`service_${i}`] = service
    size += yamlStringify({ [`service_${i}`]: service }).length // one service at a time: linear
    scalars += 9
  }
  const names = []
  const refs = Math.max(1, Math.round(scalars / 1000))
  const keys = Object.keys(services)
  for (let r = 0; r < refs; r++) {
    const name = `SECRET_${r}`
    names.push(name)
    services[keys[Math.floor(next() * keys.length)]].env.TOKEN = `Bearer \${secret.${name}}`
  }
  const data = { services }
  return { yaml: yamlStringify(data), json: JSON.stringify(data, null, 2), plainYaml: yamlStringify(JSON.parse(JSON.stringify(data).replace(/\$\{secret\./g, '{secret.'))), names }
}

const fmt = t => `${t.median.toFixed(2)} ms (${t.min.toFixed(1)}–${t.max.toFixed(1)})`
const ratio = (a, b) => (a.median / b.median).toFixed(2)
const rows = []
const row = (group, label, time, floor, peer) => {
  rows.push({ group, label, time, floorRatio: floor ? ratio(time, floor) : '', peerRatio: peer ? ratio(time, peer) : '' })
  console.log(`${group.padEnd(18)} ${label.padEnd(46)} ${fmt(time).padStart(26)}  ${floor ? `×${ratio(time, floor)} floor` : ''} ${peer ? `×${ratio(time, peer)} peer` : ''}`)
}

/** A transform hook called as a bundler would call it. */
function transformer(plugin) {
  const hook = typeof plugin.transform === 'function' ? plugin.transform : plugin.transform.handler
  const context = { addWatchFile() {}, warn() {}, error(e) { throw typeof e === 'string' ? new Error(e) : Object.assign(new Error(e.message), e) }, meta: {} }
  return (code, id) => hook.call(context, code, id)
}

const dir = await mkdtemp(join(tmpdir(), 'usec-bench-'))
const header = `unplugin-secrets benchmark — ${machine()}, medians of ${RUNS} runs (min–max)`
console.log(header)
try {
  const storePath = join(dir, 'secrets.enc.json')
  const { store, storeKey } = await createStore({ path: storePath, admin: 'bench' })
  const names = new Set()
  const inputs = [['2 KB', 2_000, 1], ['100 KB', 100_000, 2], ['1 MB', 1_000_000, 3]].map(([label, bytes, seed]) => ({ label, ...generate(bytes, seed) }))
  for (const input of inputs) for (const name of input.names) names.add(name)
  await store.setMany(Object.fromEntries([...names].map(name => [name, `value-of-${name}-${'x'.repeat(24)}`])))

  const ours = transformer(secretsRollup({ store: storePath, key: storeKey }))
  const peerYaml = transformer(yamlPeer())
  const peerJson = transformer(json())

  for (const input of inputs) {
    const group = `YAML ${input.label}`
    const floor = await measure(() => yamlParse(input.yaml))
    row(group, 'yaml.parse (our parser, the floor)', floor)
    const peer = await measure(() => peerYaml(input.plainYaml, '/c.yaml'))
    row(group, '@rollup/plugin-yaml (js-yaml), no references', peer, floor)
    row(group, 'ours, no references', await measure(() => ours(input.plainYaml, '/c.yaml')), floor, peer)
    row(group, `ours, ${input.names.length} reference(s)`, await measure(() => ours(input.yaml, '/c.yaml')), floor, peer)
  }
  for (const input of inputs) {
    const group = `JSON ${input.label}`
    const floor = await measure(() => JSON.parse(input.json))
    row(group, 'JSON.parse (the floor)', floor)
    const peer = await measure(() => peerJson(input.json, '/c.json'))
    row(group, '@rollup/plugin-json', peer, floor)
    row(group, `ours, ${input.names.length} reference(s) (edits only)`, await measure(() => ours(input.json, '/c.json')), floor, peer)
  }

  // Whole builds: Rollup bundling an entry that imports the 1 MB config.
  const big = inputs.at(-1)
  await writeFile(join(dir, 'c.json'), big.json)
  await writeFile(join(dir, 'c.yaml'), big.yaml)
  await writeFile(join(dir, 'plain.yaml'), big.plainYaml)
  await writeFile(join(dir, 'plain.json'), big.json.replace(/\$\{secret\./g, '{secret.'))
  for (const name of ['c.json', 'plain.json', 'c.yaml', 'plain.yaml']) await writeFile(join(dir, `entry-${name}.js`), `import c from './${name}'\nexport default c\n`)
  const build = plugins => entry => async () => (await rollup({ input: join(dir, entry), plugins, onwarn() {} })).generate({ format: 'es' })
  const buildRuns = Math.max(5, Math.floor(RUNS / 2))
  const noPlugin = await measure(build([json()])('entry-plain.json.js'), buildRuns)
  row('Rollup build 1 MB', 'JSON, no plugin (@rollup/plugin-json)', noPlugin)
  row('Rollup build 1 MB', 'JSON, ours, no references', await measure(build([secretsRollup({ store: storePath, key: storeKey }), json()])('entry-plain.json.js'), buildRuns), noPlugin)
  row('Rollup build 1 MB', 'JSON, ours, with references', await measure(build([secretsRollup({ store: storePath, key: storeKey }), json()])('entry-c.json.js'), buildRuns), noPlugin)
  const yamlPeerBuild = await measure(build([yamlPeer()])('entry-plain.yaml.js'), buildRuns)
  row('Rollup build 1 MB', 'YAML, @rollup/plugin-yaml', yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, no references', await measure(build([secretsRollup({ store: storePath, key: storeKey })])('entry-plain.yaml.js'), buildRuns), undefined, yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, with references', await measure(build([secretsRollup({ store: storePath, key: storeKey })])('entry-c.yaml.js'), buildRuns), undefined, yamlPeerBuild)

  // CLI cold start, as whole processes.
  const cli = join(ROOT, 'dist/cli.mjs')
  const env = { ...process.env, UNPLUGIN_SECRETS_KEY: storeKey, UNPLUGIN_SECRETS_STORE: storePath }
  const run = args => () => { spawnSync(process.execPath, args, { env, stdio: 'ignore' }) }
  const nodeFloor = await measure(run(['-e', '']))
  row('CLI cold start', "node -e ''", nodeFloor)
  row('CLI cold start', 'unplugin-secrets --version', await measure(run([cli, '--version'])), nodeFloor)
  row('CLI cold start', 'unplugin-secrets list', await measure(run([cli, 'list'])), nodeFloor)
  row('CLI cold start', 'unplugin-secrets get SECRET_0', await measure(run([cli, 'get', 'SECRET_0'])), nodeFloor)

  const table = ['| group | row | median (min–max) | × floor | × peer |', '| --- | --- | --- | --- | --- |', ...rows.map(r => `| ${r.group} | ${r.label} | ${fmt(r.time)} | ${r.floorRatio} | ${r.peerRatio} |`)]
  await writeFile(join(ROOT, 'bench/results.md'), `# Benchmark results\n\n${header}\n\nGenerated by \`npm run bench\`. "× floor" is against the first row of the group (the parser alone, or no plugin); "× peer" against the peer plugin's row.\n\n${table.join('\n')}\n`)
  console.log('\nWrote bench/results.md')
}
finally {
  await rm(dir, { recursive: true, force: true })
}
