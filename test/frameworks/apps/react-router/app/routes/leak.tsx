// Renders server data into the page: fine when rendered per request, a leak when prerendered.
import { useLoaderData } from 'react-router'
import config from '../../config/app.yaml'

export function loader() {
  return { token: config.api.token }
}

export default function Leak() {
  return <p>{useLoaderData<typeof loader>().token}</p>
}
