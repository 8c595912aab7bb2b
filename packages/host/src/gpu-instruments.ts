import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Meter,
  Observable,
} from '@opentelemetry/api';
import type { DiagOnce } from './diag-once.js';
import { GPU_STATES, gpuState, THROTTLE_REASONS, type ThrottleReason } from './gpu-status.js';
import type { GpuDeviceSample, GpuTemperatureSensor, IoDirection } from './gpu-types.js';

/** Our namespace for what semconv does not define (yet). */
export const GPU_CLOCK_METRIC = 'tokenmeter.gpu.clock.frequency';
export const GPU_CLOCK_TYPE_ATTR = 'tokenmeter.gpu.clock.type';
export const GPU_PROCESS_MEMORY_METRIC = 'tokenmeter.gpu.process.memory.usage';
export const GPU_THROTTLE_METRIC = 'tokenmeter.gpu.clock.throttle.active';
export const GPU_THROTTLE_REASON_ATTR = 'tokenmeter.gpu.clock.throttle.reason';
export const GPU_PCIE_REPLAYS_METRIC = 'tokenmeter.gpu.pcie.replays';
export const GPU_PCIE_THROUGHPUT_METRIC = 'tokenmeter.gpu.pcie.throughput';
export const GPU_NVLINK_IO_METRIC = 'tokenmeter.gpu.nvlink.io';
export const GPU_XID_ERRORS_METRIC = 'tokenmeter.gpu.xid.errors';
export const GPU_MIG_MEMORY_USAGE_METRIC = 'tokenmeter.gpu.mig.memory.usage';
export const GPU_MIG_MEMORY_LIMIT_METRIC = 'tokenmeter.gpu.mig.memory.limit';
export const GPU_MIG_UTILIZATION_METRIC = 'tokenmeter.gpu.mig.utilization';
export const GPU_MIG_GPU_INSTANCE_ATTR = 'tokenmeter.gpu.mig.gpu_instance.id';
export const GPU_MIG_COMPUTE_INSTANCE_ATTR = 'tokenmeter.gpu.mig.compute_instance.id';

const DIRECTIONS: readonly IoDirection[] = ['receive', 'transmit'];

function gpuAttributes(d: GpuDeviceSample): Attributes {
  const attrs: Attributes = { 'hw.id': d.uuid, 'hw.name': `gpu${d.index}`, 'hw.vendor': d.vendor };
  if (d.model) attrs['hw.model'] = d.model;
  if (d.driverVersion) attrs['hw.driver_version'] = d.driverVersion;
  if (d.serialNumber) attrs['hw.serial_number'] = d.serialNumber;
  if (d.firmwareVersion) attrs['hw.firmware_version'] = d.firmwareVersion;
  return attrs;
}

/**
 * semconv models a temperature sensor as its own component whose parent is
 * the GPU; `gpu` keeps the `hw.id` suffix it has always had.
 */
function temperatureAttributes(d: GpuDeviceSample, sensor: GpuTemperatureSensor): Attributes {
  return {
    'hw.id': `${d.uuid}:temperature.${sensor}`,
    'hw.type': 'temperature',
    'hw.parent': d.uuid,
    'hw.name': sensor === 'gpu' ? `gpu${d.index} temperature` : `gpu${d.index} ${sensor} temperature`,
    'hw.sensor_location': sensor,
  };
}

/**
 * Registers the GPU instruments with one batch callback that reads the
 * sampler's cache. Returns the function that removes the callback.
 */
