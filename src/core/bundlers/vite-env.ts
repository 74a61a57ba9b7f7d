/**
 * UNPLUGIN_SECRETS_* variables from the env files Vite loads for the mode
 * (.env, .env.local, .env.[mode], .env.[mode].local), for the store, its key
 * sources and the dashboard, which read process.env.
 */
import type { ResolvedConfig } from 'vite'

export const ENV_PREFIX = 'UNPLUGIN_SECRETS_'

/** What the env files put in process.env, so that the next load (Vite restarts when one changes) replaces it. */
const fromEnvFiles = new Map<string, string>()

/**
 * Copies the package's variables from Vite's env files into process.env. A
 * variable the process already has wins, as in Vite's own loadEnv: an
 * explicit `UNPLUGIN_SECRETS_KEY=… vite build` is never overridden by a file.
 */
export async function loadEnvFiles(config: Pick<ResolvedConfig, 'mode' | 'envDir' | 'root'>): Promise<void> {
  for (const [name, value] of fromEnvFiles) {
    if (process.env[name] === value) delete process.env[name]
  }
  fromEnvFiles.clear()
  if (config.envDir === false) return
  // Imported here: core imports no bundler, and this runs only inside Vite.
  const { loadEnv } = await import('vite')
  for (const [name, value] of Object.entries(loadEnv(config.mode, config.envDir ?? config.root, ENV_PREFIX))) {
    if (process.env[name] !== undefined) continue
    process.env[name] = value
    fromEnvFiles.set(name, value)
  }
}
