/**
 * @tokenmeter/dashboard — a live, self-contained dashboard page and its JSON,
 * served next to `/metrics` by `@tokenmeter/setup`'s metrics server and read
 * from the SDK's own aggregation through `@tokenmeter/llm`'s `snapshot()`.
 */
export { chartValues, parseSeriesKey, type SeriesKind, seriesKey } from './chart-values.js';
export {
  buildDashboardData,
  COST_METRIC,
  COST_UNIT,
  type CostTotals,
  costOf,
  DASHBOARD_SCHEMA,
  type DashboardData,
  type GpuDevice,
  gpusOf,
  serviceNameOf,
} from './data.js';
export { HISTORY_LIMITS, type HistoryData } from './history.js';
export {
  type DashboardHost,
  type MountDashboardOptions,
  type MountedDashboard,
  mountDashboard,
} from './mount.js';
export {
  createDashboard,
  type Dashboard,
  type DashboardDataWithHistory,
  type DashboardHandler,
  type DashboardOptions,
  dashboardRoutes,
  type SnapshotReader,
} from './routes.js';
