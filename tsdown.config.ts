import { defineConfig } from 'tsdown'

export default defineConfig([{
  entry: {
    'index': 'src/index.ts',
    'store': 'src/store.ts',
    'runtime': 'src/runtime.ts',
    'config': 'src/config.ts',
    'register': 'src/register.ts',
    'loader': 'src/loader.ts',
    'vite': 'src/vite.ts',
    'rollup': 'src/rollup.ts',
    'rolldown': 'src/rolldown.ts',
    'webpack': 'src/webpack.ts',
    'rspack': 'src/rspack.ts',
    'esbuild': 'src/esbuild.ts',
    'farm': 'src/farm.ts',
    'nuxt': 'src/nuxt.ts',
    'astro': 'src/astro.ts',
    'cli': 'src/cli/index.ts',
    // Opens a reader's age entry for start-up code, which waits for it (store/key-sources.ts).
    'reader-worker': 'src/core/store/reader-worker.ts',
  },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  // Nuxt's types come with Nuxt: nuxt.d.mts imports them (from nuxt/schema) instead of inlining @nuxt/schema's.
  external: [/^@nuxt\//, /^nuxt\//],
  clean: true,
  // Declaration generation dominates the build time, and the timings depend on the machine's load: a warning nobody can act on.
  checks: { pluginTimings: false },
  // The CLI is the `bin`, and the loader is registered by ./register: neither is an import path.
  // ./client is types only (ambient declarations for config imports), written by hand at the root.
  exports: { exclude: ['cli', 'loader', 'reader-worker'], customExports: { './client': { types: './client.d.ts' } } },
}, {
  // The dashboard page, served at /__secrets/ from dist/dashboard/: its one HTML document and stylesheet as written,
  // and its script bundled for the browser into one self-contained file (no framework, nothing from a CDN).
  entry: { 'dashboard/dashboard': 'src/dashboard/client/main.ts' },
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  dts: false,
  clean: false,
  outExtensions: () => ({ js: '.js' }),
  copy: [{ from: ['src/dashboard/client/index.html', 'src/dashboard/client/dashboard.css'], to: 'dist/dashboard' }],
}])
