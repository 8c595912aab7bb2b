import { cString } from './gpu-call-reader.js';
import type { GpuDeviceSample, GpuMigInstanceSample } from './gpu-types.js';
import { NVML } from './nvml-bindings.js';
import { isFieldUnsupported, NvmlError, NvmlReturn } from './nvml-errors.js';
import { readMemoryInto } from './nvml-memory.js';
import { isDeviceGone, type NvmlReader } from './nvml-reader.js';

/**
 * MIG devices of a MIG-enabled GPU: per-instance memory (and utilization,
 * should a driver ever report it; NVML answers NOT_SUPPORTED on MIG devices
 * today). Costs one call per GPU when MIG is off; empty slots answer NOT_FOUND.
 */
export async function readMig(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
  const f = reader.lib.fns;
  const current = Buffer.alloc(4);
  const pending = Buffer.alloc(4);
  if (!(await reader.optional(sample, 'mig', f.nvmlDeviceGetMigMode, dev, current, pending))) return;
  if (current.readUInt32LE(0) !== NVML.DEVICE_MIG_ENABLE) return;
  const max = Buffer.alloc(4);
  if (!(await reader.optional(sample, 'mig', f.nvmlDeviceGetMaxMigDeviceCount, dev, max))) return;
  const lookup = f.nvmlDeviceGetMigDeviceHandleByIndex;
  if (!lookup) {
    sample.unsupported.push('mig');
    return;
  }
  const instances: GpuMigInstanceSample[] = [];
  for (let slot = 0; slot < max.readUInt32LE(0); slot++) {
    const out: unknown[] = [null];
    const rc = await reader.call(lookup, dev, slot, out);
    if (rc === NvmlReturn.NOT_FOUND) continue;
    if (!reader.settle(sample, 'mig', rc)) return;
    try {
      const instance = await readInstance(reader, sample, out[0]);
      if (instance) instances.push(instance);
    } catch (err) {
      if (!(err instanceof NvmlError) || isDeviceGone(err.code)) throw err;
      // INVALID_ARGUMENT: the instance was destroyed between lookup and read. Skip it, keep the GPU.
      if (err.code !== NvmlReturn.INVALID_ARGUMENT) reader.settle(sample, 'mig', err.code);
    }
  }
  sample.mig = instances;
}

async function readInstance(
  reader: NvmlReader,
  parent: GpuDeviceSample,
  mig: unknown,
): Promise<GpuMigInstanceSample | undefined> {
  const f = reader.lib.fns;
  const uuidBuf = Buffer.alloc(NVML.DEVICE_UUID_BUFFER_SIZE);
  await reader.must('nvmlDeviceGetUUID (MIG)', f.nvmlDeviceGetUUID, mig, uuidBuf, uuidBuf.length);
  const id = Buffer.alloc(4);
  if (!(await reader.optional(parent, 'mig', f.nvmlDeviceGetGpuInstanceId, mig, id))) return undefined;
  const gpuInstanceId = id.readUInt32LE(0);
  if (!(await reader.optional(parent, 'mig', f.nvmlDeviceGetComputeInstanceId, mig, id))) return undefined;
  const instance: GpuMigInstanceSample = {
    uuid: cString(uuidBuf),
    gpuInstanceId,
    computeInstanceId: id.readUInt32LE(0),
    memory: {},
  };
  const memory: GpuDeviceSample['memory'] = {};
  await readMemoryInto(reader, parent, mig, memory, 'mig.memory');
  instance.memory = { used: memory.used, total: memory.total };
  const util = Buffer.alloc(NVML.UTILIZATION_SIZE);
  const rc = await reader.call(f.nvmlDeviceGetUtilizationRates, mig, util);
  if (rc === NvmlReturn.SUCCESS) instance.utilization = util.readUInt32LE(0) / 100;
  else if (isFieldUnsupported(rc)) {
    if (!parent.unsupported.includes('mig.utilization')) parent.unsupported.push('mig.utilization');
  } else reader.settle(parent, 'mig.utilization', rc);
  return instance;
}
