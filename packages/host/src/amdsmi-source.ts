import koffi from 'koffi';
import { AMDSMI, AMDSMI_HANDLE_TYPE, type AmdSmiLibrary, loadAmdSmi } from './amdsmi-bindings.js';
import {
  AmdSmiError,
  AmdSmiStatus,
  describeAmdSmiStatus,
  isAmdSmiDeviceGone,
  isAmdSmiUnsupported,
} from './amdsmi-errors.js';
import type { NvmlCallMode } from './ffi-call.js';
import { cString, GpuCallReader, type ReturnCodes, u64 } from './gpu-call-reader.js';
import { GpuDeviceReads } from './gpu-device-reads.js';
import type { GpuDeviceSample, GpuSource, GpuSweepResult, GpuTemperatureSensor } from './gpu-types.js';
import { emptySample } from './gpu-types.js';

type AmdSmiFn = NonNullable<AmdSmiLibrary['fns'][keyof AmdSmiLibrary['fns']]>;

const AMDSMI_CODES: ReturnCodes = {
  vendor: 'amdsmi',
  success: AmdSmiStatus.SUCCESS,
  isUnsupported: isAmdSmiUnsupported,
  isGone: isAmdSmiDeviceGone,
  describe: describeAmdSmiStatus,
  error: (call, code) => new AmdSmiError(call, code),
};

const TEMPERATURE_SENSORS: readonly [GpuTemperatureSensor, number][] = [
  ['edge', AMDSMI.TEMPERATURE_TYPE_EDGE],
  ['junction', AMDSMI.TEMPERATURE_TYPE_HOTSPOT],
  ['memory', AMDSMI.TEMPERATURE_TYPE_VRAM],
];

interface Identity {
  model?: string;
  driverVersion?: string;
}

/** Calls `fn(count, handles)` twice, amdsmi's way: once for the count, once for the handles. */
async function handles(
  lib: AmdSmiLibrary,
  name: string,
  fn: AmdSmiFn,
  ...prefix: unknown[]
): Promise<unknown[]> {
  const count = Buffer.alloc(4);
  let rc = await lib.call(fn, ...prefix, count, null);
  if (rc !== AmdSmiStatus.SUCCESS) throw new AmdSmiError(name, rc);
  const n = count.readUInt32LE(0);
  if (n === 0) return [];
  const buf = Buffer.alloc(n * AMDSMI.HANDLE_SIZE);
  rc = await lib.call(fn, ...prefix, count, buf);
  if (rc !== AmdSmiStatus.SUCCESS) throw new AmdSmiError(name, rc);
  const got = Math.min(n, count.readUInt32LE(0));
  return Array.from({ length: got }, (_, i) => koffi.decode(buf, i * AMDSMI.HANDLE_SIZE, AMDSMI_HANDLE_TYPE));
}

/**
 * Reads AMD GPUs through ROCm's libamd_smi via koffi: utilization (GFX
 * activity), VRAM, temperatures and energy, as the same semconv instruments
 * as NVML. One instance = one amdsmi_init; GPUs are enumerated at open.
 */
export class AmdSmiSource implements GpuSource {
  readonly kind = 'amdsmi' as const;
  private closed = false;
  private readonly identities = new Map<number, Identity>();
  private readonly reads = new GpuDeviceReads(
    'amdsmi',
    (err) => err instanceof AmdSmiError && isAmdSmiDeviceGone(err.code),
  );

  private constructor(
    private readonly lib: AmdSmiLibrary,
    private readonly gpus: unknown[],
  ) {}

  /** Rejects with AmdSmiLoadError (no library) or AmdSmiError (init or enumeration failed). */
  static async open(paths: readonly string[], mode: NvmlCallMode): Promise<AmdSmiSource> {
    const lib = loadAmdSmi(paths, mode);
    // Init walks sysfs and opens every DRM node: off the main thread, whatever the mode.
    const rc = await new Promise<number>((resolve, reject) =>
      lib.fns.amdsmi_init.async(AMDSMI.INIT_AMD_GPUS, (err: unknown, res: number) =>
        err ? reject(err) : resolve(res),
      ),
    ).catch((err) => {
      lib.unload();
      throw err;
    });
    if (rc !== AmdSmiStatus.SUCCESS) throw new AmdSmiError('amdsmi_init', rc);
    try {
      const gpus: unknown[] = [];
      for (const socket of await handles(
        lib,
        'amdsmi_get_socket_handles',
        lib.fns.amdsmi_get_socket_handles,
      )) {
        gpus.push(
          ...(await handles(
            lib,
            'amdsmi_get_processor_handles',
            lib.fns.amdsmi_get_processor_handles,
            socket,
          )),
        );
      }
      return new AmdSmiSource(lib, gpus);
    } catch (err) {
      await lib.call(lib.fns.amdsmi_shut_down).catch(() => {});
      throw err;
    }
  }

