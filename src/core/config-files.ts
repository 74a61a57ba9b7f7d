/**
 * The walk `check` and the dashboard's "where used" share: config files found
 * by glob (never in node_modules or .git; without globs, not in build output
 * or what .gitignore ignores either), and the references in each file.
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { glob } from 'tinyglobby'
import { SecretsError } from './errors'
import { findReferences } from './formats/registry'
import type { FoundReference } from './formats/types'
import { GITIGNORE_GLOB, gitIgnored, NEVER_WALKED, OUTPUT_FOLDERS } from './ignored-files'

/** Every file with a config format's extension (matched in any case, as the format rule reads them). */
export const CONFIG_FILES_GLOB = '**/*.{yaml,yml,json}'
const OUTPUT_GLOBS = OUTPUT_FOLDERS.map(folder => `**/${folder}/**`)

interface WalkOptions {
  /** The folder the patterns are relative to. */
  cwd?: string
  /** More globs to skip besides node_modules and .git. */
  ignore?: string[]
}

/**
 * Absolute paths, sorted, of the files the globs match. Without globs, every
 * config file (extensions in any case) but those in the output folders and
 * those .gitignore ignores: a rendered file or a build holds no reference to
 * check. Globs the user gives are taken as written.
 */
export async function globConfigFiles(
  patterns: string[] | undefined,
  { cwd = process.cwd(), ignore = [] }: WalkOptions = {},
): Promise<string[]> {
  if (patterns !== undefined)
    return (await glob(patterns, { cwd, absolute: true, ignore: [...NEVER_WALKED, ...ignore] })).sort()
  // One walk finds the configs and the .gitignore files that decide which of them count.
  const found = await glob([CONFIG_FILES_GLOB, GITIGNORE_GLOB], {
    cwd,
    absolute: true,
    ignore: [...NEVER_WALKED, ...OUTPUT_GLOBS, ...ignore],
    caseSensitiveMatch: false,
  })
  const isGitignore = (file: string) => basename(file) === '.gitignore'
  const ignored = await gitIgnored(cwd, found.filter(isGitignore))
  return found.filter(file => !isGitignore(file) && !ignored(file)).sort()
}

/** One config file's references, or why there are none to list. */
export interface ConfigFileScan {
  references: FoundReference[]
  /** Malformed YAML, JSON or reference: the located error. */
  invalid?: SecretsError
  /** Not readable (EACCES, a socket, removed meanwhile): the error's code. */
  unreadable?: string
}

/** Reads `file` and finds its references; `shown` is the name locations carry. */
export async function scanConfigFile(file: string, shown: string): Promise<ConfigFileScan> {
  try {
    return { references: findReferences(await readFile(file, 'utf8'), shown) }
  }
  catch (error) {
    if (error instanceof SecretsError) return { references: [], invalid: error }
    return { references: [], unreadable: (error as NodeJS.ErrnoException).code ?? (error as Error).name }
  }
}
