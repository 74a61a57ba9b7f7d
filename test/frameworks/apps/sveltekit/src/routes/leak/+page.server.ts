// Server data rendered into the page: fine per request, a leak when prerendered (PRERENDER=1).
import config from '../../../config/app.yaml'

export const prerender = process.env.PRERENDER === '1'

export function load() {
  return { token: config.api.token as string }
}
