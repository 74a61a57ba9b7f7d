/**
 * Looks references up in the store for a build: opens it when first needed and again when the
 * file changes, and makes the missing-secret and store-failure errors.
 */
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { relative } from 'node:path'
import { SecretsError } from './errors'
import type { SourceLocation } from './errors'
import type { SecretLookup } from './formats/types'
import type { SecretStore } from './store/store'
import { environmentLabel } from './store/locate'
import { openStore } from './store/store'
import { suggestName } from './suggest'

/** The error for a name the store does not have: located, with a near name and the command to add it. */
export function missingSecret(store: SecretStore, name: string, locate?: () => SourceLocation): SecretsError {
  const relativePath = relative(process.cwd(), store.path) || store.path
  const shown = /^[\w./@:-]+$/.test(relativePath) ? relativePath : `'${relativePath.replace(/'/g, `'\\''`)}'`
  const near = suggestName(name, store.list().map(info => info.name))
  const environment = environmentLabel(store.path)
  return new SecretsError('SECRET_MISSING', [
    `secret ${name} is not`,
    `in ${relativePath}${environment ? ` (${environment})` : ''}.${near ? ` Did you mean ${near}?` : ''} Add it with:`,
    `unplugin-secrets set ${name} --store ${shown}`,
  ].join(' '), locate ? { loc: locate() } : {})
}

/**
 * A failure to open the store, for tools that chose it themselves (the Node
 * loader, loadConfig, start-up code): `what` could not be done, and the
 * environment the store is named for, so a wrong UNPLUGIN_SECRETS_ENV shows.
 */
export function storeFailure(error: SecretsError, path: string, what?: string): SecretsError {
  const environment = environmentLabel(path)
  if (!environment && !what) return error
  const prefix = what ? `${what}${environment ? ` (${environment})` : ''}` : environment
  return new SecretsError(error.code, `${prefix}: ${error.message}`)
}

/** A lookup over an opened store: the value, or the missing-secret error at the reference. */
export function storeLookup(store: SecretStore): SecretLookup {
  return (name, locate) => {
    const value = store.getSync(name)
    if (value === undefined) throw missingSecret(store, name, locate)
    return value
  }
}

/**
 * What tells one version of the store file from another without reading it
 * all: mtime, size and inode are not enough (two writes within one clock
 * tick can leave the same size and a recycled inode), so the file's last
 * bytes, its signature and revision seal, which every write changes, go in.
 */
export async function fileStamp(path: string): Promise<string> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    const info = await handle.stat()
    const length = Math.min(info.size, 512)
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, info.size - length)
    return `${info.mtimeMs}:${info.size}:${info.ino}:${buffer.toString('latin1', 0, bytesRead)}`
  }
  catch {
    return 'missing'
  }
  finally {
    await handle?.close()
  }
}

/**
 * Opens the store the first time a file needs it, and again whenever the
 * store file changed on disk (so `unplugin-secrets set` reaches a running
 * dev server). A build whose files reference nothing never opens it.
 */
export class SecretResolver {
  #store: SecretStore | undefined
  #failure: SecretsError | undefined
  #values = new Map<string, string>()
  #stamp = ''
  #opening: Promise<void> | undefined

  /** ` for environment production` when the store is named for one: every failure names it. */
  readonly #forEnvironment: string

  constructor(readonly path: string, private readonly key: string | undefined) {
    const environment = environmentLabel(path)
    this.#forEnvironment = environment ? ` for ${environment}` : ''
  }

  /**
   * Opens or re-opens the store if the file changed. Concurrent callers share
   * one open. Failures are kept and thrown at the first lookup.
   */
  async prepare(): Promise<void> {
    const stamp = await fileStamp(this.path)
    if (stamp === this.#stamp) return this.#opening
    this.#stamp = stamp
    this.#opening = this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    try {
      this.#store = await openStore({ path: this.path, key: this.key })
      this.#failure = undefined
    }
    catch (error) {
      this.#store = undefined
      this.#failure = error instanceof SecretsError
        ? error
        : new SecretsError('STORE_MALFORMED', `Could not open ${this.path}: ${(error as Error).message}`)
    }
    this.#values = new Map()
  }

  /** Why the store did not open, when it did not. */
  get failure(): SecretsError | undefined {
    return this.#failure
  }

  /**
   * Every value in the store, for scanning output; undefined when the store
   * cannot be opened (no store, no key: then nothing can have been expanded).
   */
  async allValues(): Promise<Map<string, string> | undefined> {
    await this.prepare()
    return this.#store ? this.#store.getAll() : undefined
  }

  /** The value of `name`, or a SecretsError located by `locate()`. */
  lookup(name: string, locate: () => SourceLocation): string {
    const cached = this.#values.get(name)
    if (cached !== undefined) return cached
    if (this.#failure) {
      throw new SecretsError(
        this.#failure.code,
        `cannot expand \${secret.${name}}${this.#forEnvironment}: ${this.#failure.message}`,
        { loc: locate() },
      )
    }
    const store = this.#store
    if (!store) {
      throw new SecretsError('STORE_NOT_FOUND', `cannot expand \${secret.${name}}: the store was not opened.`, {
        loc: locate(),
      })
    }
    const value = store.getSync(name)
    if (value !== undefined) {
      this.#values.set(name, value)
      return value
    }
    throw missingSecret(store, name, locate)
  }
}
