// A Nitro server route: built by Nitro's Rollup, not by Vite.
import config from '../../config/app.yaml'

export default defineEventHandler(() => ({ url: config.api.url, token: config.api.token }))
