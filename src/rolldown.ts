/**
 * unplugin-secrets for rolldown.
 *
 * @module unplugin-secrets/rolldown
 */
import unplugin from './index'

const rolldown = unplugin.rolldown
export default rolldown
export { rolldown as 'module.exports' }
