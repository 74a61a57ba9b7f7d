/**
 * The declaration files of `dts: true`, beside their configs as TypeScript's
 * allowArbitraryExtensions looks for them (`config.yaml` → `config.d.yaml.ts`).
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { SecretsError } from './errors'
import { DECLARATION_MARK } from './formats/declaration'
import { describeFsError } from './store/files'

/** Where TypeScript looks for the types of an import of `config`. */
export function declarationPath(config: string): string {
  const extension = extname(config)
  return join(dirname(config), `${basename(config, extension)}.d${extension}.ts`)
}

const notWritten = (shown: string, error: unknown): SecretsError =>
  new SecretsError('WRITE_FAILED', [
    `could not write the declaration ${shown} (dts: true): ${describeFsError(error)}.`,
    'Fix the folder\'s permissions, or set dts: false.',
  ].join(' '), { cause: error })

const notOurs = (shown: string): SecretsError =>
  new SecretsError('DECLARATION_EXISTS', [
    `${shown} exists and was not written by unplugin-secrets (its first line is not "${DECLARATION_MARK} …");`,
    'dts: true does not overwrite it. Delete it to have it generated, or set dts: false.',
  ].join(' '))

/** The text of a file, or undefined when there is none. */
async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Replaces `path` as a whole: readers (tsc, an editor) never see half a file. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, text)
    await rename(temp, path)
  }
  catch (error) {
    await unlink(temp).catch(() => {})
    throw error
  }
}

/**
 * One plugin instance's declaration files. A file is written only when its
 * text changes (an editor's TypeScript server and `tsc --watch` see no churn),
 * whole (a temporary file renamed into place), and never over a file the
 * plugin did not write. Writes to one file run one after another.
 */
export class DeclarationFiles {
  /** Configs whose declaration this instance wrote: their changes on disk are followed. */
  readonly #configs = new Set<string>()
  readonly #queue = new Map<string, Promise<void>>()

  has(config: string): boolean {
    return this.#configs.has(config)
  }

  /** Writes `text` as the declaration of `config`; `shown` is its path as messages name it. */
  write(config: string, text: string, shown: string): Promise<void> {
    return this.#serial(declarationPath(config), async (path) => {
      const existing = await readIfThere(path).catch((error: unknown) => { throw notWritten(shown, error) })
      if (existing !== undefined && existing !== text && !existing.startsWith(DECLARATION_MARK)) throw notOurs(shown)
      if (existing !== text) await writeWhole(path, text).catch((error: unknown) => { throw notWritten(shown, error) })
      this.#configs.add(config)
    })
  }

  /**
   * The config is gone: its declaration goes too (else TypeScript would still resolve the import),
   * if the plugin wrote it.
   */
  remove(config: string): Promise<void> {
    this.#configs.delete(config)
    return this.#serial(declarationPath(config), async (path) => {
      const existing = await readIfThere(path).catch(() => undefined)
      if (existing?.startsWith(DECLARATION_MARK)) await unlink(path).catch(() => {})
    })
  }

  /** Runs `job` after the jobs already queued for `path`. */
  #serial(path: string, job: (path: string) => Promise<void>): Promise<void> {
    const run = (this.#queue.get(path) ?? Promise.resolve()).then(() => job(path))
    const settled = run.catch(() => {})
    this.#queue.set(path, settled)
    void settled.then(() => {
      if (this.#queue.get(path) === settled) this.#queue.delete(path)
    })
    return run
  }
}
