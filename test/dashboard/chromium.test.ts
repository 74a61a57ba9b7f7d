import { spawn } from 'node:child_process'
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers'
import { chromiumForTests, findChromium, NO_CHROMIUM } from './chromium'

/** A folder for PATH holding an executable file named `name`. */
async function binFolder(name?: string): Promise<string> {
  const dir = join(await tempDir('usec-chromium-'), 'bin')
  await mkdir(dir)
  if (name) {
    await writeFile(join(dir, name), '#!/bin/sh\n')
    await chmod(join(dir, name), 0o755)
  }
  return dir
}

/** vitest on the browser tests in a child process whose PATH has node and nothing else. */
async function browserTestsWithout(env: Record<string, string>): Promise<{ code: number, output: string }> {
  const bin = await binFolder()
  await symlink(process.execPath, join(bin, 'node'))
  const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs')
  const child = spawn(process.execPath, [vitest, 'run', 'test/dashboard/browser.test.ts'], { cwd: ROOT, env: { PATH: bin, HOME: process.env.HOME!, NO_COLOR: '1', ...env } })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk })
  const code = await new Promise<number>(resolve => child.on('close', code => resolve(code ?? -1)))
  return { code, output }
}

describe('which Chromium the browser tests use', () => {
  it('CHROMIUM_PATH first, then chromium or Chrome on PATH; none is undefined', async () => {
    const chromium = await binFolder('chromium')
    const chrome = await binFolder('google-chrome')
    const empty = await binFolder()
    expect(findChromium({ PATH: `${empty}:${chrome}:${chromium}` })).toBe(join(chromium, 'chromium'))
    expect(findChromium({ PATH: `${empty}:${chrome}` })).toBe(join(chrome, 'google-chrome'))
    expect(findChromium({ PATH: chromium, CHROMIUM_PATH: join(chrome, 'google-chrome') })).toBe(join(chrome, 'google-chrome'))
    expect(findChromium({ PATH: empty })).toBeUndefined()
  })

  it('a CHROMIUM_PATH that is not an executable is an error that names it', async () => {
    const empty = await binFolder()
    expect(() => findChromium({ PATH: empty, CHROMIUM_PATH: join(empty, 'nope') })).toThrow(`CHROMIUM_PATH=${join(empty, 'nope')} is not an executable file: point it at a Chromium or Chrome binary, or unset it.`)
  })

  it('with CI set a missing browser is an error that says how to get one; without, none is found', async () => {
    const empty = await binFolder()
    expect(chromiumForTests({ PATH: empty })).toBeUndefined()
    expect(chromiumForTests({ PATH: empty, CI: 'false' })).toBeUndefined()
    expect(() => chromiumForTests({ PATH: empty, CI: 'true' })).toThrow('CI is set and no Chromium was found: install it (Debian/Ubuntu: apt install chromium; macOS: brew install --cask chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.')
  })

  it('npm test without a browser: the browser tests are skipped with one line saying how to get one', async () => {
    const { code, output } = await browserTestsWithout({})
    expect(output.split('\n').filter(line => line.includes('no Chromium found'))).toEqual([`skipped: ${NO_CHROMIUM}`])
    expect(output).toMatch(/vitest: 0 passed, 0 failed, [1-9]\d* skipped/)
    expect(code).toBe(0)
  })

  it('CI=true without a browser: the run fails', async () => {
    const { code, output } = await browserTestsWithout({ CI: 'true' })
    expect(output).toContain('CI is set and no Chromium was found')
    expect(output).toMatch(/vitest: 0 passed, 1 failed, [1-9]\d* skipped/)
    expect(code).toBe(1)
  })
})
