/** The dashboard's "where used": which config files reference each secret, re-read only when a file changes. */
import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { FilterPattern } from 'unplugin'
import { globConfigFiles, scanConfigFile } from '../core/config-files'
import type { ConfigFileScan } from '../core/config-files'

/** A place that references a secret: a path relative to the root, 1-based line and column. */
export interface Usage {
  file: string
  line: number
  column: number
}

interface UsageScan {
  /** Per name, every place that references it. */
  byName: Map<string, Usage[]>
  /** Config files that could not be read as configs (malformed YAML, JSON or reference), with the error. */
  problems: { file: string, message: string }[]
}

export interface UsageOptions {
  root: string
  include: FilterPattern
  exclude: FilterPattern
  /** Files and folders never scanned (the store itself, the build output). */
  ignore: string[]
  /** Files the plugin transformed, which may lie outside the root. */
  transformed: () => Iterable<string>
}

interface ScannedFile {
  stamp: string
  references: { name: string, usage: Usage }[]
  error?: string
}

/**
 * Like unplugin's filter: regexes tested on the path with `/` separators,
 * strings as globs (which tinyglobby already applied).
 */
function matches(file: string, pattern: FilterPattern): boolean {
  const path = file.replace(/\\/g, '/')
  return [pattern].flat().some(p => p instanceof RegExp && p.test(path))
}

/**
 * "Where used": every `${secret.NAME}` in the plugin's config files: those
 * under the root that `include`/`exclude` select, and those the plugin
 * transformed. Parsed results are kept per file until its size or mtime changes.
 */
export class UsageScanner {
  readonly #cache = new Map<string, ScannedFile>()

  constructor(private readonly options: UsageOptions) {}

  async #files(): Promise<string[]> {
    const { root, include, exclude, ignore } = this.options
    const patterns = [include].flat().filter(p => p !== null && p !== undefined)
    const globs = patterns.filter((p): p is string => typeof p === 'string')
    // String excludes are globs: the walk skips them (the transformed files passed the plugin's filter already).
    const skip = [exclude].flat().filter((p): p is string => typeof p === 'string')
    const byRegex = patterns.some(p => p instanceof RegExp)
      ? (await globConfigFiles(undefined, { cwd: root, ignore: skip })).filter(file => matches(file, include))
      : []
    const byGlob = globs.length ? await globConfigFiles(globs, { cwd: root, ignore: skip }) : []
    const transformed = [...this.options.transformed()].map(id => id.split('?')[0]!).filter(id => isAbsolute(id))
    const ignored = ignore.map(path => resolve(path))
    const isIgnored = (file: string) => ignored.some(path => file === path || file.startsWith(path + sep))
    return [...new Set([...byRegex, ...byGlob, ...transformed].map(file => resolve(file)))]
      .filter(file => !isIgnored(file) && !matches(file, exclude))
      .sort()
  }

  async scan(): Promise<UsageScan> {
    const byName = new Map<string, Usage[]>()
    const problems: UsageScan['problems'] = []
    for (const file of await this.#files()) {
      const shown = relative(this.options.root, file) || file
      const entry = await this.#scanFile(file, shown)
      if (entry.error) problems.push({ file: shown, message: entry.error })
      for (const { name, usage } of entry.references) {
        const usages = byName.get(name)
        if (usages) usages.push(usage)
        else byName.set(name, [usage])
      }
    }
    return { byName, problems }
  }

  async #scanFile(file: string, shown: string): Promise<ScannedFile> {
    const info = await stat(file).catch(() => undefined)
    const stamp = info ? `${info.mtimeMs}:${info.size}` : 'missing'
    const cached = this.#cache.get(file)
    if (cached?.stamp === stamp) return cached
    const scan: ConfigFileScan = info ? await scanConfigFile(file, shown) : { references: [] }
    // Unreadable (EACCES, a socket, removed meanwhile): reported, not cached (a chmod changes no
    // mtime), and the scan goes on.
    if (scan.unreadable) {
      return { stamp, references: [], error: `${shown}: could not be read (${scan.unreadable}). `
        + 'Check that it is a readable file, or exclude it with the plugin\'s exclude option.' }
    }
    const references = scan.references.map(({ name, loc }) => ({
      name,
      usage: { file: shown, line: loc.line, column: loc.column + 1 },
    }))
    const error = scan.invalid?.message
    const entry: ScannedFile = { stamp, references, ...(error === undefined ? {} : { error }) }
    this.#cache.set(file, entry)
    return entry
  }
}
