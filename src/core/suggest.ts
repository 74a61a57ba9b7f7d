/** "Did you mean …?": the nearest known name to a mistyped one (secret names, option names). */

/** Edit distance (insert, delete, replace one character), ignoring case. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        previous + (a[i - 1]!.toUpperCase() === b[j - 1]!.toUpperCase() ? 0 : 1),
      )
      previous = current
    }
  }
  return row[b.length]!
}

/** The closest existing name, when it is close enough to be a typo. */
export function suggestName(name: string, names: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1
  for (const candidate of names) {
    const d = distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}
