import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers'

/**
 * The README and the pages in docs/ link to each other by relative paths and
 * heading anchors, as GitHub renders them: every such link must land on a
 * file that exists and, with an anchor, on a heading of that file.
 */
const PAGES = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', 'playground/README.md', 'test/corpus/SOURCES.md', ...readdirSync(join(ROOT, 'docs')).filter(name => name.endsWith('.md')).map(name => `docs/${name}`)]

/** Markdown without its fenced code blocks (a `[x](y)` in code is not a link). */
const prose = (text: string): string => text.replace(/^```[\s\S]+?^```/gm, '')

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count ? `${slug}-${count}` : slug)
  }
  return result
}

function brokenLinks(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8')
  const broken: string[] = []
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue // https:, mailto:
    const [path, anchor] = target!.split('#') as [string, string | undefined]
    const file = path ? join(ROOT, dirname(page), path) : join(ROOT, page)
    if (!existsSync(file)) broken.push(`${page}: ${target} (no such file)`)
    else if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor))
      broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(ROOT, file)})`)
  }
  return broken
}

describe('documentation links', () => {
  it('every relative link in the README and docs/ lands on a file and heading that exist', () => {
    expect(PAGES.flatMap(brokenLinks)).toEqual([])
  })

  it('every docs page is linked from docs/README.md', () => {
    const index = readFileSync(join(ROOT, 'docs/README.md'), 'utf8')
    const pages = readdirSync(join(ROOT, 'docs')).filter(name => name.endsWith('.md') && name !== 'README.md')
    expect(pages.filter(name => !index.includes(`](${name})`))).toEqual([])
  })

  it('the README fits on a screen or so: at most 250 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250)
  })
})
