import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const DEFAULT_STORE_PATH = 'secrets.enc.json'

/**
 * Where tools look for the store when no path is given: UNPLUGIN_SECRETS_STORE,
 * else the nearest secrets.enc.json in `from` or a parent folder, else one in `from`.
 * (No crypto imports here: the CLI loads this before it knows what a command needs.)
 */
export function findStore(from: string = process.cwd()): string {
  if (process.env.UNPLUGIN_SECRETS_STORE) return resolve(process.env.UNPLUGIN_SECRETS_STORE)
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const candidate = join(folder, DEFAULT_STORE_PATH)
    if (existsSync(candidate)) return candidate
    if (dirname(folder) === folder) return resolve(from, DEFAULT_STORE_PATH)
  }
}
