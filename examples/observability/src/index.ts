export { ATTRIBUTES, EXTERNAL_INSTRUMENTS, knownNames, knownSeriesNames, L, prom } from './names.js';
export { metricNamesIn, parseLabelValues } from './promql.js';
export {
  ALERTS,
  type AlertRule,
  alertExpr,
  DASHBOARD,
  type Panel,
  RECORDING,
  type RecordingRule,
  type Row,
  VARIABLES,
  type Variable,
} from './queries.js';
export { renderAll } from './render.js';
export {
  OBSERVABILITY_ROOT,
  type ShippedExpr,
  shippedDashboard,
  shippedPanelExprs,
  shippedRules,
  shippedVariables,
} from './shipped.js';