  async sweep(): Promise<GpuSweepResult> {
    if (this.closed) throw new Error('amdsmi source is closed');
    const reader = new GpuCallReader<AmdSmiFn>((fn, ...args) => this.lib.call(fn, ...args), AMDSMI_CODES);
    const { devices, problems } = await this.reads.read(this.gpus.keys(), (index) =>
      this.readDevice(reader, index, this.gpus[index]),
    );
    return { devices, problems, warnings: reader.warnings };
  }

  private async readDevice(
    reader: GpuCallReader<AmdSmiFn>,
    index: number,
    handle: unknown,
  ): Promise<GpuDeviceSample> {
    const f = this.lib.fns;
    const uuid = Buffer.alloc(AMDSMI.UUID_BUFFER_SIZE);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(uuid.length, 0);
    await reader.must('amdsmi_get_gpu_device_uuid', f.amdsmi_get_gpu_device_uuid, handle, length, uuid);
    const sample = emptySample({ index, uuid: cString(uuid), vendor: 'AMD', reportsStatus: true });
    Object.assign(sample, await this.identity(reader, sample, index, handle));

    const usage = Buffer.alloc(AMDSMI.ENGINE_USAGE_SIZE);
    if (await reader.optional(sample, 'utilization.general', f.amdsmi_get_gpu_activity, handle, usage)) {
      // umc (memory controller) and mm (encode and decode together) activity match no hw.gpu.task.
      const gfx = usage.readUInt32LE(0);
      if (gfx <= AMDSMI.MAX_ACTIVITY) sample.utilization.general = gfx / 100;
      else sample.unsupported.push('utilization.general');
    }
    const bytes = Buffer.alloc(8);
    for (const [key, fn] of [
      ['total', f.amdsmi_get_gpu_memory_total],
      ['used', f.amdsmi_get_gpu_memory_usage],
    ] as const) {
      if (await reader.optional(sample, 'memory', fn, handle, AMDSMI.MEM_TYPE_VRAM, bytes)) {
        sample.memory[key] = u64(bytes, 0);
      }
    }
    const temp = Buffer.alloc(8);
    for (const [sensor, type] of TEMPERATURE_SENSORS) {
      const fn = f.amdsmi_get_temp_metric;
      if (
        await reader.optional(sample, `temperature.${sensor}`, fn, handle, type, AMDSMI.TEMP_CURRENT, temp)
      ) {
        // amdsmi.h says millidegrees, but amdsmi_get_temp_metric divides ROCm SMI's value by 1000 first: °C.
        sample.temperatures[sensor] = Number(temp.readBigInt64LE(0));
      }
    }
    const accumulator = Buffer.alloc(8);
    const resolution = Buffer.alloc(4);
    const energy = f.amdsmi_get_energy_count;
    if (await reader.optional(sample, 'energy', energy, handle, accumulator, resolution, Buffer.alloc(8))) {
      // counter × resolution (µJ per count) → J
      sample.energy = (u64(accumulator, 0) * resolution.readFloatLE(0)) / 1e6;
    }
    return sample;
  }

  /** Market name and driver version: once per GPU (a failure other than "unsupported" retries). */
  private async identity(
    reader: GpuCallReader<AmdSmiFn>,
    sample: GpuDeviceSample,
    index: number,
    handle: unknown,
  ): Promise<Identity> {
    const known = this.identities.get(index);
    if (known) return known;
    const f = this.lib.fns;
    const before = reader.warnings.length;
    const id: Identity = {};
    const asic = Buffer.alloc(AMDSMI.ASIC_INFO_BUFFER_SIZE);
    if (await reader.optional(sample, 'name', f.amdsmi_get_gpu_asic_info, handle, asic)) {
      id.model = cString(asic, 0, AMDSMI.MARKET_NAME_LENGTH) || undefined;
    }
    const driver = Buffer.alloc(AMDSMI.DRIVER_INFO_BUFFER_SIZE);
    if (await reader.optional(sample, 'driver_version', f.amdsmi_get_gpu_driver_info, handle, driver)) {
      id.driverVersion = cString(driver, 0, AMDSMI.DRIVER_VERSION_LENGTH) || undefined;
    }
    if (reader.warnings.length === before) this.identities.set(index, id);
    return id;
  }

  /** amdsmi_shut_down exactly once per successful open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.lib.call(this.lib.fns.amdsmi_shut_down);
    } catch {
      // Shutdown failing leaves nothing for us to clean up.
    }
  }
}
