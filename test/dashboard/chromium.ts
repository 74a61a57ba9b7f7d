import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * Which Chromium the browser tests drive: `CHROMIUM_PATH`, else the first
 * `chromium` (or Chrome) on PATH. A contributor without one still gets a
 * passing `npm test`; CI must not, so there a missing browser is a failure.
 */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']

const HOW_TO_GET = 'install it (Debian/Ubuntu: apt install chromium; macOS: brew install --cask chromium) '
  + 'or set CHROMIUM_PATH to a Chromium or Chrome executable'

/** The skip note the summary reporter prints once. */
export const NO_CHROMIUM = `no Chromium found, so the dashboard browser tests were skipped: ${HOW_TO_GET}.`

export const inCI = (env: NodeJS.ProcessEnv = process.env): boolean => !!env.CI && env.CI !== 'false' && env.CI !== '0'

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  }
  catch {
    return false
  }
}

/** The browser's path; undefined when none is found. A CHROMIUM_PATH that is not an executable is an error: it was asked for. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file: point it at a Chromium or Chrome binary, or unset it.`)
  }
  const folders = (env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const name of NAMES) {
    for (const folder of folders) {
      if (isExecutable(join(folder, name))) return join(folder, name)
    }
  }
  return undefined
}

/** findChromium, but with CI set a missing browser throws (the suite must run there). */
export function chromiumForTests(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = findChromium(env)
  if (!found && inCI(env)) throw new Error(`CI is set and no Chromium was found: ${HOW_TO_GET}.`)
  return found
}
