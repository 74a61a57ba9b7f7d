import { index, route } from '@react-router/dev/routes'
import type { RouteConfig } from '@react-router/dev/routes'

export default [
  index('routes/home.tsx'),
  route('api/value', 'routes/value.ts'),
  route('leak', 'routes/leak.tsx'),
] satisfies RouteConfig
