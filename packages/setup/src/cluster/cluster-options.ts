import cluster from 'node:cluster';
import { isMainThread } from 'node:worker_threads';
import { ConfigurationError } from '../errors.js';

/**
 * - `'primary'`: serve `/metrics` with this process's metrics merged with those of
 *   every `node:cluster` worker and worker thread that reports to it;
 * - `'worker'`: serve nothing; report to the primary (or, in a worker thread, to
 *   the main thread) at each of its scrapes;
 * - `'auto'`: `'worker'` in a `node:cluster` worker or a worker thread, else `'primary'`.
 */
export type ClusterRole = 'auto' | 'primary' | 'worker';

export interface ClusterOptions {
  /** @default 'auto' */
  role?: ClusterRole;
  /**
   * How long a scrape waits for each worker. One that does not answer in time
   * counts with the last state it reported (its totals never step back), and is
   * named once in a diagnostic. Worker threads of a cluster worker get half.
   * @default 2000
   */
  timeoutMillis?: number;
  /** The most series one worker may report; a larger collection is rejected as malformed. @default 100000 */
  maxSeriesPerWorker?: number;
}

/** `cluster` after defaults, environment and role detection. */
export interface ResolvedCluster {
  role: 'off' | 'primary' | 'worker';
  timeoutMillis: number;
  maxSeriesPerWorker: number;
}

const ROLES: readonly string[] = ['auto', 'primary', 'worker'];

function detectRole(role: ClusterRole): 'primary' | 'worker' {
  if (role !== 'auto') return role;
  return cluster.isWorker || !isMainThread ? 'worker' : 'primary';
}

function positiveInt(setting: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(setting, value, `an integer from 1 to ${max}`);
  }
  return value;
}

/**
 * `registerMetrics({ cluster })`: `true` or a role name are short for
 * `{ role }`; `false` or absent leave aggregation off unless
 * `TOKENMETER_CLUSTER` (`auto`, `primary`, `worker`, `off`) turns it on.
 */
export function resolveCluster(
  option: boolean | ClusterRole | ClusterOptions | undefined,
  fromEnv: ClusterRole | 'off' | undefined,
): ResolvedCluster {
  const options: ClusterOptions | undefined =
    option === undefined
      ? fromEnv === undefined || fromEnv === 'off'
        ? undefined
        : { role: fromEnv }
      : option === true
        ? {}
        : option === false
          ? undefined
          : typeof option === 'string'
            ? { role: option }
            : option;
  if (typeof options !== 'object' || options === null) {
    if (option !== undefined && typeof option !== 'boolean') {
      throw new ConfigurationError(
        'cluster',
        option,
        `true, false, one of ${ROLES.join(', ')}, or { role, timeoutMillis, maxSeriesPerWorker }`,
      );
    }
    return { role: 'off', timeoutMillis: 2000, maxSeriesPerWorker: 100_000 };
  }
  const role = options.role ?? 'auto';
  if (!ROLES.includes(role)) throw new ConfigurationError('cluster.role', role, `one of ${ROLES.join(', ')}`);
  const resolved = detectRole(role);
  if (resolved === 'worker' && isMainThread && process.send === undefined) {
    throw new ConfigurationError(
      'cluster.role',
      role,
      'a role this process can take: "worker" needs a node:cluster worker or a worker thread (this process has no channel to a primary)',
    );
  }
  return {
    role: resolved,
    timeoutMillis: positiveInt('cluster.timeoutMillis', options.timeoutMillis, 2000, 600_000),
    maxSeriesPerWorker: positiveInt(
      'cluster.maxSeriesPerWorker',
      options.maxSeriesPerWorker,
      100_000,
      100_000_000,
    ),
  };
}

/** `TOKENMETER_CLUSTER`. */
export function parseClusterEnv(name: string, value: string): ClusterRole | 'off' {
  const v = value.toLowerCase();
  if (v === 'auto' || v === 'primary' || v === 'worker' || v === 'off') return v;
  throw new ConfigurationError(name, value, 'one of auto, primary, worker, off');
}
