/**
 * unplugin-secrets for vite.
 *
 * @module unplugin-secrets/vite
 */
import unplugin from './index'

const vite = unplugin.vite
export default vite
export { vite as 'module.exports' }
