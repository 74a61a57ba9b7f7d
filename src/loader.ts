/**
 * The module customization hooks behind `unplugin-secrets/register`
 * (registered with `module.register`, so they run on Node 20 and 22).
 *
 * @module unplugin-secrets/loader
 */
export { load } from './core/loader'
