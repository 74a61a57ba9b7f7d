import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Writes the key file where UNPLUGIN_SECRETS_KEY_DIR points, as the CLI's init does under your config folder. */
export async function writeKeyFile(id: string, storeKey: string, adminKey: string): Promise<void> {
  const folder = process.env.UNPLUGIN_SECRETS_KEY_DIR!
  await mkdir(folder, { recursive: true, mode: 0o700 })
  await writeFile(join(folder, `${id}.json`), `${JSON.stringify({ storeKeys: [storeKey], adminKey }, null, 2)}\n`, { mode: 0o600 })
}
