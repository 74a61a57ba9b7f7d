/** The few git calls the CLI makes (verify --base, merge --git, git setup): the real git binary. */
import { execFileSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { dirname, relative, sep } from 'node:path'
import { SecretsError } from '../core/errors'

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    })
  }
  catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string }
    if (failure.code === 'ENOENT')
      throw new SecretsError('USAGE', 'This needs git on PATH (it reads the store as committed at a ref).')
    throw Object.assign(new Error(String(failure.stderr ?? failure.message).trim()), { cause: error })
  }
}

/** The top folder of the git work tree holding `folder`; USAGE when there is none. */
export function workTreeRoot(folder: string, why: string): string {
  try {
    return git(['rev-parse', '--show-toplevel'], folder).trim()
  }
  catch (error) {
    if (error instanceof SecretsError) throw error
    throw new SecretsError('USAGE', `${folder} is not in a git work tree, ${why}.`)
  }
}

/** `path` (an existing file) as git names it: relative to the work tree's top, with forward slashes. */
function repoPath(root: string, path: string): string {
  return relative(root, realpathSync(path)).split(sep).join('/')
}

/**
 * The text of `path` as committed at `ref`, or undefined when that commit has
 * no such file (the change adds the store).
 */
export function readAtRef(ref: string, path: string): string | undefined {
  const root = workTreeRoot(dirname(realpathSync(path)), `so there is no ${ref} to compare ${path} with`)
  const inRepo = repoPath(root, path)
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root)
  }
  catch {
    throw new SecretsError('USAGE', [
      `git knows no commit ${JSON.stringify(ref)} here.`,
      'In CI, fetch it first (git fetch origin main; actions/checkout with fetch-depth: 0).',
    ].join(' '))
  }
  try {
    return git(['show', `${ref}:${inRepo}`], root)
  }
  catch {
    return undefined
  }
}

/**
 * The three versions of a file git keeps while a merge of it is unfinished
 * (index stages 1 base, 2 ours, 3 theirs); a missing stage is undefined.
 */
export function readMergeStages(path: string): { base?: string, ours?: string, theirs?: string } {
  const root = workTreeRoot(dirname(realpathSync(path)), 'so there is no unfinished git merge of it')
  const inRepo = repoPath(root, path)
  const stage = (n: number): string | undefined => {
    try {
      return git(['show', `:${n}:${inRepo}`], root)
    }
    catch {
      return undefined
    }
  }
  return { base: stage(1), ours: stage(2), theirs: stage(3) }
}

/** A value of this repository's own git config (.git/config), or undefined. */
export function localConfig(root: string, key: string): string | undefined {
  try {
    return git(['config', '--local', '--get', key], root).replace(/\n$/, '')
  }
  catch {
    return undefined
  }
}

export const setLocalConfig = (root: string, key: string, value: string): void =>
  void git(['config', '--local', key, value], root)
