import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStore } from '../../src/core/store/store'
import { runCli, tempDir } from '../helpers'

let dir: string
const env = () => ({ UNPLUGIN_SECRETS_KEY_DIR: join(dir, 'no-keys') }) // no key anywhere: check needs none

beforeAll(async () => {
  dir = await tempDir('usec-check-')
  const { store } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany({ PRESENT: 'present-value-1', OTHER: 'other-value-2' })
  const files: Record<string, string> = {
    'config/app.yaml': 'a: ${secret.PRESENT}\nb:\n  - x ${secret.ABSENT}\n',
    'config/app.json': '{\n  "k": "${secret.OTHER}"\n}\n',
    'config/plain.yaml': 'c: ${HOME}\n',
    'node_modules/pkg/config.yaml': 'd: ${secret.IGNORED}\n',
    'ok/only.yaml': 'e: ${secret.PRESENT}\n',
  }
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
})

describe('check', () => {
  it('lists every reference with file:line:col and whether the store has it; exit 1 when one is missing', async () => {
    const result = await runCli(['check'], { cwd: dir, env: env() })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toContain('config/app.yaml:1:4  PRESENT  ok')
    expect(result.stdout).toContain('config/app.yaml:3:7  ABSENT  MISSING')
    expect(result.stdout).toContain('config/app.json:2:9  OTHER  ok')
    expect(result.stdout).not.toContain('IGNORED')
    expect(result.stdout).toMatch(/4 references in \d+ files; 1 problem\./)
    for (const value of ['present-value-1', 'other-value-2']) expect(result.stdout + result.stderr).not.toContain(value)
  })

  it('takes globs; all present is exit 0; a malformed reference is a problem', async () => {
    const ok = await runCli(['check', 'ok/*.yaml'], { cwd: dir, env: env() })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/ok\/only\.yaml:1:4 {2}PRESENT {2}ok\n1 reference in 1 file; all present\./)
    await writeFile(join(dir, 'ok/bad.yaml'), 'f: ${secret.A-B}\n')
    const bad = await runCli(['check', 'ok/*.yaml'], { cwd: dir, env: env() })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/ok\/bad\.yaml:1:4: Invalid secret name .* ERROR/)
  })

  it('a config it cannot read is a problem, not a file with no references', async () => {
    // A config name linked to a socket: listed by the glob, unreadable even as root (ENXIO).
    await mkdir(join(dir, 'unreadable'), { recursive: true })
    const server = createServer()
    await new Promise<void>(done => server.listen(join(dir, 'unreadable/socket'), done))
    await symlink(join(dir, 'unreadable/socket'), join(dir, 'unreadable/socket.yaml'))
    try {
      const result = await runCli(['check', 'unreadable/*.yaml'], { cwd: dir, env: env() })
      expect(result.code, result.stdout).toBe(1)
      expect(result.stdout).toMatch(/unreadable\/socket\.yaml: cannot read it \(\w+\) {2}ERROR\n0 references in 1 file; 1 problem\./)
    }
    finally {
      server.close()
    }
  })

  it('render names a config it cannot read as a usage error', async () => {
    const result = await runCli(['render', 'missing.yaml'], { cwd: dir, env: env() })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/Cannot read the config missing\.yaml: no such file\. Pass the path/)
  })
})
