/** The few git calls the CLI makes (verify --base): the real git binary, in the store's folder. */
import { execFileSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { dirname, relative, sep } from 'node:path'
import { SecretsError } from '../core/errors'

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 })
  }
  catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string }
    if (failure.code === 'ENOENT') throw new SecretsError('USAGE', 'This needs git on PATH (it reads the store as committed at a ref).')
    throw Object.assign(new Error(String(failure.stderr ?? failure.message).trim()), { cause: error })
  }
}

/**
 * The text of `path` as committed at `ref`, or undefined when that commit has
 * no such file (the change adds the store).
 */
export function readAtRef(ref: string, path: string): string | undefined {
  const folder = dirname(realpathSync(path))
  let root: string
  try {
    root = git(['rev-parse', '--show-toplevel'], folder).trim()
  }
  catch {
    throw new SecretsError('USAGE', `${path} is not in a git work tree, so there is no ${ref} to compare it with.`)
  }
  const inRepo = relative(root, realpathSync(path)).split(sep).join('/')
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root)
  }
  catch {
    throw new SecretsError('USAGE', `git knows no commit ${JSON.stringify(ref)} here. In CI, fetch it first (git fetch origin main; actions/checkout with fetch-depth: 0).`)
  }
  try {
    return git(['show', `${ref}:${inRepo}`], root)
  }
  catch {
    return undefined
  }
}
