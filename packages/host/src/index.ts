export { AmdSmiStatus, describeAmdSmiStatus } from './amdsmi-errors.js';
export { HostMetricsConfigError } from './config-error.js';
export {
  GPU_CLOCK_METRIC,
  GPU_CLOCK_TYPE_ATTR,
  GPU_MIG_COMPUTE_INSTANCE_ATTR,
  GPU_MIG_GPU_INSTANCE_ATTR,
  GPU_MIG_MEMORY_LIMIT_METRIC,
  GPU_MIG_MEMORY_USAGE_METRIC,
  GPU_MIG_UTILIZATION_METRIC,
  GPU_NVLINK_IO_METRIC,
  GPU_PCIE_REPLAYS_METRIC,
  GPU_PCIE_THROUGHPUT_METRIC,
  GPU_PROCESS_MEMORY_METRIC,
  GPU_THROTTLE_METRIC,
  GPU_THROTTLE_REASON_ATTR,
  GPU_XID_ERRORS_METRIC,
} from './gpu-instruments.js';
export { THROTTLE_REASONS } from './gpu-status.js';
export type { GpuSourceKind } from './gpu-types.js';
export type { NvidiaSmiOptions } from './nvidia-smi-source.js';
export type { NvmlCallMode } from './nvml-bindings.js';
export { describeNvmlError, NvmlReturn, nvmlErrorName } from './nvml-errors.js';
export { KNOWN_XIDS } from './nvml-xid-events.js';
export {
  AMDSMI_LIBRARY_ENV,
  DEFAULT_GPU_SOURCES,
  type GpuMetricsOptions,
  type HostMetricsHandle,
  NVML_LIBRARY_ENV,
  type RegisterHostMetricsOptions,
  registerHostMetrics,
} from './register-host-metrics.js';
