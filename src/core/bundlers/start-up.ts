/**
 * Runtime mode, Rollup-style bundlers (Vite, Rollup, Rolldown): every server
 * entry chunk imports a small file that checks every config's secrets first,
 * so a server without its key stops before it listens, even when its configs
 * sit in chunks that load on a request.
 */
import { extname, posix } from 'node:path'
import MagicString from 'magic-string'
import type { SecretsContext } from '../context'

/** The emitted file's name without extension (it takes the entry's: .js, .mjs or .cjs). */
const START_UP_FILE = 'unplugin-secrets-startup'
/** A hashbang, then a CommonJS chunk's 'use strict': both must stay first. */
const LEADING = /^(?:#![^\n]*\n)?(?:\s*(['"])use strict\1;?[^\S\n]*\n?)?/

interface RenderedChunk { fileName: string, isEntry: boolean }
interface EmitContext { emitFile: (file: { type: 'asset', fileName: string, source: string }) => string }

const startUpFileName = (entry: string): string =>
  `${START_UP_FILE}${['.mjs', '.cjs'].includes(extname(entry)) ? extname(entry) : '.js'}`

function relativeSpecifier(from: string, to: string): string {
  const path = posix.relative(posix.dirname(from), to)
  return path.startsWith('.') ? path : `./${path}`
}

/** What the check file runs: the store the build wrote and every config's names. */
function startUpSource(ctx: SecretsContext, format: string): string {
  const check = JSON.stringify({
    store: ctx.startUpStorePath,
    configs: Object.fromEntries([...ctx.startUpConfigs].sort()),
  })
  return format === 'cjs'
    ? `'use strict';\nrequire('unplugin-secrets/runtime').checkAtStartUp(${check});\n`
    : `import { checkAtStartUp } from 'unplugin-secrets/runtime';\ncheckAtStartUp(${check});\n`
}

/** The check's files one output needs, by name: one per entry extension. */
export class StartUpEntries {
  readonly #files = new Set<string>()

  constructor(readonly ctx: SecretsContext) {}

  /**
   * Whether this output gets the check: a server build in runtime mode, with configs resolved at
   * start-up, in ES or CommonJS format.
   */
  applies(serverBuild: boolean, format: string): boolean {
    return (
      serverBuild
      && this.ctx.options.mode === 'runtime'
      && this.ctx.startUpConfigs.size > 0
      && (format === 'es' || format === 'cjs')
    )
  }

  /** An entry chunk with the check's import (or require) first; other chunks unchanged. */
  renderChunk(
    code: string,
    chunk: RenderedChunk,
    format: string,
  ): { code: string, map: ReturnType<MagicString['generateMap']> } | null {
    if (!chunk.isEntry) return null
    const file = startUpFileName(chunk.fileName)
    this.#files.add(file)
    const specifier = JSON.stringify(relativeSpecifier(chunk.fileName, file))
    const statement = format === 'cjs' ? `require(${specifier});\n` : `import ${specifier};\n`
    const edited = new MagicString(code)
    edited.appendLeft(LEADING.exec(code)![0].length, statement)
    return { code: edited.toString(), map: edited.generateMap({ hires: 'boundary' }) }
  }

  /** Emits the check's files the entries of this output import. */
  emit(context: EmitContext, format: string): void {
    for (const fileName of this.#files)
      context.emitFile({ type: 'asset', fileName, source: startUpSource(this.ctx, format) })
    this.#files.clear()
  }
}
