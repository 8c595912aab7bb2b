export { GPU_CLOCK_METRIC, GPU_CLOCK_TYPE_ATTR, GPU_PROCESS_MEMORY_METRIC } from './gpu-instruments.js';
export type { NvidiaSmiOptions } from './nvidia-smi-source.js';
export type { NvmlCallMode } from './nvml-bindings.js';
export { describeNvmlError, NvmlReturn, nvmlErrorName } from './nvml-errors.js';
export {
  type GpuMetricsOptions,
  type HostMetricsHandle,
  NVML_LIBRARY_ENV,
  type RegisterHostMetricsOptions,
  registerHostMetrics,
} from './register-host-metrics.js';
