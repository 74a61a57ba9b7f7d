/**
 * The YAML parse cache (templates, never values), in memory and on disk, so a repeat build or a
 * store change does not parse every config again.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { parseCacheKey } from './cache-key'
import { isJsonSafe } from './formats/module'
import type { YamlTemplate } from './formats/yaml'

/** Bump when the template's shape, the parser options or the entry file's layout change. */
const CACHE_FORMAT = 2

let parserVersion: string | undefined
function parserTag(): string {
  parserVersion ??= (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version
  return `unplugin-secrets-cache/${CACHE_FORMAT} yaml/${parserVersion}`
}

/**
 * `node_modules/.cache/unplugin-secrets` of the package that holds `root`
 * (the nearest folder with a package.json, as babel-loader and
 * terser-webpack-plugin pick theirs), else under `root` itself.
 */
export function defaultCacheDir(root: string): string {
  for (let folder = resolve(root); ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return join(folder, 'node_modules', '.cache', 'unplugin-secrets')
    if (dirname(folder) === folder) return join(resolve(root), 'node_modules', '.cache', 'unplugin-secrets')
  }
}

interface Entry { key: string, template: YamlTemplate }

/**
 * An entry file is the HMAC-SHA256 (hex) of the config's path and the entry,
 * a newline, and the entry's JSON. The key is the user's (cache-key.ts): a
 * process that can write node_modules but not read the user's key folder
 * cannot pair real values with data of its choosing.
 */
const entryMac = (key: Buffer, file: string, json: string | Uint8Array): Buffer =>
  createHmac('sha256', key).update(`${file}\0`).update(json).digest()

const sealEntry = (key: Buffer, file: string, json: string): string =>
  `${entryMac(key, file, json).toString('hex')}\n${json}`

const MAC_HEX_LENGTH = 64

/** The entry's JSON, when the file holds one sealed with this key for this config; anything else is a miss. */
function openEntry(key: Buffer, file: string, bytes: Buffer): string | undefined {
  // Checked on the bytes as read: no text conversion before the entry is known to be ours.
  if (bytes.length <= MAC_HEX_LENGTH || bytes[MAC_HEX_LENGTH] !== 0x0A) return undefined
  const mac = Buffer.from(bytes.toString('latin1', 0, MAC_HEX_LENGTH), 'hex')
  const json = bytes.subarray(MAC_HEX_LENGTH + 1)
  const expected = entryMac(key, file, json)
  return mac.length === expected.length && timingSafeEqual(mac, expected) ? json.toString('utf8') : undefined
}

/**
 * The YAML parse cache. It holds templates: the parsed data with `''` where a
 * string held references, never a value (values are filled in after the
 * cache, on every transform). Keyed by the SHA-256 of the parser's version
 * and the file's text, so an edit or a parser upgrade misses; one entry per
 * file, in memory (dev: a store change re-transforms without parsing) and,
 * given a folder, on disk (a repeat build). Disk entries are sealed with an
 * HMAC under the user's cache key and written with a temporary file and a
 * rename; anything unreadable or unsealed counts as a miss and is rewritten.
 * Without a usable key folder, nothing goes to disk.
 */
export class TemplateCache {
  readonly #memory = new Map<string, { key: string, json: string }>()

  constructor(readonly dir: string | undefined) {}

  async template(file: string, code: string, parse: () => YamlTemplate | undefined): Promise<YamlTemplate | undefined> {
    const key = createHash('sha256').update(parserTag()).update('\0').update(code).digest('hex')
    const remembered = this.#memory.get(file)
    // Every hit is a fresh copy: the caller fills the values into it.
    if (remembered?.key === key) return (JSON.parse(remembered.json) as Entry).template
    const sealKey = this.dir ? await parseCacheKey() : undefined
    const path = sealKey && join(this.dir!, `${createHash('sha256').update(file).digest('hex').slice(0, 32)}.json`)
    if (path) {
      const bytes = await readFile(path).catch(() => undefined)
      const json = bytes && openEntry(sealKey, file, bytes)
      const entry = json && parseEntry(json, key)
      if (entry) {
        this.#memory.set(file, { key, json: json! })
        return entry.template
      }
    }
    const template = parse()
    // Data JSON cannot carry (YAML 1.1 dates, binary, NaN) is not cached: it parses every time.
    if (!template || !isJsonSafe(template.data)) return template
    const json = JSON.stringify({ key, template } satisfies Entry)
    this.#memory.set(file, { key, json })
    if (path) await writeEntry(path, sealEntry(sealKey, file, json))
    return template
  }
}

function parseEntry(json: string, key: string): Entry | undefined {
  try {
    const entry = JSON.parse(json) as Entry
    const template = entry?.template
    return entry.key === key
      && typeof template?.single === 'boolean'
      && Array.isArray(template.refs)
      && 'data' in template
      ? entry
      : undefined
  }
  catch {
    return undefined
  }
}

/** Best effort: a cache that cannot be written (read-only file system) only costs the next build a parse. */
async function writeEntry(path: string, json: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(temp, json)
    await rename(temp, path)
  }
  catch {
    await unlink(temp).catch(() => {})
  }
}
