/**
 * What Vite's dev server must never serve: every file this package writes
 * (the store with its lock and temp files, the key folder, the parse cache).
 */
import { basename, isAbsolute, posix, relative } from 'node:path'
import type { ViteDevServer } from 'vite'
import type { SecretsContext } from '../context'
import { keyFolder } from '../store/keyfile'
import { STORE_FILE_NAME } from '../store/locate'

/** `NAME`, `NAME.lock`, `NAME.lock.break` and an atomic write's `NAME.<pid>.<random>.tmp`. */
const WRITTEN_BESIDE = String.raw`(?:\.lock(?:\.break)?|\.\d+\.[0-9a-f]+\.tmp)?`
/**
 * A key file (`<store id>.json`) and what is written beside it: refused anywhere when the key
 * folder holds the root.
 */
const KEY_FILE = new RegExp(`^[0-9a-f]{32}\\.json${WRITTEN_BESIDE}$`)

const REFUSED_MESSAGE = 'unplugin-secrets: the secret store, its keys and the files written beside them are not served'

/** The refused files of one plugin instance, in the lower-case `/`-separated form request paths are compared in. */
interface RefusedFiles {
  /**
   * Every environment's store file name, the store option's, and their lock and temp files,
   * wherever a request puts them.
   */
  storeFile: RegExp
  /**
   * Folders refused with everything in them, as segment runs a request path may contain (absolute,
   * and relative to the root).
   */
  folders: string[]
  /** The key folder holds the served root: key files are refused by name instead. */
  keyFilesByName: boolean
}

const slashed = (path: string) => path.replace(/\\/g, '/').toLowerCase()
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A folder as the segment runs that name it in a request: its absolute path (`/@fs/…`), and its
 * path from the root when it lies inside.
 */
function folderForms(folder: string, root: string): string[] {
  const forms = [slashed(folder).replace(/^\/+/, '')]
  const inside = relative(root, folder)
  if (inside && !inside.startsWith('..') && !isAbsolute(inside)) forms.push(slashed(inside))
  return forms
}

function refusedFiles(ctx: SecretsContext): RefusedFiles {
  const keys = keyFolder()
  const fromKeys = relative(keys, ctx.root)
  const keyFilesByName = !fromKeys.startsWith('..') && !isAbsolute(fromKeys) // the root is the key folder or inside it
  const folders = [...(keyFilesByName ? [] : [keys]), ...(ctx.cacheDir ? [ctx.cacheDir] : [])]
  return {
    // Every environment's store, not only this build's: the dev server must not hand out production's file either.
    storeFile: new RegExp(
      `^(?:${escapeRegExp(basename(ctx.storePath).toLowerCase())}|${STORE_FILE_NAME})${WRITTEN_BESIDE}$`,
    ),
    folders: folders.flatMap(folder => folderForms(folder, ctx.root)),
    keyFilesByName,
  }
}

/**
 * The request's path as the file system would read it: decoded, `/`-separated, `.` and `..`
 * resolved, lower case (case-insensitive file systems).
 */
function requestPath(url: string): string {
  let path = url.split('?')[0]!.split('#')[0]!
  try {
    path = decodeURIComponent(path)
  }
  catch {} // left encoded: Vite cannot read it as a file either
  return posix.normalize(`/${slashed(path)}`)
}

function isRefused(url: string, refused: RefusedFiles): boolean {
  const path = requestPath(url)
  const name = posix.basename(path)
  if (refused.storeFile.test(name) || (refused.keyFilesByName && KEY_FILE.test(name))) return true
  const segments = `${path}/`
  return refused.folders.some(folder => segments.includes(`/${folder}/`))
}

/**
 * Everything under the served root is public to Vite's dev server (and more
 * through `/@fs/`): answer 403 for every file the package writes. (A
 * server.fs.deny entry from a plugin would replace Vite's default deny list.)
 */
export function refusePackageFiles(server: ViteDevServer, ctx: SecretsContext): void {
  const refused = refusedFiles(ctx)
  server.middlewares.use((request, response, next) => {
    if (!isRefused(request.url ?? '', refused)) return next()
    response.statusCode = 403
    response.end(REFUSED_MESSAGE)
  })
}
