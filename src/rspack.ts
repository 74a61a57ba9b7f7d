/**
 * unplugin-secrets for rspack.
 *
 * @module unplugin-secrets/rspack
 */
import unplugin from './index'

const rspack = unplugin.rspack
export default rspack
export { rspack as 'module.exports' }
