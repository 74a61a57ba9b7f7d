import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CLI, dist } from '../helpers'

/**
 * A store in `dir` whose keys are in a key file under `dir/keys`, so the CLI
 * can change it from another process while a dev server or watcher runs.
 */
export async function createLiveStore(dir: string, values: Record<string, string>) {
  const keyDir = join(dir, 'keys')
  const store = join(dir, 'secrets.enc.json')
  const { createStore } = await dist('store')
  const created = await createStore({ path: store, admin: 'test' })
  await created.store.setMany(values)
  await mkdir(keyDir, { recursive: true })
  await writeFile(join(keyDir, `${created.store.id}.json`), JSON.stringify({ storeKeys: [created.storeKey], adminKey: created.adminKey }), { mode: 0o600 })

  /** `unplugin-secrets set NAME` in another process, as an admin in another terminal would. */
  const cliSet = (name: string, value: string) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'set', name, '--store', store], { env: { PATH: process.env.PATH!, UNPLUGIN_SECRETS_KEY_DIR: keyDir }, stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(stderr))))
    child.stdin.end(value)
  })
  return { store, keyDir, key: created.storeKey as string, adminKey: created.adminKey as string, cliSet }
}

export async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
