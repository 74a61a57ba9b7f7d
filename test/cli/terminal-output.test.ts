/**
 * Text from files (file names, config text, store metadata) reaches the
 * terminal escaped: no control character, DEL, C1 control, line separator or
 * bidi override from an attacker's pull request can drive the terminal,
 * forge a line or reorder what a reviewer sees. Through the real CLI.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStore } from '../../src/core/store/store'
import type { RunResult } from '../helpers'
import { runCli, tempDir } from '../helpers'

/** ESC (an erase-screen sequence), DEL, CSI as a C1 control, NEL, U+2028/2029, RLO, PDF, LRI, RLI, FSI, PDI, ALM, LRM, RLM. */
const UNSAFE = '\u001B[2J\u007F\u009B31m\u0085\u2028\u2029\u202E\u202C\u2066\u2067\u2068\u2069\u061C\u200E\u200F'
const ESCAPED = '\\u001b[2J\\u007f\\u009b31m\\u0085\\u2028\\u2029\\u202e\\u202c\\u2066\\u2067\\u2068\\u2069\\u061c\\u200e\\u200f'
// eslint-disable-next-line no-control-regex -- the raw control characters the output must not hold
const RAW = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/

let dir: string
let env: Record<string, string>

beforeAll(async () => {
  dir = await tempDir('usec-terminal-')
  env = { UNPLUGIN_SECRETS_KEY_DIR: join(dir, 'keys') }
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.set('PRESENT', 'present-value-1', { description: `desc${UNSAFE}\nFAKE_ROW  1  x  y  z` })
  env.UNPLUGIN_SECRETS_KEY = storeKey
})

const run = (args: string[], cwd = dir): Promise<RunResult> => runCli(args, { cwd, env })

/** No raw unsafe character on either stream, and every forged line stays inside its own line. */
function expectEscaped(result: RunResult): void {
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toMatch(RAW)
    expect(text).not.toMatch(/^FAKE/m)
  }
}

describe('terminal output escapes what it did not write itself', () => {
  it('check: an attacker-chosen file name and config text', async () => {
    const folder = join(dir, 'pr')
    await mkdir(folder, { recursive: true })
    await writeFile(join(folder, `a${UNSAFE}\nFAKE  ok.yaml`), 'k: ${secret.PRESENT}\n')
    await writeFile(join(folder, 'b.yaml'), `k: "\${secret.X${UNSAFE}}"\n`)
    const result = await run(['check', '--store', join(dir, 'secrets.enc.json'), '*.yaml'], folder)
    expect(result.code, result.stderr).toBe(1)
    expectEscaped(result)
    expect(result.stdout).toContain(`a${ESCAPED}\\nFAKE  ok.yaml:1:4  PRESENT  ok`)
    expect(result.stdout).toMatch(/^b\.yaml:1:5: Invalid secret name in .*\\u001b\[2J.*\\u202e.* {2}ERROR$/m)
  })

  it('list, and list --json (still JSON, the same data)', async () => {
    const list = await run(['list'])
    expectEscaped(list)
    expect(list.stdout).toContain(`desc${ESCAPED}\\nFAKE_ROW`)
    const json = await run(['list', '--json'])
    expectEscaped(json)
    expect((JSON.parse(json.stdout) as { description: string }[])[0]!.description).toBe(`desc${UNSAFE}\nFAKE_ROW  1  x  y  z`)
  })

  it('verify and render name a store or config in a folder with such a name', async () => {
    const folder = join(dir, `repo${UNSAFE}\nFAKE`)
    await mkdir(folder, { recursive: true })
    const { storeKey } = await createStore({ path: join(folder, 'secrets.enc.json'), admin: 'test' })
    const key = { ...env, UNPLUGIN_SECRETS_KEY: storeKey }
    const verify = await runCli(['verify'], { cwd: folder, env: key })
    expect(verify.code, verify.stderr).toBe(0)
    expectEscaped(verify)
    expect(verify.stdout).toContain(`repo${ESCAPED}\\nFAKE`)
    await writeFile(join(folder, 'c.yaml'), 'plain: 1\n')
    const render = await runCli(['render', join(folder, 'c.yaml'), '--check'], { cwd: folder, env: key })
    expect(render.code, render.stderr).toBe(0)
    expectEscaped(render)
    const missing = await runCli(['render', `missing${UNSAFE}.yaml`], { cwd: folder, env: key })
    expect(missing.code).toBe(2)
    expectEscaped(missing)
    expect(missing.stderr).toContain(`missing${ESCAPED}.yaml`)
  })

  it('an error message is one escaped line', async () => {
    const result = await run([`no${UNSAFE}\nFAKE`])
    expect(result.code).toBe(2)
    expectEscaped(result)
    expect(result.stderr).toMatch(/^error: Unknown command "no\\u001b\[2J.*\\nFAKE"\. [^\n]*\n$/)
  })
})
