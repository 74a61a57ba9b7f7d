/**
 * unplugin-secrets for esbuild.
 *
 * @module unplugin-secrets/esbuild
 */
import unplugin from './index'

const esbuild = unplugin.esbuild
export default esbuild
export { esbuild as 'module.exports' }
