/**
 * @tokenmeter/dashboard — a live, self-contained dashboard page and its JSON,
 * served next to `/metrics` by `@tokenmeter/setup`'s metrics server and read
 * from the SDK's own aggregation through `@tokenmeter/llm`'s `snapshot()`.
 */
export {
  buildDashboardData,
  DASHBOARD_SCHEMA,
  type DashboardData,
  type GpuDevice,
  gpusOf,
  serviceNameOf,
} from './data.js';
export {
  createDashboard,
  type Dashboard,
  type DashboardHandler,
  type DashboardOptions,
  dashboardRoutes,
  type SnapshotReader,
} from './routes.js';
