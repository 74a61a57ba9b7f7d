/**
 * The real CLI (dist/cli.mjs) on random command lines, drawn by fast-check
 * with a fixed seed from the commands, their options, names and hostile
 * strings. Every run ends with exit code 0, 1 or 2 and at most one `error:`
 * line (never a stack or "unexpected"), prints no value except through `get`,
 * never repeats a value pasted into `set`'s arguments, and the store verifies
 * afterwards.
 */
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { createLiveStore } from '../plugin/live-store'
import { cli, SEED } from './harness'

const RUNS = Number(process.env.CLI_FUZZ_RUNS ?? 60)
const VALUES = { API_KEY: 'cnry-cli-API_KEY-51c9', DB_PASSWORD: 'cnry-cli-DB_PASSWORD-8e2a' }
const PASTED = 'cnry-pasted-into-argv-3f7d'

const word = fc.oneof(
  fc.constantFrom('init', 'set', 'get', 'list', 'rm', 'rotate', 'admins', 'verify', 'log', 'key', 'render', 'check', 'identity', 'readers', 'accept-rollback', 'help', 'add', 'remove', 'keygen', 'export', 'import', 'new', 'show'),
  fc.constantFrom('--store', '--store=', '--admin', '--description', '--from-file', '--no-newline', '-o', '--output', '--check', '--public-key', '--help', '-h', '--version', '-v', '--', '-', '--unknown', '-x'),
  fc.constantFrom('API_KEY', 'DB_PASSWORD', 'NEW_NAME', 'bad name', '1BAD', 'config.yaml', 'missing.yaml', '/dev/null', '.', '..', PASTED, `--description=${PASTED}`),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }).map(text => text.replace(/\0/g, '')),
)

describe(`CLI arguments (fast-check, seed ${SEED}, ${RUNS} command lines)`, () => {
  it('exit 0/1/2, one clean error line, no value printed outside get, no pasted value repeated, the store still verifies', async () => {
    const dir = await tempDir('usec-cli-fuzz-')
    const live = await createLiveStore(dir, VALUES)
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(dir, 'config.yaml'), 'a: ${secret.API_KEY}\n')
    const command = fc.constantFrom('set', 'get', 'list', 'rm', 'rotate', 'admins', 'verify', 'log', 'key', 'render', 'check', 'identity', 'readers', 'accept-rollback', 'help', 'init')
    const argvs = fc.sample(fc.tuple(fc.oneof({ weight: 4, arbitrary: command.map(c => [c]) }, { weight: 1, arbitrary: fc.constant([] as string[]) }), fc.array(word, { maxLength: 4 }))
      .map(([head, rest]) => [...head, ...rest]), { seed: SEED, numRuns: RUNS })
    const env = { UNPLUGIN_SECRETS_KEY_DIR: live.keyDir, HOME: dir, UNPLUGIN_SECRETS_STORE: live.store }
    const problems: string[] = []
    const lane = async (offset: number) => {
      for (let i = offset; i < argvs.length; i += 2) {
        const argv = argvs[i]!
        const started = performance.now()
        const result = await cli(argv, env, `stdin-${i}`, dir).done
        const shown = JSON.stringify(argv)
        if (performance.now() - started > 10_000) problems.push(`${shown}: took ${Math.round(performance.now() - started)} ms`)
        if (![0, 1, 2].includes(result.code ?? -1)) problems.push(`${shown}: exit ${result.code} ${result.signal ?? ''}`)
        if (/^\s+at /m.test(result.stderr) || /unexpected/i.test(result.stderr)) problems.push(`${shown}: ${result.stderr.slice(0, 300)}`)
        // No command at all prints the help to stderr (exit 2); every other failure is one error line.
        if (result.code !== 0 && !result.stderr.startsWith('unplugin-secrets ') && (result.stderr.match(/^error: /gm) ?? []).length !== 1) problems.push(`${shown}: exit ${result.code} without exactly one error line: ${result.stderr.slice(0, 300)}`)
        const output = result.stdout + result.stderr
        const isGet = argv.includes('get')
        const isRender = argv.includes('render')
        for (const [name, value] of Object.entries(VALUES)) {
          if (output.includes(value) && !isGet && !isRender) problems.push(`${shown}: printed the value of ${name}`)
        }
        if (argv.includes('set') && output.includes(PASTED)) problems.push(`${shown}: repeated a value pasted into set's arguments`)
      }
    }
    await Promise.all([lane(0), lane(1)])
    expect(problems).toEqual([])
    process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
    const store = await openStore({ path: live.store })
    store.verify()
    console.log(`cli fuzz: ${argvs.length} command lines, store at revision ${store.revision}`)
  }, 300_000)
})
