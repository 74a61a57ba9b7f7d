import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers'

/**
 * A stranger's clone has nothing beside it: no file of the repository may
 * reach for the folder this project's corpora were first copied from.
 * (The patterns are built from parts so this file does not match itself.)
 */
const OUTSIDE = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/')]
const NOT_OURS = new Set(['node_modules', 'dist', '.git'])

/** Tracked files plus new ones git does not ignore; a plain walk when there is no git. */
function repositoryFiles(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })
    return listed.split('\0').filter(Boolean).map(file => join(ROOT, file))
  }
  catch {
    return walk(ROOT)
  }
}

function walk(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (NOT_OURS.has(entry.name)) return []
    const path = join(folder, entry.name)
    return entry.isDirectory() ? walk(path) : [path]
  })
}

describe('the repository stands alone', () => {
  it('no file refers to a folder outside it (the corpora live in test/corpus)', () => {
    const hits: string[] = []
    for (const file of repositoryFiles()) {
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue // deleted in the work tree
      const text = readFileSync(file, 'latin1')
      for (const pattern of OUTSIDE) {
        if (text.includes(pattern)) hits.push(`${relative(ROOT, file)}: ${pattern}`)
      }
    }
    expect(hits).toEqual([])
  })
})

/** The first line that is not blank, after a shebang. */
function firstLine(text: string): string {
  const lines = text.split(/\r?\n/).filter(line => line.trim() !== '')
  return (lines[0]?.startsWith('#!') ? lines[1] : lines[0])?.trim() ?? ''
}

/** A comment a reader can learn the file's purpose from: not a lint or type directive. */
const isHeader = (line: string): boolean =>
  /^(?:\/\*|\/\/)/.test(line) && !/^(?:\/\*|\/\/)\s*(?:eslint|@ts-|#region)/.test(line)

describe('the source reads well', () => {
  it('every src file opens with a comment saying what it is for', () => {
    const sources = repositoryFiles()
      .map(file => relative(ROOT, file).split(sep).join('/'))
      .filter(file => file.startsWith('src/') && file.endsWith('.ts'))
      .filter(file => statSync(join(ROOT, file), { throwIfNoEntry: false })?.isFile())
    expect(sources.length).toBeGreaterThan(60)
    const bare = sources.filter(file => !isHeader(firstLine(readFileSync(join(ROOT, file), 'utf8'))))
    expect(bare).toEqual([])
  })
})
