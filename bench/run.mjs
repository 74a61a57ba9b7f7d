// npm run bench — transform and build costs against the parser floor and the peers,
// and CLI cold start, in one process run on the same inputs. Prints medians and
// ratios and writes bench/results.md. (Store numbers: npm run bench:store.)
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import json from '@rollup/plugin-json'
import yamlPeer from '@rollup/plugin-yaml'
import { rollup } from 'rollup'
import { parse as yamlParse, stringify as yamlStringify } from 'yaml'
import * as vite from 'vite'
import secretsRollup from '../dist/rollup.mjs'
import secretsVite from '../dist/vite.mjs'
import { createStore } from '../dist/store.mjs'
import { machine, measure, measureTogether, RUNS } from './measure.mjs'

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

/**
 * The real configs of test/corpus/real-configs with 20 references added: a line
 * `x-secret-N: ${secret.REAL_N}` opens 20 block mappings spread over the file.
 */
function realConfigs() {
  return [['openapi-twilio-api-v2010.yaml', 'Twilio OpenAPI 1.5 MB'], ['helm-bitnami-postgresql-values.yaml', 'Helm values 92 KB']].map(([file, label]) => {
    const plainYaml = readFileSync(join(ROOT, 'test/corpus/real-configs', file), 'utf8')
    const lines = plainYaml.split('\n')
    const indent = line => line.length - line.trimStart().length
    const openings = []
    for (let i = 0; i + 1 < lines.length; i++) {
      if (/^\s*[\w-]+:\s*$/.test(lines[i]) && indent(lines[i + 1]) > indent(lines[i]) && /^\s*[\w-]+:/.test(lines[i + 1])) openings.push(i + 1)
    }
    const names = []
    const chosen = new Set(Array.from({ length: 20 }, (_, n) => openings[Math.floor((n + 0.5) * openings.length / 20)]))
    const out = lines.flatMap((line, i) => {
      if (!chosen.has(i)) return [line]
      const name = `REAL_${names.length}`
      names.push(name)
      return [`${' '.repeat(indent(line))}x-secret-${names.length}: \${secret.${name}}`, line]
    })
    return { label, yaml: out.join('\n'), plainYaml, names }
  })
}

const fmt = t => (t.unit === 'MB'
  ? `${(t.median / 2 ** 20).toFixed(1)} MB (${(t.min / 2 ** 20).toFixed(1)}–${(t.max / 2 ** 20).toFixed(1)})`
  : `${t.median.toFixed(2)} ms (${t.min.toFixed(1)}–${t.max.toFixed(1)})`)
