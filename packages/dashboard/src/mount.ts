import type { CollectionLike } from '@tokenmeter/llm';
import { createDashboard, type Dashboard, type DashboardHandler, type DashboardOptions } from './routes.js';

/**
 * What `mountDashboard()` needs of the registration it mounts on. The handle
 * `registerMetrics()` of `@tokenmeter/setup` returns has both members; the type
 * is structural so that this package does not depend on setup.
 */
export interface DashboardHost {
  /** Serves `handler` at `path` on the metrics server; false when no server runs (`MetricsHandle.addRoute`). */
  addRoute(path: string, handler: DashboardHandler): boolean;
  /** A cumulative collection of everything recorded (`MetricsHandle.collect`). */
  collect(): Promise<CollectionLike> | CollectionLike;
}

/** `DashboardOptions`, with `collect` defaulting to the host's. */
export type MountDashboardOptions = Omit<DashboardOptions, 'collect'> &
  Partial<Pick<DashboardOptions, 'collect'>>;

export interface MountedDashboard extends Dashboard {
  /** False when the host runs no metrics server (its `addRoute()` said so, with a diagnostic). */
  readonly served: boolean;
}

/**
 * Serves the dashboard page and its JSON on a registration's metrics server,
 * next to `/metrics`, once the `LlmMetrics` exists:
 *
 * ```ts
 * const telemetry = registerMetrics();
 * const llm = createLlmMetrics({ meterProvider: telemetry.meterProvider });
 * mountDashboard(telemetry, { llm }); // http://127.0.0.1:9464/
 * ```
 *
 * The routes get the server's bind address and `auth`. Throws what the host's
 * `addRoute()` throws for a path it already serves (setup: `ConfigurationError`).
 */
export function mountDashboard(host: DashboardHost, options: MountDashboardOptions): MountedDashboard {
  const dashboard = createDashboard({ ...options, collect: options.collect ?? (() => host.collect()) });
  let served = true;
  for (const [path, handler] of Object.entries(dashboard.routes)) {
    served = host.addRoute(path, handler) && served;
  }
  return { ...dashboard, served };
}
