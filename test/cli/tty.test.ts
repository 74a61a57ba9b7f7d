/**
 * The CLI on a real terminal: util-linux `script` gives the child a pty, and
 * the test types into it. Checks the hidden prompt (no echo, editing keys,
 * Ctrl-C), `key import` from the prompt, and colour on a terminal.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCli, tempDir } from '../helpers'

const SCRIPT = '/usr/bin/script'
/** macOS has a BSD `script` at the same path that takes other flags: these tests need util-linux's. */
const HAS_UTIL_LINUX_SCRIPT = spawnSync(SCRIPT, ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') ?? false
const TMP = await tempDir('usec-tty-')

interface Person {
  dir: string
  env: Record<string, string>
}

async function person(prefix: string, dir?: string): Promise<Person> {
  const home = await mkdtemp(join(TMP, prefix))
  return { dir: dir ?? home, env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config') } }
}

const run = (who: Person, args: string[], input?: string, env: Record<string, string> = {}) =>
  runCli(args, { cwd: who.dir, env: { ...who.env, ...env }, input })

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

interface Step {
  /** Text to wait for in the terminal output before typing. */
  waitFor: string
  type: string
}

interface TerminalResult {
  code: number | null
  /** Everything the terminal showed: the child's stdout and stderr, and any echo of what was typed. */
  output: string
}

/** Runs `command` (a shell command line) on a pty through util-linux script, typing each step after its prompt. */
function inTerminal(command: string, options: { cwd: string, env: Record<string, string>, steps?: Step[], settleMs?: number }): Promise<TerminalResult> {
  // Type right after the prompt shows, as a fast typist or a paste would:
  // the CLI turns echo off before it writes the prompt.
  const settleMs = options.settleMs ?? 0
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH!, SHELL: '/bin/sh', TERM: 'xterm-256color', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const steps = [...(options.steps ?? [])]
    let output = ''
    let searchFrom = 0
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out waiting for ${JSON.stringify(steps[0]?.waitFor)}; terminal showed: ${JSON.stringify(output)}`))
    }, 20_000)
    let typing = false
    const typeNext = () => {
      const step = steps[0]
      if (!step || typing) return
      const at = output.indexOf(step.waitFor, searchFrom)
      if (at === -1) return
      searchFrom = at + step.waitFor.length
      typing = true
      setTimeout(() => {
        steps.shift()
        typing = false
        child.stdin.write(step.type)
        typeNext()
      }, settleMs)
    }
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      typeNext()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (steps.length) reject(new Error(`exited (${code}) before ${JSON.stringify(steps[0]!.waitFor)} appeared; terminal showed: ${JSON.stringify(output)}`))
      else resolve({ code, output })
    })
  })
}

const cli = (args: string[]) => [process.execPath, CLI, ...args].map(shellQuote).join(' ')

describe.skipIf(!HAS_UTIL_LINUX_SCRIPT).concurrent('on a terminal', () => {
  let alice: Person
  let storeKey: string
  let adminKey: string
  beforeAll(async () => {
    alice = await person('alice-')
    const init = await run(alice, ['init', '--admin', 'alice'])
    expect(init.code, init.stderr).toBe(0)
    storeKey = (await run(alice, ['key', 'export'])).stdout.trim()
    const id = (JSON.parse(await readFile(join(alice.dir, 'secrets.enc.json'), 'utf8')) as { id: string }).id
    adminKey = (JSON.parse(await readFile(join(alice.env.XDG_CONFIG_HOME!, 'unplugin-secrets', 'keys', `${id}.json`), 'utf8')) as { adminKey: string }).adminKey
  })

  const get = (name: string) => run(alice, ['get', name, '--no-newline'])

  it('harness check: the terminal echoes typed text when a program does not hide it', async () => {
    const typed = `echoed${randomBytes(4).toString('hex')}`
    const result = await inTerminal('printf "ready> "; head -n 1 >/dev/null', { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'ready> ', type: `${typed}\r` }] })
    expect(result.code).toBe(0)
    expect(result.output).toContain(typed)
  })

  it('set reads the value from a hidden prompt and does not echo it', async () => {
    const value = `Typed${randomBytes(12).toString('hex')}`
    const result = await inTerminal(cli(['set', 'TYPED']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for TYPED (input hidden): ', type: `${value}\r` }] })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('Created TYPED (version 1).')
    expect(result.output).not.toContain(value)
    expect(result.output).not.toContain(value.slice(0, 8))
    expect(await get('TYPED')).toMatchObject({ code: 0, stdout: value })
  })

  it('backspace and Ctrl-U edit the hidden input', async () => {
    const backspace = await inTerminal(cli(['set', 'EDITED']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for EDITED', type: 'abX\u007Fc\r' }] })
    expect(backspace.code, backspace.output).toBe(0)
    expect((await get('EDITED')).stdout).toBe('abc')

    const killLine = await inTerminal(cli(['set', 'RETYPED']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for RETYPED', type: 'wrong\u0015right\b\bht\r' }] })
    expect(killLine.code, killLine.output).toBe(0)
    expect((await get('RETYPED')).stdout).toBe('right')
    expect(killLine.output).not.toContain('wrong')
  })

  it('Ctrl-C cancels: nothing is stored and the partial input is not shown', async () => {
    const partial = `Partial${randomBytes(6).toString('hex')}`
    const result = await inTerminal(cli(['set', 'CANCELLED']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for CANCELLED', type: `${partial}\u0003` }] })
    expect(result.code).toBe(130)
    expect(result.output).toContain('Cancelled at the prompt; nothing was changed.')
    expect(result.output).not.toContain(partial)
    expect((await get('CANCELLED')).code).toBe(1)
    const list = JSON.parse((await run(alice, ['list', '--json'])).stdout) as Array<{ name: string }>
    expect(list.map(s => s.name)).not.toContain('CANCELLED')
  })

  it('Ctrl-D on an empty prompt cancels; after text it ends the input', async () => {
    const empty = await inTerminal(cli(['set', 'EOF_EMPTY']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for EOF_EMPTY', type: '\u0004' }] })
    expect(empty.code).not.toBe(0)
    expect(empty.output).toContain('Cancelled')
    expect((await get('EOF_EMPTY')).code).toBe(1)

    const typed = await inTerminal(cli(['set', 'EOF_TYPED']), { cwd: alice.dir, env: alice.env, steps: [{ waitFor: 'Value for EOF_TYPED', type: 'eof-value\u0004' }] })
    expect(typed.code, typed.output).toBe(0)
    expect((await get('EOF_TYPED')).stdout).toBe('eof-value')
  })

  it('set without an admin key fails before prompting for a value', async () => {
    const reader = await person('reader-', alice.dir)
    const result = await inTerminal(cli(['set', 'NOT_ASKED']), { cwd: alice.dir, env: { ...reader.env, UNPLUGIN_SECRETS_KEY: storeKey } })
    expect(result.code).toBe(1)
    expect(result.output).toContain('needs an admin key')
    expect(result.output).not.toContain('Value for')
  })

  it('key import and key import --admin read the keys from hidden prompts', async () => {
    const bob = await person('bob-', alice.dir)
    const store = await inTerminal(cli(['key', 'import']), { cwd: alice.dir, env: bob.env, steps: [{ waitFor: 'Paste the store key (input hidden): ', type: `${storeKey}\r` }] })
    expect(store.code, store.output).toBe(0)
    expect(store.output).toContain('Saved the store key')
    expect(store.output).not.toContain(storeKey.slice(0, 20))

    const admin = await inTerminal(cli(['key', 'import', '--admin']), { cwd: alice.dir, env: bob.env, steps: [{ waitFor: 'Paste the admin key (input hidden): ', type: `${adminKey}\r` }] })
    expect(admin.code, admin.output).toBe(0)
    expect(admin.output).toContain('Saved the admin key')
    expect(admin.output).not.toContain(adminKey.slice(0, 20))

    // bob's key file now opens and changes the store
    const set = await run(bob, ['set', 'FROM_BOB'], 'bob-value')
    expect(set.code, set.stderr).toBe(0)
    expect((await get('FROM_BOB')).stdout).toBe('bob-value')
  })

  it('key import from the prompt rejects another store\'s key', async () => {
    const other = await person('other-')
    expect((await run(other, ['init', '--admin', 'zed'])).code).toBe(0)
    const otherKey = (await run(other, ['key', 'export'])).stdout.trim()
    const carol = await person('carol-', alice.dir)
    const result = await inTerminal(cli(['key', 'import']), { cwd: alice.dir, env: carol.env, steps: [{ waitFor: 'Paste the store key', type: `${otherKey}\r` }] })
    expect(result.code).toBe(1)
    expect(result.output).toContain('belongs to another store')
    expect(result.output).not.toContain(otherKey.slice(0, 20))
    expect((await run(carol, ['list'])).code).toBe(1)
  })

  it('key export on a terminal warns on stderr', async () => {
    const result = await inTerminal(cli(['key', 'export']), { cwd: alice.dir, env: alice.env })
    expect(result.code).toBe(0)
    expect(result.output).toContain('anyone who has it can read every secret')
    expect(result.output).toContain(storeKey)
  })

  it('key export --admin on a terminal warns on stderr; redirected, the file gets the admin key alone', async () => {
    const shown = await inTerminal(cli(['key', 'export', '--admin']), { cwd: alice.dir, env: alice.env })
    expect(shown.code).toBe(0)
    expect(shown.output).toContain('This is the admin key of alice: anyone who has it can change every secret and the admin list.')
    expect(shown.output).toContain(adminKey)
    const file = join(alice.dir, 'admin-key.txt')
    const redirected = await inTerminal(`${cli(['key', 'export', '--admin'])} > ${shellQuote(file)}`, { cwd: alice.dir, env: alice.env })
    expect(redirected.code).toBe(0)
    expect(redirected.output).not.toContain(adminKey)
    expect(redirected.output).not.toContain('This is the admin key')
    expect(await readFile(file, 'utf8')).toBe(`${adminKey}\n`)
  })

  it('errors are red on a terminal, and plain with NO_COLOR=1', async () => {
    const colour = await inTerminal(cli(['get', 'MISSING']), { cwd: alice.dir, env: alice.env })
    expect(colour.code).toBe(1)
    expect(colour.output).toContain('\u001B[31merror:\u001B[39m No secret MISSING')

    const plain = await inTerminal(cli(['get', 'MISSING']), { cwd: alice.dir, env: { ...alice.env, NO_COLOR: '1' } })
    expect(plain.code).toBe(1)
    expect(plain.output).toContain('error: No secret MISSING')
    expect(plain.output).not.toContain('\u001B')
  })

  // BUG (src/cli/io.ts promptHidden): the prompt is written before
  // setRawMode(true), so a key typed as soon as the prompt shows can reach the
  // terminal while it still echoes. Under load this happens on its own; here
  // a preload stretches the gap between the two calls to make it certain.
  // Remove `.fails` once the prompt is written after echo is off.
  it('text typed as soon as the prompt shows is never echoed', async () => {
    const preload = join(TMP, 'slow-raw-mode.cjs')
    await writeFile(preload, [
      'const tty = require("node:tty")',
      'const setRawMode = tty.ReadStream.prototype.setRawMode',
      'tty.ReadStream.prototype.setRawMode = function (mode) {',
      '  if (mode) { const until = Date.now() + 400; while (Date.now() < until); }',
      '  return setRawMode.call(this, mode)',
      '}',
    ].join('\n'))
    const value = `Early${randomBytes(8).toString('hex')}`
    const command = [process.execPath, '--require', preload, CLI, 'set', 'EARLY'].map(shellQuote).join(' ')
    const result = await inTerminal(command, { cwd: alice.dir, env: alice.env, settleMs: 0, steps: [{ waitFor: 'Value for EARLY', type: `${value}\r` }] })
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toContain(value)
  })
})
