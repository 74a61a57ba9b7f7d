/** How the page words times, places and the banners above the table. */
import type { SecretList } from '../protocol'

const relativeTime = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
/** Seconds per unit, largest first. */
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relativeTime.format(Math.round(seconds / size), unit)
  }
  return 'just now'
}

export const place = (usage: { file: string, line: number }): string => `${usage.file}:${usage.line}`

const itOrThem = (count: number) => (count === 1 ? 'it' : 'them')

export function staleBannerText(list: SecretList): string | undefined {
  const stale = list.secrets.filter(secret => secret.stale)
  if (!stale.length || list.maxAgeDays === null) return undefined
  const count = stale.length === 1 ? '1 secret was' : `${stale.length} secrets were`
  return `${count} last set more than ${list.maxAgeDays} days ago: ${stale.map(secret => secret.name).join(', ')}. `
    + `Rotate ${itOrThem(stale.length)} at the provider, then Edit to save the new value.`
}

export function missingBannerText(list: SecretList): string | undefined {
  if (!list.missing.length) return undefined
  const names = list.missing.map(item => `${item.name} (${item.usedIn.map(place).join(', ')})`).join('; ')
  return `Referenced in configs but not in the store: ${names}. `
    + `Builds that import those configs fail until you add ${itOrThem(list.missing.length)}.`
}

export function problemsBannerText(list: SecretList): string | undefined {
  if (!list.problems.length) return undefined
  return `Where used is incomplete: ${list.problems.map(problem => problem.message).join(' ')}`
}
