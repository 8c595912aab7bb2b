import type { GpuDeviceProblem, GpuDeviceSample } from './gpu-types.js';
import { emptySample } from './gpu-types.js';

/**
 * Reads every device of a source in turn. A device that fails becomes a
 * problem (the sampler warns once); one that was read before and is now
 * gone (`isGone`) is still listed, as a `failed` sample carrying only the
 * identity it last had, so `hw.status` can say so.
 */
export class GpuDeviceReads {
  private readonly lastSeen = new Map<number, GpuDeviceSample>();

  constructor(
    private readonly via: string,
    private readonly isGone: (err: unknown) => boolean,
  ) {}

  async read(
    indexes: Iterable<number>,
    readDevice: (index: number) => Promise<GpuDeviceSample>,
  ): Promise<{ devices: GpuDeviceSample[]; problems: GpuDeviceProblem[] }> {
    const devices: GpuDeviceSample[] = [];
    const problems: GpuDeviceProblem[] = [];
    for (const index of indexes) {
      try {
        const sample = await readDevice(index);
        this.lastSeen.set(index, sample);
        devices.push(sample);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        problems.push({ key: `gpu${index}`, message: `GPU ${index} (${this.via}): ${message}` });
        const last = this.lastSeen.get(index);
        if (last && this.isGone(err)) {
          const { uuid, vendor, model, driverVersion, serialNumber, firmwareVersion } = last;
          devices.push(
            emptySample({
              index,
              uuid,
              vendor,
              model,
              driverVersion,
              serialNumber,
              firmwareVersion,
              failed: true,
              reportsStatus: true,
            }),
          );
        }
      }
    }
    return { devices, problems };
  }
}
