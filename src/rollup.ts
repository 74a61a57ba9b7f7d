/**
 * unplugin-secrets for rollup.
 *
 * @module unplugin-secrets/rollup
 */
import unplugin from './index'

const rollup = unplugin.rollup
export default rollup
export { rollup as 'module.exports' }
