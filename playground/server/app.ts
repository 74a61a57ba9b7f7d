// Server code: imports the config, whose ${secret.*} references hold the real values here.
import config from '../config.yaml'

/** The config with every string that came from a secret replaced by a mask. */
export function maskedConfig(secretValues: string[]): unknown {
  const mask = (value: unknown): unknown => {
    if (typeof value === 'string') return secretValues.reduce((text, secret) => text.split(secret).join(`•••(${secret.length} chars)`), value)
    if (Array.isArray(value)) return value.map(mask)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]))
    return value
  }
  return mask(config)
}

export default config
