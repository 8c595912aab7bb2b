import { u64 } from './gpu-call-reader.js';
import type { GpuDeviceSample } from './gpu-types.js';
import { NVML } from './nvml-bindings.js';
import { isFieldUnsupported, NvmlError, NvmlReturn } from './nvml-errors.js';
import type { NvmlReader } from './nvml-reader.js';

/**
 * Memory of a GPU or MIG device into `target`: nvmlDeviceGetMemoryInfo_v2
 * (reserved memory apart from used), else the v1 call older drivers have.
 * With `field` = 'memory' a failure drops the device (the original gauges'
 * rule); for a MIG device ('mig.memory') it only leaves the numbers out.
 */
export async function readMemoryInto(
  reader: NvmlReader,
  sample: GpuDeviceSample,
  dev: unknown,
  target: GpuDeviceSample['memory'],
  field: 'memory' | 'mig.memory' = 'memory',
): Promise<void> {
  const f = reader.lib.fns;
  if (f.nvmlDeviceGetMemoryInfo_v2) {
    const buf = Buffer.alloc(NVML.MEMORY_V2_SIZE);
    // The version word encodes struct size and revision; a bare 2 is rejected.
    buf.writeUInt32LE(NVML.MEMORY_V2_VERSION, 0);
    const rc = await reader.call(f.nvmlDeviceGetMemoryInfo_v2, dev, buf);
    if (rc === NvmlReturn.SUCCESS) {
      target.total = u64(buf, 8);
      target.reserved = u64(buf, 16);
      target.used = u64(buf, 32);
      return;
    }
    if (!isFieldUnsupported(rc)) {
      if (field === 'memory') throw new NvmlError('nvmlDeviceGetMemoryInfo_v2', rc);
      reader.settle(sample, field, rc);
      return;
    }
  }
  const buf = Buffer.alloc(NVML.MEMORY_V1_SIZE);
  const read =
    field === 'memory'
      ? await reader.field(sample, field, f.nvmlDeviceGetMemoryInfo, dev, buf)
      : await reader.optional(sample, field, f.nvmlDeviceGetMemoryInfo, dev, buf);
  if (read) {
    target.total = u64(buf, 0);
    target.used = u64(buf, 16);
  }
}
