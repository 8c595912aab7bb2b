import { ConfigurationError } from './errors.js';

/**
 * Checks one extra route of the metrics server, given in `prometheus.routes` or
 * to `addRoute()`: an absolute path (the router matches the path without its
 * query, so `?` and `#` could never match) that no other route serves yet, and
 * a `(req, res)` handler. Throws `ConfigurationError` naming `setting`.
 */
export function checkRoute(setting: string, path: unknown, handler: unknown, taken: Iterable<string>): void {
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || [...taken].includes(path)) {
    throw new ConfigurationError(
      setting,
      path,
      `a path starting with "/", without "?", "#" or spaces, not already served (${[...taken].join(', ')})`,
    );
  }
  if (typeof handler !== 'function') {
    throw new ConfigurationError(setting, typeof handler, 'a (req, res) => void handler');
  }
}
