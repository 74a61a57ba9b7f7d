/**
 * unplugin-secrets for webpack.
 *
 * @module unplugin-secrets/webpack
 */
import unplugin from './index'

const webpack = unplugin.webpack
export default webpack
export { webpack as 'module.exports' }