export function registerGpuInstruments(
  meter: Meter,
  latest: () => GpuDeviceSample[],
  diag: DiagOnce,
): () => void {
  const i = {
    utilization: meter.createObservableGauge('hw.gpu.utilization', {
      description: 'Fraction of time the GPU engine was busy over the driver sample period',
      unit: '1',
    }),
    memoryUsage: meter.createObservableUpDownCounter('hw.gpu.memory.usage', {
      description: 'GPU memory in use',
      unit: 'By',
    }),
    memoryLimit: meter.createObservableUpDownCounter('hw.gpu.memory.limit', {
      description: 'Total GPU memory',
      unit: 'By',
    }),
    memoryUtilization: meter.createObservableGauge('hw.gpu.memory.utilization', {
      description: 'Fraction of GPU memory capacity in use',
      unit: '1',
    }),
    power: meter.createObservableGauge('hw.power', { description: 'GPU power draw', unit: 'W' }),
    energy: meter.createObservableCounter('hw.energy', {
      description: 'GPU energy consumed since the driver was loaded',
      unit: 'J',
    }),
    temperature: meter.createObservableGauge('hw.temperature', {
      description: 'GPU temperature sensor reading',
      unit: 'Cel',
    }),
    io: meter.createObservableCounter('hw.gpu.io', {
      description: 'Bytes the GPU received and transmitted over PCIe',
      unit: 'By',
    }),
    errors: meter.createObservableCounter('hw.errors', {
      description: 'GPU memory ECC errors since the driver was loaded',
      unit: '{error}',
    }),
    status: meter.createObservableUpDownCounter('hw.status', {
      description: 'GPU operational status: 1 for the current hw.state, 0 for the others',
      unit: '1',
    }),
    clock: meter.createObservableGauge(GPU_CLOCK_METRIC, {
      description: 'Current GPU clock frequency (not a semconv metric)',
      unit: 'Hz',
    }),
    processMemory: meter.createObservableUpDownCounter(GPU_PROCESS_MEMORY_METRIC, {
      description: 'GPU memory used by this process (compute contexts)',
      unit: 'By',
    }),
    throttle: meter.createObservableGauge(GPU_THROTTLE_METRIC, {
      description: 'Whether a clocks event (throttle) reason is active: 1 or 0 per reason',
      unit: '1',
    }),
    replays: meter.createObservableCounter(GPU_PCIE_REPLAYS_METRIC, {
      description: 'PCIe link replays (retransmissions) since the driver was loaded',
      unit: '{replay}',
    }),
    pcieThroughput: meter.createObservableGauge(GPU_PCIE_THROUGHPUT_METRIC, {
      description: 'PCIe throughput over a 20 ms window (only without PCIe byte counters)',
      unit: 'By/s',
    }),
    nvlink: meter.createObservableCounter(GPU_NVLINK_IO_METRIC, {
      description: 'NVLink data bytes received and transmitted, all links',
      unit: 'By',
    }),
    xid: meter.createObservableCounter(GPU_XID_ERRORS_METRIC, {
      description: 'XID critical errors reported by the NVIDIA driver since metrics started',
      unit: '{error}',
    }),
    migMemoryUsage: meter.createObservableUpDownCounter(GPU_MIG_MEMORY_USAGE_METRIC, {
      description: 'Memory in use in a MIG GPU instance',
      unit: 'By',
    }),
    migMemoryLimit: meter.createObservableUpDownCounter(GPU_MIG_MEMORY_LIMIT_METRIC, {
      description: 'Memory of a MIG GPU instance',
      unit: 'By',
    }),
    migUtilization: meter.createObservableGauge(GPU_MIG_UTILIZATION_METRIC, {
      description: 'Fraction of time a MIG device was busy',
      unit: '1',
    }),
  };
  const observables: Observable[] = Object.values(i);

  const observeDevice = (result: BatchObservableResult, d: GpuDeviceSample) => {
    const gpu = gpuAttributes(d);
    if (d.reportsStatus) {
      const state = gpuState(d);
      for (const s of GPU_STATES) {
        result.observe(i.status, s === state ? 1 : 0, { ...gpu, 'hw.type': 'gpu', 'hw.state': s });
      }
    }
    for (const task of ['general', 'encoder', 'decoder'] as const) {
      const v = d.utilization[task];
      if (v !== undefined) result.observe(i.utilization, v, { ...gpu, 'hw.gpu.task': task });
    }
    const { used, total } = d.memory;
    if (used !== undefined) result.observe(i.memoryUsage, used, gpu);
    if (total !== undefined) result.observe(i.memoryLimit, total, gpu);
    if (used !== undefined && total) result.observe(i.memoryUtilization, used / total, gpu);
    if (d.power !== undefined) result.observe(i.power, d.power, { ...gpu, 'hw.type': 'gpu' });
    if (d.energy !== undefined) result.observe(i.energy, d.energy, { ...gpu, 'hw.type': 'gpu' });
    for (const [sensor, celsius] of Object.entries(d.temperatures) as [GpuTemperatureSensor, number][]) {
      result.observe(i.temperature, celsius, temperatureAttributes(d, sensor));
    }
    for (const [type, hz] of Object.entries(d.clocks)) {
      if (hz !== undefined) result.observe(i.clock, hz, { ...gpu, [GPU_CLOCK_TYPE_ATTR]: type });
    }
    if (d.processMemory !== undefined) result.observe(i.processMemory, d.processMemory, gpu);
    for (const dir of DIRECTIONS) {
      const pcie = d.pcieBytes?.[dir];
      if (pcie !== undefined) result.observe(i.io, pcie, { ...gpu, 'network.io.direction': dir });
      const rate = d.pcieThroughput?.[dir];
      if (rate !== undefined) result.observe(i.pcieThroughput, rate, { ...gpu, 'network.io.direction': dir });
      const nvlink = d.nvlinkBytes?.[dir];
      if (nvlink !== undefined) result.observe(i.nvlink, nvlink, { ...gpu, 'network.io.direction': dir });
    }
    for (const type of ['corrected', 'uncorrected'] as const) {
      const n = d.eccErrors?.[type];
      if (n !== undefined) result.observe(i.errors, n, { ...gpu, 'hw.type': 'gpu', 'error.type': type });
    }
    if (d.pcieReplays !== undefined) result.observe(i.replays, d.pcieReplays, gpu);
    if (d.clockEventReasons !== undefined) {
      for (const [reason, bit] of Object.entries(THROTTLE_REASONS) as [ThrottleReason, number][]) {
        const active = (d.clockEventReasons & bit) !== 0 ? 1 : 0;
        result.observe(i.throttle, active, { ...gpu, [GPU_THROTTLE_REASON_ATTR]: reason });
      }
    }
    for (const [type, n] of Object.entries(d.xidErrors ?? {})) {
      result.observe(i.xid, n, { ...gpu, 'error.type': type });
    }
    for (const m of d.mig ?? []) {
      const attrs: Attributes = {
        'hw.id': m.uuid,
        'hw.name': `gpu${d.index}/gi${m.gpuInstanceId}/ci${m.computeInstanceId}`,
        'hw.parent': d.uuid,
        'hw.vendor': d.vendor,
        [GPU_MIG_GPU_INSTANCE_ATTR]: m.gpuInstanceId,
        [GPU_MIG_COMPUTE_INSTANCE_ATTR]: m.computeInstanceId,
      };
      if (m.memory.used !== undefined) result.observe(i.migMemoryUsage, m.memory.used, attrs);
      if (m.memory.total !== undefined) result.observe(i.migMemoryLimit, m.memory.total, attrs);
      if (m.utilization !== undefined) result.observe(i.migUtilization, m.utilization, attrs);
    }
  };

  const callback: BatchObservableCallback = (result) => {
    try {
      for (const d of latest()) observeDevice(result, d);
    } catch (err) {
      diag.warn('gpu:collect', `GPU collection callback failed: ${(err as Error)?.message ?? err}`);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
