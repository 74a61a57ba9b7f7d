/**
 * Files written for the browser besides the bundle: pages and data that a
 * framework prerenders after the client build, read back for the output scan.
 */
import { readFile, rm, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { glob } from 'tinyglobby'
import type { OutputAsset, SecretsContext } from './context'
import { SecretsError } from './errors'

const NEVER_WALKED = ['**/node_modules/**', '**/.git/**']
/** A NUL byte in a file's head: a binary file (an image, a font), which holds no string to scan. */
const SNIFFED_BYTES = 8192

async function readText(file: string): Promise<string | undefined> {
  const bytes = await readFile(file).catch(() => undefined)
  if (!bytes || bytes.subarray(0, SNIFFED_BYTES).includes(0)) return undefined
  return bytes.toString('utf8')
}

/** The text files among `files` (absolute), named relative to `root`. */
async function textAssets(files: string[], root: string): Promise<OutputAsset[]> {
  const assets = await Promise.all(files.map(async (file) => {
    const text = await readText(file)
    return text === undefined ? undefined : { name: relative(root, file) || file, text }
  }))
  return assets.filter(asset => asset !== undefined)
}

/** Every text file in `folder` (an output folder served to browsers), named relative to `root`. */
export async function folderAssets(folder: string, root: string): Promise<OutputAsset[]> {
  const files = await glob('**/*', { cwd: folder, absolute: true, dot: true, ignore: NEVER_WALKED })
  return textAssets(files, root)
}

/** `folders` under `root`, as globs of everything in them. */
function insideGlobs(root: string, folders: Iterable<string>): string[] {
  const inside = [...folders].map(folder => relative(root, folder).replace(/\\/g, '/'))
  return inside
    .filter(folder => folder && !folder.startsWith('..') && !isAbsolute(folder))
    .map(folder => `${folder}/**`)
}

/**
 * What a server build's frameworks wrote for the browser since `since` (ms):
 * every file in the browser output folders under `root`, and every HTML and
 * JSON file (pages and their data) under `root` outside node_modules, .git,
 * Vite's manifests and the server output folders, wherever a prerender or an adapter put it.
 */
export async function writtenForBrowser(
  root: string,
  folders: { browser: Iterable<string>, server: Iterable<string> },
  since: number,
): Promise<OutputAsset[]> {
  const pages = await glob(['**/*.html', '**/*.json'], {
    cwd: root,
    absolute: true,
    dot: true,
    ignore: [...NEVER_WALKED, '**/.vite/**', ...insideGlobs(root, folders.server)],
  })
  const browserGlobs = insideGlobs(root, folders.browser)
  // No patterns would mean every file to the glob: none here means no browser folder.
  const browser = browserGlobs.length
    ? await glob(browserGlobs, { cwd: root, absolute: true, dot: true, ignore: NEVER_WALKED })
    : []
  const files = [...new Set([...pages, ...browser])]
  const recent = await Promise.all(
    files.map(async file => ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0) >= since),
  )
  return textAssets(files.filter((_, index) => recent[index]), root)
}

/** Compressed copies written beside a file (adapter-node's precompress, compression plugins). */
const COMPRESSED_COPIES = ['', '.br', '.gz']

/**
 * Removes the files with a hit and their compressed copies, so a deploy step that ignores the
 * failed build cannot ship them.
 */
export async function removeAssets(root: string, names: Iterable<string>): Promise<void> {
  const files = [...names].flatMap(name => COMPRESSED_COPIES.map(suffix => resolve(root, name + suffix)))
  await Promise.all(files.map(file => rm(file, { force: true })))
}

/**
 * A framework's browser output folder after its build (Astro's dist/client,
 * Nitro's public folder): every text file against the store. A hit removes
 * the files and throws SECRET_IN_OUTPUT, which fails the build.
 */
export async function scanBrowserFolder(
  ctx: SecretsContext,
  folder: string,
  label: string,
  warn: (message: string) => void = console.warn,
): Promise<void> {
  const assets = await folderAssets(folder, ctx.root)
  const hits = new Set<string>()
  const message = await ctx.scanOutput(assets, label, { warn, onHit: hit => hits.add(hit) })
  if (!message) return
  await removeAssets(ctx.root, hits)
  throw new SecretsError('SECRET_IN_OUTPUT', message)
}
