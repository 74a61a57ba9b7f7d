// A resource route: server code only, so the config never reaches the client build.
import config from '../../config/app.yaml'

export function loader() {
  return Response.json({ url: config.api.url, token: config.api.token })
}
