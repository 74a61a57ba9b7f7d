import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Vitest global setup: the test processes (and the builds they run) get a
 * key folder in a temp folder, so the parse cache's key is never made in the
 * real home. Files that need their own key folder still set one.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const folder = await mkdtemp(join(tmpdir(), 'usec-test-keys-'))
  process.env.UNPLUGIN_SECRETS_KEY_DIR = folder
  return () => rm(folder, { recursive: true, force: true })
}
