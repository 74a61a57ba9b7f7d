import { execFileSync } from 'node:child_process'
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

describe('check: what the walk skips', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' } })
  /** A project in a git work tree: output folders, a rendered file, and .gitignore files at two levels with negations. */
  const files: Record<string, string> = {
    '.gitignore': 'out.yaml\nrendered/\n*.local.yaml\n!keep.local.yaml\n!rendered/keep.yaml\n',
    'config/app.yaml': 'a: ${secret.PRESENT}\n',
    'keep.local.yaml': 'b: ${secret.PRESENT}\n',
    'other.local.yaml': 'c: ${secret.IN_LOCAL}\n',
    'out.yaml': 'literal: ${secret.RENDERED_ESCAPE}\n', // what render makes of $${secret.…}
    'rendered/keep.yaml': 'd: ${secret.UNDER_IGNORED_FOLDER}\n',
    'dist/config.yaml': 'e: ${secret.IN_DIST}\n',
    'packages/web/build/config.json': '{"f": "${secret.IN_BUILD}"}\n',
    'generated.yaml': 'g: ${secret.PRESENT}\n', // sub/.gitignore's rule is for sub/ only
    'sub/.gitignore': 'generated.yaml\n!important.local.yaml\n',
    'sub/deep/generated.yaml': 'h: ${secret.IN_SUB_GENERATED}\n',
    'sub/important.local.yaml': 'i: ${secret.PRESENT}\n',
  }

  it('skips output folders and what the .gitignore files ignore (nested, with negations); a GLOB is taken as written', async () => {
    const project = join(dir, 'walk')
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(project, name, '..'), { recursive: true })
      await writeFile(join(project, name), text)
    }
    git(project, 'init', '-q')
    const result = await runCli(['check', '--store', join(dir, 'secrets.enc.json')], { cwd: project, env: env() })
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe([
      'config/app.yaml:1:4  PRESENT  ok',
      'generated.yaml:1:4  PRESENT  ok',
      'keep.local.yaml:1:4  PRESENT  ok',
      'sub/important.local.yaml:1:4  PRESENT  ok',
      '4 references in 4 files; all present.',
      '',
    ].join('\n'))
    expect(result.code).toBe(0)
    // git agrees on every file the walk could have listed.
    const ignoredByGit = git(project, 'ls-files', '--others', '--ignored', '--exclude-standard').split('\n').filter(Boolean)
    expect(ignoredByGit.sort()).toEqual(['other.local.yaml', 'out.yaml', 'rendered/keep.yaml', 'sub/deep/generated.yaml'])

    const named = await runCli(['check', '--store', join(dir, 'secrets.enc.json'), 'dist/*.yaml', 'out.yaml'], { cwd: project, env: env() })
    expect(named.stdout).toMatch(/^dist\/config\.yaml:1:4 {2}IN_DIST {2}MISSING\nout\.yaml:1:10 {2}RENDERED_ESCAPE {2}MISSING\n/)
    expect(named.code).toBe(1)
  })

  it('outside a git work tree, the .gitignore files of the folder are read too', async () => {
    const project = join(dir, 'no-git')
    for (const [name, text] of Object.entries({ '.gitignore': '/out.yaml\n', 'out.yaml': 'a: ${secret.RENDERED}\n', 'nested/out.yaml': 'b: ${secret.PRESENT}\n' })) {
      await mkdir(join(project, name, '..'), { recursive: true })
      await writeFile(join(project, name), text)
    }
    const result = await runCli(['check', '--store', join(dir, 'secrets.enc.json')], { cwd: project, env: env() })
    expect(result.stdout).toBe('nested/out.yaml:1:4  PRESENT  ok\n1 reference in 1 file; all present.\n')
  })
})
