/**
 * unplugin-secrets for farm.
 *
 * @module unplugin-secrets/farm
 */
import unplugin from './index'

const farm = unplugin.farm
export default farm
export { farm as 'module.exports' }
