// Server code only: the config never reaches the client build.
import { json } from '@sveltejs/kit'
import config from '../../../../config/app.yaml'

export function GET() {
  return json({ url: config.api.url, token: config.api.token })
}
