/**
 * What a walk of the project skips: the usual build output folders, and what
 * the .gitignore files ignore (nested files and negations, read as git reads them).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ignore from 'ignore'
import type { Ignore } from 'ignore'

/** Never walked at all. */
export const NEVER_WALKED = ['**/node_modules/**', '**/.git/**']

/** The .gitignore files of a walk: found by the walk itself, so the folders are read once. */
export const GITIGNORE_GLOB = '**/.gitignore'

/**
 * Folders bundlers write their output to, at any depth: what is built there is
 * no source of references. (Dot folders, .next/ or .nuxt/, are never walked.)
 */
export const OUTPUT_FOLDERS = ['dist', 'build', 'out', 'coverage']

const toPosix = (path: string): string => path.split(sep).join('/')

/** The top of the git work tree `from` is in (the folder holding `.git`), else undefined. */
function workTreeTop(from: string): string | undefined {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git'))) return folder
    if (dirname(folder) === folder) return undefined
  }
}

/**
 * One line of a .gitignore in `base` (a folder relative to the top, '' for
 * the top itself) rewritten to be relative to the top. A pattern with a slash
 * before its end is anchored to its file's folder; one without matches at any
 * depth below it (gitignore(5)).
 */
function rebasePattern(line: string, base: string): string | undefined {
  if (line.trim() === '' || line.startsWith('#')) return undefined
  if (base === '') return line
  const negated = line.startsWith('!')
  const body = negated ? line.slice(1) : line
  const anchored = body.replace(/\/+\s*$/, '').includes('/')
  return `${negated ? '!' : ''}${base}/${anchored ? body.replace(/^\//, '') : `**/${body}`}`
}

/**
 * The rules of .git/info/exclude and of every .gitignore from the top down
 * (parents before children, so a deeper file's rule wins): those in the
 * folders above `cwd` up to the top, then `below` (the walk's, under `cwd`).
 */
async function loadRules(top: string, cwd: string, below: string[]): Promise<Ignore> {
  const rules = ignore()
  const read = (file: string) => readFile(file, 'utf8').catch(() => '')
  rules.add(await read(join(top, '.git/info/exclude')))
  const above: string[] = []
  for (let folder = cwd; folder !== top && dirname(folder) !== folder; folder = dirname(folder))
    above.unshift(join(dirname(folder), '.gitignore'))
  const depth = (file: string) => toPosix(file).split('/').length
  const topDown = [...below].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))
  for (const file of [...above, ...topDown]) {
    const base = toPosix(relative(top, dirname(file)))
    rules.add(
      (await read(file))
        .split(/\r?\n/)
        .map(line => rebasePattern(line, base))
        .filter((line): line is string => line !== undefined),
    )
  }
  return rules
}

/**
 * A test for the files of a walk from `from`: whether git's rules ignore the
 * file (the .gitignore files of the work tree, or of `from` outside git).
 * `gitignoreFiles` are the .gitignore files the walk found under `from`.
 */
export async function gitIgnored(from: string, gitignoreFiles: string[]): Promise<(file: string) => boolean> {
  const cwd = resolve(from)
  const top = workTreeTop(cwd) ?? cwd
  const rules = await loadRules(top, cwd, gitignoreFiles)
  return (file) => {
    const fromTop = toPosix(relative(top, file))
    return !fromTop.startsWith('..') && rules.ignores(fromTop)
  }
}
