import { describe } from 'vitest'
import { frameworkSuite } from './suite'

describe('React Router 7 (framework mode, Vite plugin)', () => {
  frameworkSuite({
    app: 'react-router',
    build: ['react-router', ['build']],
    start: port => ({ args: ['node_modules/@react-router/serve/bin.js', './build/server/index.js'], env: { PORT: String(port), HOST: '127.0.0.1' } }),
    valuePath: '/api/value',
    clientImport: { file: 'app/routes/home.tsx', text: 'import config from \'../../config/app.yaml\'\nexport default function Home() { return <h1>{config.api.token}</h1> }\n' },
    prerender: { env: { PRERENDER: '1' }, leaked: /secret values were found in the prerendered \(browser\) output: .*API_TOKEN in build\/client\/leak\/index\.html/ },
    outputs: ['build'],
  })
})
