// One cold YAML transform in this fresh process, for `npm run bench`'s memory rows:
// node bench/peak-rss.mjs <tool> <file>, tool = ours | rollup-plugin-yaml | unplugin-yaml.
// Prints the process's peak RSS in bytes (imports, the file and the transform; nothing else runs).
import { readFileSync } from 'node:fs'

const [tool, file] = process.argv.slice(2)
const plugins = {
  'ours': async () => (await import('../dist/rollup.mjs')).default({ store: process.env.BENCH_STORE, key: process.env.BENCH_KEY, cache: false }),
  'rollup-plugin-yaml': async () => (await import('@rollup/plugin-yaml')).default(),
  'unplugin-yaml': async () => (await import('./peers/node_modules/unplugin-yaml/dist/rollup.js')).default(),
}
const plugin = await plugins[tool]()
const hook = typeof plugin.transform === 'function' ? plugin.transform : plugin.transform.handler
const context = { addWatchFile() {}, warn() {}, error(e) { throw e }, meta: {} }
const code = readFileSync(file, 'utf8')
const result = await hook.call(context, code, '/config.yaml')
if (!(typeof result === 'string' ? result : result?.code)) throw new Error(`${tool} returned no module`)
process.stdout.write(String(process.resourceUsage().maxRSS * 1024))
