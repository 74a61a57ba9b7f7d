import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageScanner } from '../../src/dashboard/usage'
import { tempDir } from '../helpers'

async function files(root: string, entries: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(entries)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), text)
  }
}

describe('where used', () => {
  it('scans the configs include/exclude select under the root, plus transformed files elsewhere, and nothing ignored', async () => {
    const dir = await tempDir('usec-usage-')
    const root = join(dir, 'app')
    await files(dir, {
      'app/config/a.yaml': 'x: 1\ntoken: ${secret.A}\n',
      'app/config/b.json': '{\n  "t": "${secret.A} ${secret.B}"\n}\n',
      'app/config/skipped.yaml': 'token: ${secret.A}\n',
      'app/config/notes.txt': '${secret.A}\n',
      'app/fixtures/other.json': '{ "t": "${secret.A}" }',
      'app/node_modules/pkg/c.yaml': 'token: ${secret.A}\n',
      'app/dist/d.yaml': 'token: ${secret.A}\n',
      'app/secrets.enc.json': '{"secrets": {"A": {"description": "${secret.A}"}}}',
      'elsewhere/outside.yaml': 'token: ${secret.B}\n',
    })
    const scanner = new UsageScanner({
      root,
      include: [/\.ya?ml$/, /config[\\/]\w+\.json$/],
      exclude: [/[\\/]node_modules[\\/]/, '**/skipped.yaml'],
      ignore: [join(root, 'secrets.enc.json'), join(root, 'dist')],
      transformed: () => [`${join(dir, 'elsewhere/outside.yaml')}?import`],
    })
    const { byName, problems } = await scanner.scan()
    expect(problems).toEqual([])
    expect(Object.fromEntries(byName)).toEqual({
      A: [{ file: 'config/a.yaml', line: 2, column: 8 }, { file: 'config/b.json', line: 2, column: 9 }],
      B: [{ file: 'config/b.json', line: 2, column: 21 }, { file: '../elsewhere/outside.yaml', line: 1, column: 8 }],
    })

    await writeFile(join(root, 'config/a.yaml'), 'x: 1\n\ntoken: ${secret.B}\n') // a change is seen on the next scan
    expect((await scanner.scan()).byName.get('B')![0]).toEqual({ file: 'config/a.yaml', line: 3, column: 8 })
  })
})
