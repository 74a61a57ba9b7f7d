import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { isScalar, parseAllDocuments, visit } from 'yaml'
import { expandYamlData } from '../../src/core/formats/yaml'
import { createStore } from '../../src/core/store/store'
import { CORPUS, runCli, tempDir } from '../helpers'

const REAL_CONFIGS = join(CORPUS, 'real-configs')
/** Values that would break a naive renderer: YAML syntax, quotes, line breaks, unicode. */
const VALUES = ['p@ss: "w0rd" # not a comment', 'line1\nline2\r\n\ttabbed', '- [x] {y} *a &b !!str \'q\'', 'é 🔑 \u2028 </script> $${secret.X} ${HOME}']

let dir: string
let env: Record<string, string>

beforeAll(async () => {
  dir = await tempDir('usec-render-')
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany(Object.fromEntries(VALUES.map((value, index) => [`R${index}`, value])))
  env = { UNPLUGIN_SECRETS_KEY: storeKey, UNPLUGIN_SECRETS_KEY_DIR: join(dir, 'no-keys') }
})

/**
 * A copy of a YAML file with references put into up to 4 string scalars of
 * block mappings (as `"…${secret.Rn}…"`), and the line numbers touched.
 */
function withReferences(code: string): { code: string, lines: Set<number> } {
  const targets: [number, number][] = []
  const docs = parseAllDocuments(code)
  for (const doc of Array.isArray(docs) ? docs : []) {
    visit(doc, {
      Pair(_, pair) {
        const value = pair.value
        if (targets.length >= 4 || !isScalar(value) || typeof value.value !== 'string' || !value.range) return
        if (value.type !== 'PLAIN' && value.type !== 'QUOTE_DOUBLE') return
        const [start, end] = value.range
        if (code.slice(start, end).includes('\n') || /[[{]/.test(code.slice(code.lastIndexOf('\n', start) + 1, start))) return
        targets.push([start, end])
      },
    })
  }
  let out = code
  const lines = new Set<number>()
  for (const [index, [start, end]] of [...targets.entries()].reverse()) {
    lines.add(code.slice(0, start).split('\n').length - 1)
    out = `${out.slice(0, start)}"pre \${secret.R${index}} post"${out.slice(end)}`
  }
  return { code: out, lines }
}

describe('render on real-world configs', () => {
  it('a file without references comes out byte-identical; with references, only their lines change', async () => {
    const files = (await readdir(REAL_CONFIGS)).filter(name => /\.(?:ya?ml|json)$/.test(name) && !name.startsWith('openapi'))
    expect(files.length).toBeGreaterThan(15)
    let withRefs = 0
    for (const name of files) {
      const original = await readFile(join(REAL_CONFIGS, name), 'utf8')
      await writeFile(join(dir, name), original)
      const plain = await runCli(['render', name], { cwd: dir, env })
      expect(plain.code, `${name}: ${plain.stderr}`).toBe(0)
      expect(plain.stdout === original, `${name} unchanged`).toBe(true)
      if (!/\.ya?ml$/.test(name)) continue

      const { code, lines } = withReferences(original)
      if (lines.size === 0) continue
      withRefs++
      const copy = `refs-${name}`
      await writeFile(join(dir, copy), code)
      const result = await runCli(['render', copy], { cwd: dir, env })
      expect(result.code, `${name}: ${result.stderr}`).toBe(0)
      const expected = expandYamlData(code, copy, ref => VALUES[Number(ref.slice(1))]!).documents
      const rendered = parseAllDocuments(result.stdout, { merge: true })
      expect(Array.isArray(rendered) ? rendered.map(doc => doc.toJS({ maxAliasCount: 100 })) : [], name).toEqual(expected)
      const input = code.split('\n')
      const output = result.stdout.split('\n')
      expect(output.length, name).toBe(input.length)
      input.forEach((line, index) => {
        if (!lines.has(index)) expect(output[index], `${name}:${index + 1}`).toBe(line)
      })
      for (const value of VALUES) expect(result.stderr).not.toContain(value.slice(0, 8))
    }
    expect(withRefs).toBeGreaterThan(12)
  }, 120_000)
})

describe('render options', () => {
  it('-o writes atomically with mode 0600; --check resolves and writes nothing; missing names exit 1', async () => {
    await mkdir(join(dir, 'k8s'), { recursive: true })
    await writeFile(join(dir, 'k8s/secret.yaml'), 'apiVersion: v1\nkind: Secret\nstringData:\n  password: ${secret.R0}\n  token: ${secret.R3}\n')
    const written = await runCli(['render', 'k8s/secret.yaml', '-o', 'out/secret.yaml'], { cwd: dir, env })
    expect(written.code, written.stderr).toBe(1) // the folder out/ does not exist
    await mkdir(join(dir, 'out'))
    const ok = await runCli(['render', 'k8s/secret.yaml', '-o', 'out/secret.yaml'], { cwd: dir, env })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe('')
    expect((await stat(join(dir, 'out/secret.yaml'))).mode & 0o777).toBe(0o600)
    // The output is final: read it as plain YAML, never expanded again.
    expect(parseAllDocuments(await readFile(join(dir, 'out/secret.yaml'), 'utf8'), { merge: true }).map(doc => doc.toJS())[0]).toEqual({ apiVersion: 'v1', kind: 'Secret', stringData: { password: VALUES[0], token: VALUES[3] } })

    const check = await runCli(['render', 'k8s/secret.yaml', '--check'], { cwd: dir, env })
    expect(check).toMatchObject({ code: 0, stdout: '' })
    expect(check.stderr).toMatch(/all 2 referenced secrets resolve/)
    await writeFile(join(dir, 'k8s/missing.yaml'), 'a: ${secret.NOPE_B}\nb: ${secret.R1}\nc: ${secret.NOPE_A}\n')
    const missing = await runCli(['render', 'k8s/missing.yaml', '--check'], { cwd: dir, env })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/k8s\/missing\.yaml: 2 secrets missing from .*: NOPE_A, NOPE_B\./)
    const failed = await runCli(['render', 'k8s/missing.yaml'], { cwd: dir, env })
    expect(failed.code).toBe(1)
    expect(failed.stdout).toBe('')
    expect(failed.stderr).toMatch(/missing\.yaml:1:4: secret NOPE_B is not in/)
  })
})

describe('render: which files it reads', () => {
  it('refuses a file that is neither YAML nor JSON by its extension, naming the supported ones; the extension may be in any case', async () => {
    const supported = /unplugin-secrets reads YAML \(\.yaml, \.yml\) and JSON \(\.json\) files, told by the extension\. Rename it if it is one of those, or keep its references in a YAML or JSON config\./
    for (const [file, what] of [['.env', 'a file without an extension'], ['app.env', 'a .env file'], ['config.toml', 'a .toml file'], ['Dockerfile', 'a file without an extension']] as const) {
      await writeFile(join(dir, file), 'TOKEN=${secret.R0}\n')
      const result = await runCli(['render', file], { cwd: dir, env })
      expect(result.code, file).toBe(1)
      expect(result.stdout, file).toBe('')
      expect(result.stderr, file).toMatch(new RegExp(`^error: ${file.replace('.', '\\.')} is ${what}: ${supported.source}\\n$`))
      expect(result.stderr, file).not.toMatch(/not valid JSON/)
    }
    await writeFile(join(dir, 'UPPER.YML'), 'token: ${secret.R0}\n')
    const upper = await runCli(['render', 'UPPER.YML'], { cwd: dir, env })
    expect(upper.code, upper.stderr).toBe(0)
    expect(parseAllDocuments(upper.stdout).map(doc => doc.toJS())[0]).toEqual({ token: VALUES[0] })
  })
})
