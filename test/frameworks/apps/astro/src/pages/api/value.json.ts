// Server code only (rendered per request): the config never reaches the browser build.
import config from '../../../config/app.yaml'

export function GET() {
  return Response.json({ url: config.api.url, token: config.api.token })
}