const ratio = (a, b) => (a.median / b.median).toFixed(2)
const rows = []
const row = (group, label, time, floor, peer, sameParser) => {
  rows.push({ group, label, time, floorRatio: floor ? ratio(time, floor) : '', peerRatio: peer ? ratio(time, peer) : '', sameRatio: sameParser ? ratio(time, sameParser) : '' })
  console.log(`${group.padEnd(22)} ${label.padEnd(58)} ${fmt(time).padStart(26)}  ${floor ? `×${ratio(time, floor)} floor` : ''} ${peer ? `×${ratio(time, peer)} peer` : ''} ${sameParser ? `×${ratio(time, sameParser)} unplugin-yaml` : ''}`)
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
  for (const input of [...inputs, ...realConfigs()]) {
    for (const name of input.names) names.add(name)
  }
  await store.setMany(Object.fromEntries([...names].map(name => [name, `value-of-${name}-${'x'.repeat(24)}`])))

  const ours = transformer(secretsRollup({ store: storePath, key: storeKey }))
  const peerYaml = transformer(yamlPeer())
  const peerJson = transformer(json())
  // unplugin-yaml cannot sit in our dev dependencies (its peer ranges): bench/peers installs it.
  const unpluginYaml = transformer((await import(new URL('./peers/node_modules/unplugin-yaml/dist/rollup.js', import.meta.url))).default())
  // A new file name on every call: the parse cache never hits (its memory copy is per file).
  let fresh = 0
  const parsing = transformer(secretsRollup({ store: storePath, key: storeKey, cache: false }))
  const cacheDir = join(dir, 'cache')

  /** The YAML rows for one input: the parser floor, the peer, ours parsing, ours from the cache. */
  async function yamlRows(group, yaml, plainYaml, refs) {
    // The cold rows without references take turns run by run (measureTogether): their ratios are the point.
    // Not the row with references: it waits on the store's file, and V8 does idle-time GC work for the others' garbage then.
    const [floor, peer, sameParser, oursPlain] = await measureTogether([
      () => yamlParse(yaml),
      () => peerYaml(plainYaml, '/c.yaml'),
      () => unpluginYaml(plainYaml, '/c.yaml'),
      () => parsing(plainYaml, `/p${fresh++}.yaml`),
    ])
    row(group, 'yaml.parse (our parser, the floor)', floor)
    row(group, '@rollup/plugin-yaml (js-yaml), no references', peer, floor)
    row(group, 'unplugin-yaml 3 (the yaml package), no references', sameParser, floor, peer)
    row(group, 'ours, no references', oursPlain, floor, peer, sameParser)
    row(group, `ours, ${refs} reference(s)`, await measure(() => parsing(yaml, `/r${fresh++}.yaml`)), floor, peer, sameParser)
    // The store changed (dev server, watch mode): the same plugin instance transforms the unchanged file again.
    row(group, `ours, ${refs} reference(s), store changed (memory cache)`, await measure(() => ours(yaml, '/c.yaml')), floor, peer, sameParser)
    // A repeat build: a new plugin instance (a new process) and the entry on disk.
    const disk = join(cacheDir, group.replace(/\W/g, ''))
    await transformer(secretsRollup({ store: storePath, key: storeKey, cache: disk }))(yaml, '/c.yaml')
    row(group, `ours, ${refs} reference(s), repeat build (disk cache)`, await measure(() => transformer(secretsRollup({ store: storePath, key: storeKey, cache: disk }))(yaml, '/c.yaml')), floor, peer, sameParser)
  }

  for (const input of inputs) await yamlRows(`YAML ${input.label}`, input.yaml, input.plainYaml, input.names.length)
  for (const config of realConfigs()) await yamlRows(`${config.label}`, config.yaml, config.plainYaml, config.names.length)

  // Peak memory of one cold transform of the Twilio file, each tool in a fresh process (imports included).
  {
    const twilio = realConfigs()[0]
    await writeFile(join(dir, 'twilio-plain.yaml'), twilio.plainYaml)
    await writeFile(join(dir, 'twilio-refs.yaml'), twilio.yaml)
    const env = { ...process.env, BENCH_STORE: storePath, BENCH_KEY: storeKey }
    const peakRss = (tool, file) => async () => {
      const child = spawnSync(process.execPath, [join(ROOT, 'bench/peak-rss.mjs'), tool, join(dir, file)], { env, encoding: 'utf8' })
      if (child.status !== 0) throw new Error(`peak-rss ${tool}: ${child.stderr}`)
      return Number(child.stdout)
    }
    const memory = async (tool, file) => {
      const values = []
      for (let i = 0; i < Math.max(3, Math.floor(RUNS / 2)); i++) values.push(await peakRss(tool, file)())
      values.sort((a, b) => a - b)
      return { median: values[Math.floor(values.length / 2)], min: values[0], max: values.at(-1), unit: 'MB' }
    }
    const group = 'Twilio 1.5 MB, peak RSS'
    const peer = await memory('rollup-plugin-yaml', 'twilio-plain.yaml')
    row(group, '@rollup/plugin-yaml (js-yaml), no references', peer)
    const sameParser = await memory('unplugin-yaml', 'twilio-plain.yaml')
    row(group, 'unplugin-yaml 3 (the yaml package), no references', sameParser, undefined, peer)
    row(group, 'ours, no references', await memory('ours', 'twilio-plain.yaml'), undefined, peer, sameParser)
    row(group, `ours, ${twilio.names.length} reference(s)`, await memory('ours', 'twilio-refs.yaml'), undefined, peer, sameParser)
  }
  // Loading the generated module: ours (JSON.parse of a string literal) against @rollup/plugin-yaml's object literal.
  {
    const big = inputs.at(-1)
    let loads = 0
    const load = async (code) => {
      const file = join(dir, `load-${loads++}.mjs`)
      await writeFile(file, code)
      return () => import(`${pathToFileURL(file).href}?${loads++}`)
    }
    const peerModule = await load((await peerYaml(big.plainYaml, '/c.yaml')).code)
    const peerLoad = await measure(peerModule)
    row('import() 1 MB', '@rollup/plugin-yaml output (object literal)', peerLoad)
    const ourModule = await load((await parsing(big.plainYaml, '/load.yaml')).code)
    row('import() 1 MB', 'ours (JSON.parse of a string)', await measure(ourModule), undefined, peerLoad)
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
  // A new plugin instance per build, as a new build process has.
  const build = plugins => entry => async () => (await rollup({ input: join(dir, entry), plugins: plugins(), onwarn() {} })).generate({ format: 'es' })
  const buildRuns = Math.max(5, Math.floor(RUNS / 2))
  const ourPlugin = (cache = false) => secretsRollup({ store: storePath, key: storeKey, cache })
  const buildCache = join(dir, 'build-cache')
  const noPlugin = await measure(build(() => [json()])('entry-plain.json.js'), buildRuns)
  row('Rollup build 1 MB', 'JSON, no plugin (@rollup/plugin-json)', noPlugin)
  row('Rollup build 1 MB', 'JSON, ours, no references', await measure(build(() => [ourPlugin(), json()])('entry-plain.json.js'), buildRuns), noPlugin)
  row('Rollup build 1 MB', 'JSON, ours, with references', await measure(build(() => [ourPlugin(), json()])('entry-c.json.js'), buildRuns), noPlugin)
  const [yamlPeerBuild, firstPlain, firstRefs] = await measureTogether([build(() => [yamlPeer()])('entry-plain.yaml.js'), build(() => [ourPlugin()])('entry-plain.yaml.js'), build(() => [ourPlugin()])('entry-c.yaml.js')], buildRuns)
  row('Rollup build 1 MB', 'YAML, @rollup/plugin-yaml', yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, no references, first build', firstPlain, undefined, yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, with references, first build', firstRefs, undefined, yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, no references, repeat build', await measure(build(() => [ourPlugin(buildCache)])('entry-plain.yaml.js'), buildRuns), undefined, yamlPeerBuild)
  row('Rollup build 1 MB', 'YAML, ours, with references, repeat build', await measure(build(() => [ourPlugin(buildCache)])('entry-c.yaml.js'), buildRuns), undefined, yamlPeerBuild)

  // Vite: the same entries, a server (SSR) build written to memory.
  const viteBuild = plugins => entry => () => vite.build({ root: dir, logLevel: 'silent', configFile: false, plugins: plugins(), build: { ssr: join(dir, entry), write: false, minify: false } })
  const viteNone = await measure(viteBuild(() => [])('entry-plain.json.js'), buildRuns)
  row('Vite build 1 MB', 'JSON, no plugin (Vite\'s JSON support)', viteNone)
  row('Vite build 1 MB', 'JSON, ours, no references', await measure(viteBuild(() => [secretsVite({ store: storePath, key: storeKey, cache: false })])('entry-plain.json.js'), buildRuns), viteNone)
  row('Vite build 1 MB', 'JSON, ours, with references', await measure(viteBuild(() => [secretsVite({ store: storePath, key: storeKey, cache: false })])('entry-c.json.js'), buildRuns), viteNone)
  const [vitePeer, viteFirst] = await measureTogether([viteBuild(() => [yamlPeer()])('entry-plain.yaml.js'), viteBuild(() => [secretsVite({ store: storePath, key: storeKey, cache: false })])('entry-c.yaml.js')], buildRuns)
  row('Vite build 1 MB', 'YAML, @rollup/plugin-yaml', vitePeer)
  row('Vite build 1 MB', 'YAML, ours, with references, first build', viteFirst, undefined, vitePeer)
  row('Vite build 1 MB', 'YAML, ours, with references, repeat build', await measure(viteBuild(() => [secretsVite({ store: storePath, key: storeKey, cache: join(dir, 'vite-cache') })])('entry-c.yaml.js'), buildRuns), undefined, vitePeer)

  // Vite dev: a value changes in the store; time until the dev server serves the config module with it.
  const server = await vite.createServer({ root: dir, logLevel: 'silent', configFile: false, server: { port: 0, host: '127.0.0.1' }, plugins: [secretsVite({ store: storePath, key: storeKey, cache: false, client: [...names] })] })
  await server.listen()
  try {
    const url = `http://127.0.0.1:${server.httpServer.address().port}/c.yaml?import`
    let version = 0
    const devChange = async () => {
      const value = `dev-value-${++version}-${'y'.repeat(20)}`
      await store.set('SECRET_0', value)
      for (const deadline = Date.now() + 20_000; ;) {
        const text = await (await fetch(url)).text()
        if (text.includes(value)) return
        if (Date.now() > deadline) throw new Error(`the dev server did not serve the new value in 20 s; it served: ${text.slice(0, 300)}`)
        await new Promise(done => setTimeout(done, 2))
      }
    }
    row('Vite dev 1 MB YAML', 'store change -> module served with the new value', await measure(devChange, buildRuns))
  }
  finally {
    await server.close()
  }

  // CLI cold start, as whole processes.
  const cli = join(ROOT, 'dist/cli.mjs')
  const env = { ...process.env, UNPLUGIN_SECRETS_KEY: storeKey, UNPLUGIN_SECRETS_STORE: storePath }
  const run = args => () => { spawnSync(process.execPath, args, { env, stdio: 'ignore' }) }
  const nodeFloor = await measure(run(['-e', '']))
  row('CLI cold start', 'node -e \'\'', nodeFloor)
  row('CLI cold start', 'unplugin-secrets --version', await measure(run([cli, '--version'])), nodeFloor)
  row('CLI cold start', 'unplugin-secrets list', await measure(run([cli, 'list'])), nodeFloor)
  row('CLI cold start', 'unplugin-secrets get SECRET_0', await measure(run([cli, 'get', 'SECRET_0'])), nodeFloor)

  // How much of the corpora the fast YAML path parses itself (the rest goes to the yaml package).
  const shareRun = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/fast-path-share.ts')], { encoding: 'utf8' })
  if (shareRun.status !== 0) throw new Error(`fast-path-share: ${shareRun.stderr}`)
  const share = JSON.parse(shareRun.stdout)
  const shareLines = ['| corpus | files the fast path parses | bytes | most common reasons to leave a file to the yaml package |', '| --- | --- | --- | --- |', ...share.map(({ group, files, handled, handledBytes, totalBytes, reasons }) => {
    const top = Object.entries(reasons).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, count]) => `${reason} (${count})`).join('; ')
    return `| ${group} | ${handled} of ${files} (${(100 * handled / files).toFixed(0)}%) | ${(100 * handledBytes / totalBytes).toFixed(0)}% | ${top} |`
  })]
  console.log(`\nFast YAML path\n${shareLines.join('\n')}`)

  const table = ['| group | row | median (min–max) | × floor | × peer | × unplugin-yaml |', '| --- | --- | --- | --- | --- | --- |', ...rows.map(r => `| ${r.group} | ${r.label} | ${fmt(r.time)} | ${r.floorRatio} | ${r.peerRatio} | ${r.sameRatio} |`)]
  await writeFile(join(ROOT, 'bench/results.md'), `# Benchmark results\n\n${header}\n\nGenerated by \`npm run bench\`. "× floor" is against the first row of the group (the parser alone, or no plugin); "× peer" against the peer plugin's row (@rollup/plugin-yaml, @rollup/plugin-json, or as labelled); "× unplugin-yaml" against unplugin-yaml 3, which parses with the same \`yaml\` package but expands nothing and maps nothing. Memory rows: the peak RSS of a fresh process that imports the tool and transforms the file once. A YAML group's first four rows, and the first builds with their peer, take turns run by run, so a burst of load on the shared machine falls on all of them.\n\n${table.join('\n')}\n\n## Fast YAML path\n\nFiles of the test corpora the fast path parses itself; it leaves the rest (and every error) to the yaml package.\n\n${shareLines.join('\n')}\n`)
  console.log('\nWrote bench/results.md')
}
finally {
  await rm(dir, { recursive: true, force: true })
}
