import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers'

const run = promisify(execFile)
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)

describe('playground', () => {
  it('seeds a store, builds the server bundle with Vite and prints the resolved config masked', async () => {
    // The playground's own key folder, as npm run playground uses (not the test run's temporary one):
    // a store seeded by an earlier playground run keeps its keys there.
    const env = { ...process.env, NO_COLOR: '1', UNPLUGIN_SECRETS_KEY_DIR: join(ROOT, 'playground/.keys') }
    await run(bin('tsx'), ['playground/seed.ts'], { cwd: ROOT, env })
    await run(bin('vite'), ['build', '--config', 'playground/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, env })
    const { stdout } = await run(bin('tsx'), ['playground/show-config.ts'], { cwd: ROOT, env })
    const shown = JSON.parse(stdout.slice(stdout.indexOf('{')))
    expect(shown.database.password).toBe('•••(25 chars)')
    expect(shown.grafana.headers.Authorization).toBe('Bearer •••(24 chars)')
    expect(shown.docs).toBe('The escape ${secret.NAME} stays literal.')
    expect(stdout).not.toContain('demo-db-password')
  }, 120_000)
})
