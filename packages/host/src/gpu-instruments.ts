import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import type { DiagOnce } from './diag-once.js';
import type { GpuDeviceSample } from './gpu-types.js';

/** Our namespace for what semconv does not define (yet). */
export const GPU_CLOCK_METRIC = 'tokenmeter.gpu.clock.frequency';
export const GPU_CLOCK_TYPE_ATTR = 'tokenmeter.gpu.clock.type';
export const GPU_PROCESS_MEMORY_METRIC = 'tokenmeter.gpu.process.memory.usage';

function gpuAttributes(d: GpuDeviceSample): Attributes {
  const attrs: Attributes = { 'hw.id': d.uuid, 'hw.name': `gpu${d.index}`, 'hw.vendor': 'NVIDIA' };
  if (d.model) attrs['hw.model'] = d.model;
  if (d.driverVersion) attrs['hw.driver_version'] = d.driverVersion;
  return attrs;
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
  const utilization = meter.createObservableGauge('hw.gpu.utilization', {
    description: 'Fraction of time the GPU engine was busy over the driver sample period',
    unit: '1',
  });
  const memoryUsage = meter.createObservableUpDownCounter('hw.gpu.memory.usage', {
    description: 'GPU memory in use',
    unit: 'By',
  });
  const memoryLimit = meter.createObservableUpDownCounter('hw.gpu.memory.limit', {
    description: 'Total GPU memory',
    unit: 'By',
  });
  const memoryUtilization = meter.createObservableGauge('hw.gpu.memory.utilization', {
    description: 'Fraction of GPU memory capacity in use',
    unit: '1',
  });
  const power = meter.createObservableGauge('hw.power', { description: 'GPU power draw', unit: 'W' });
  const energy = meter.createObservableCounter('hw.energy', {
    description: 'GPU energy consumed since the driver was loaded',
    unit: 'J',
  });
  const temperature = meter.createObservableGauge('hw.temperature', {
    description: 'GPU core temperature',
    unit: 'Cel',
  });
  const clock = meter.createObservableGauge(GPU_CLOCK_METRIC, {
    description: 'Current GPU clock frequency (not a semconv metric)',
    unit: 'Hz',
  });
  const processMemory = meter.createObservableUpDownCounter(GPU_PROCESS_MEMORY_METRIC, {
    description: 'GPU memory used by this process (compute contexts)',
    unit: 'By',
  });
  const observables: Observable[] = [
    utilization,
    memoryUsage,
    memoryLimit,
    memoryUtilization,
    power,
    energy,
    temperature,
    clock,
    processMemory,
  ];

  const callback: BatchObservableCallback = (result) => {
    try {
      for (const d of latest()) {
        const gpu = gpuAttributes(d);
        for (const task of ['general', 'encoder', 'decoder'] as const) {
          const v = d.utilization[task];
          if (v !== undefined) result.observe(utilization, v, { ...gpu, 'hw.gpu.task': task });
        }
        const { used, total } = d.memory;
        if (used !== undefined) result.observe(memoryUsage, used, gpu);
        if (total !== undefined) result.observe(memoryLimit, total, gpu);
        if (used !== undefined && total) result.observe(memoryUtilization, used / total, gpu);
        if (d.power !== undefined) result.observe(power, d.power, { ...gpu, 'hw.type': 'gpu' });
        if (d.energy !== undefined) result.observe(energy, d.energy, { ...gpu, 'hw.type': 'gpu' });
        if (d.temperature !== undefined) {
          // semconv models a temperature sensor as its own component whose parent is the GPU.
          result.observe(temperature, d.temperature, {
            'hw.id': `${d.uuid}:temperature.gpu`,
            'hw.type': 'temperature',
            'hw.parent': d.uuid,
            'hw.name': `gpu${d.index} temperature`,
            'hw.sensor_location': 'gpu',
          });
        }
        for (const [type, hz] of Object.entries(d.clocks)) {
          if (hz !== undefined) result.observe(clock, hz, { ...gpu, [GPU_CLOCK_TYPE_ATTR]: type });
        }
        if (d.processMemory !== undefined) result.observe(processMemory, d.processMemory, gpu);
      }
    } catch (err) {
      diag.warn('gpu:collect', `GPU collection callback failed: ${(err as Error)?.message ?? err}`);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
