import type { GpuDeviceProblem, GpuDeviceSample, GpuSource, GpuSweepResult } from './gpu-types.js';
import {
  loadNvml,
  NVML,
  type NvmlCallMode,
  NvmlClock,
  type NvmlClockName,
  type NvmlLibrary,
} from './nvml-bindings.js';
import { isFieldUnsupported, NvmlError, NvmlReturn } from './nvml-errors.js';

type Fn = NvmlLibrary['fns'][keyof NvmlLibrary['fns']];

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end === -1 ? buf.length : end);
}

function u64(buf: Buffer, offset: number): number {
  // Bytes and millijoules stay far below 2^53; Number keeps the arithmetic simple.
  return Number(buf.readBigUInt64LE(offset));
}

const MHZ = 1e6;

/** Reads NVIDIA GPUs through libnvidia-ml via koffi; one instance = one nvmlInit_v2. */
export class NvmlSource implements GpuSource {
  readonly kind = 'nvml' as const;
  private closed = false;
  private driverVersion: string | undefined;

  private constructor(
    private readonly lib: NvmlLibrary,
    private readonly pid: number,
  ) {}

  /**
   * Loads the library and initialises NVML. Rejects with NvmlLoadError (no
   * library) or NvmlError (init failed, e.g. DRIVER_NOT_LOADED); in both cases
   * nothing is left initialised.
   */
  static async open(path: string, mode: NvmlCallMode, pid = process.pid): Promise<NvmlSource> {
    const lib = loadNvml(path, mode);
    // Init is the call known to take seconds (GPUs without persistence mode):
    // always off the main thread, whatever the sweep mode.
    const rc = await new Promise<number>((resolve, reject) =>
      lib.fns.nvmlInit_v2.async((err: unknown, res: number) => (err ? reject(err) : resolve(res))),
    ).catch((err) => {
      lib.unload();
      throw err;
    });
    if (rc !== NvmlReturn.SUCCESS) {
      // Do not unload: koffi handles are refcounted by dlopen and unloading a
      // library with live worker threads is riskier than keeping it mapped.
      throw new NvmlError('nvmlInit_v2', rc);
    }
    const source = new NvmlSource(lib, pid);
    const buf = Buffer.alloc(NVML.DRIVER_VERSION_BUFFER_SIZE);
    if ((await lib.call(lib.fns.nvmlSystemGetDriverVersion, buf, buf.length)) === NvmlReturn.SUCCESS) {
      source.driverVersion = cString(buf);
    }
    return source;
  }

  get libraryPath(): string {
    return this.lib.path;
  }

  async sweep(): Promise<GpuSweepResult> {
    if (this.closed) throw new Error('NVML source is closed');
    const { lib } = this;
    const countBuf = Buffer.alloc(4);
    const rc = await lib.call(lib.fns.nvmlDeviceGetCount_v2, countBuf);
    if (rc !== NvmlReturn.SUCCESS) throw new NvmlError('nvmlDeviceGetCount_v2', rc);
    const count = countBuf.readUInt32LE(0);
    const devices: GpuDeviceSample[] = [];
    const problems: GpuDeviceProblem[] = [];
    for (let index = 0; index < count; index++) {
      try {
        devices.push(await this.readDevice(index));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        problems.push({ key: `gpu${index}`, message: `GPU ${index} (NVML): ${message}` });
      }
    }
    return { devices, problems };
  }

  /**
   * Handles are re-acquired every sweep: after GPU_IS_LOST an old handle stays
   * invalid, and a fresh lookup is what lets a recovered GPU report again.
   */
  private async readDevice(index: number): Promise<GpuDeviceSample> {
    const { lib } = this;
    const f = lib.fns;
    const handleOut: unknown[] = [null];
    await this.must('nvmlDeviceGetHandleByIndex_v2', f.nvmlDeviceGetHandleByIndex_v2, index, handleOut);
    const dev = handleOut[0];

    const uuidBuf = Buffer.alloc(NVML.DEVICE_UUID_BUFFER_SIZE);
    await this.must('nvmlDeviceGetUUID', f.nvmlDeviceGetUUID, dev, uuidBuf, uuidBuf.length);
    const sample: GpuDeviceSample = {
      index,
      uuid: cString(uuidBuf),
      driverVersion: this.driverVersion,
      utilization: {},
      memory: {},
      clocks: {},
      unsupported: [],
    };

    const nameBuf = Buffer.alloc(NVML.DEVICE_NAME_BUFFER_SIZE);
    if (await this.field(sample, 'name', f.nvmlDeviceGetName, dev, nameBuf, nameBuf.length)) {
      sample.model = cString(nameBuf);
    }

    const util = Buffer.alloc(NVML.UTILIZATION_SIZE);
    if (await this.field(sample, 'utilization.general', f.nvmlDeviceGetUtilizationRates, dev, util)) {
      // util.memory (offset 4) is memory-bus busy time, not capacity: not hw.gpu.memory.utilization.
      sample.utilization.general = util.readUInt32LE(0) / 100;
    }
    const codec = Buffer.alloc(4);
    const period = Buffer.alloc(4);
    if (
      await this.field(sample, 'utilization.encoder', f.nvmlDeviceGetEncoderUtilization, dev, codec, period)
    ) {
      sample.utilization.encoder = codec.readUInt32LE(0) / 100;
    }
    if (
      await this.field(sample, 'utilization.decoder', f.nvmlDeviceGetDecoderUtilization, dev, codec, period)
    ) {
      sample.utilization.decoder = codec.readUInt32LE(0) / 100;
    }

    await this.readMemory(sample, dev);
    await this.readTemperature(sample, dev);

    const u32 = Buffer.alloc(4);
    if (await this.field(sample, 'power', f.nvmlDeviceGetPowerUsage, dev, u32)) {
      sample.power = u32.readUInt32LE(0) / 1000; // mW → W
    }
    const u64buf = Buffer.alloc(8);
    if (await this.field(sample, 'energy', f.nvmlDeviceGetTotalEnergyConsumption, dev, u64buf)) {
      sample.energy = u64(u64buf, 0) / 1000; // mJ → J
    }
    for (const name of Object.keys(NvmlClock) as NvmlClockName[]) {
      if (await this.field(sample, `clock.${name}`, f.nvmlDeviceGetClockInfo, dev, NvmlClock[name], u32)) {
        sample.clocks[name] = u32.readUInt32LE(0) * MHZ; // MHz → Hz
      }
    }
    await this.readProcessMemory(sample, dev);
    return sample;
  }

  private async readMemory(sample: GpuDeviceSample, dev: unknown): Promise<void> {
    const f = this.lib.fns;
    if (f.nvmlDeviceGetMemoryInfo_v2) {
      const buf = Buffer.alloc(NVML.MEMORY_V2_SIZE);
      // The version word encodes struct size and revision; a bare 2 is rejected.
      buf.writeUInt32LE(NVML.MEMORY_V2_VERSION, 0);
      const rc = await this.lib.call(f.nvmlDeviceGetMemoryInfo_v2, dev, buf);
      if (rc === NvmlReturn.SUCCESS) {
        sample.memory.total = u64(buf, 8);
        sample.memory.reserved = u64(buf, 16);
        sample.memory.used = u64(buf, 32);
        return;
      }
      if (!isFieldUnsupported(rc)) throw new NvmlError('nvmlDeviceGetMemoryInfo_v2', rc);
    }
    const buf = Buffer.alloc(NVML.MEMORY_V1_SIZE);
    if (await this.field(sample, 'memory', f.nvmlDeviceGetMemoryInfo, dev, buf)) {
      sample.memory.total = u64(buf, 0);
      sample.memory.used = u64(buf, 16);
    }
  }

  private async readTemperature(sample: GpuDeviceSample, dev: unknown): Promise<void> {
    const f = this.lib.fns;
    if (f.nvmlDeviceGetTemperatureV) {
      const buf = Buffer.alloc(NVML.TEMPERATURE_V1_SIZE);
      buf.writeUInt32LE(NVML.TEMPERATURE_V1_VERSION, 0);
      buf.writeUInt32LE(NVML.TEMPERATURE_GPU, 4);
      const rc = await this.lib.call(f.nvmlDeviceGetTemperatureV, dev, buf);
      if (rc === NvmlReturn.SUCCESS) {
        sample.temperature = buf.readInt32LE(8);
        return;
      }
      if (!isFieldUnsupported(rc)) throw new NvmlError('nvmlDeviceGetTemperatureV', rc);
    }
    const u32 = Buffer.alloc(4);
    if (await this.field(sample, 'temperature', f.nvmlDeviceGetTemperature, dev, NVML.TEMPERATURE_GPU, u32)) {
      sample.temperature = u32.readUInt32LE(0);
    }
  }

  private async readProcessMemory(sample: GpuDeviceSample, dev: unknown): Promise<void> {
    const fn = this.lib.fns.nvmlDeviceGetComputeRunningProcesses_v3;
    if (!fn) {
      sample.unsupported.push('process.memory');
      return;
    }
    const countBuf = Buffer.alloc(4);
    // Processes can start between the sizing call and the read: retry a few times with headroom.
    let capacity = 8;
    for (let attempt = 0; attempt < 3; attempt++) {
      const infos = Buffer.alloc(capacity * NVML.PROCESS_INFO_SIZE);
      countBuf.writeUInt32LE(capacity, 0);
      const rc = await this.lib.call(fn, dev, countBuf, infos);
      if (rc === NvmlReturn.INSUFFICIENT_SIZE) {
        capacity = countBuf.readUInt32LE(0) + 8;
        continue;
      }
      if (rc !== NvmlReturn.SUCCESS) {
        if (isFieldUnsupported(rc)) sample.unsupported.push('process.memory');
        else throw new NvmlError('nvmlDeviceGetComputeRunningProcesses_v3', rc);
        return;
      }
      const n = Math.min(countBuf.readUInt32LE(0), capacity);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const off = i * NVML.PROCESS_INFO_SIZE;
        if (infos.readUInt32LE(off) !== this.pid) continue;
        const used = infos.readBigUInt64LE(off + 8);
        if (used !== NVML.VALUE_NOT_AVAILABLE) total += Number(used);
      }
      sample.processMemory = total;
      return;
    }
  }

  /** A call whose failure makes the whole device unreadable this sweep. */
  private async must(name: string, fn: Fn, ...args: unknown[]): Promise<void> {
    const rc = await this.lib.call(fn as NonNullable<Fn>, ...args);
    if (rc !== NvmlReturn.SUCCESS) throw new NvmlError(name, rc);
  }

  /**
   * A per-field call: true on success, false when the field is unsupported
   * (recorded once on the sample); any other code (GPU lost, no permission)
   * throws so the device is dropped as a whole rather than half-reported.
   */
  private async field(sample: GpuDeviceSample, field: string, fn: Fn | undefined, ...args: unknown[]) {
    if (!fn) {
      sample.unsupported.push(field);
      return false;
    }
    const rc = await this.lib.call(fn, ...args);
    if (rc === NvmlReturn.SUCCESS) return true;
    if (isFieldUnsupported(rc)) {
      sample.unsupported.push(field);
      return false;
    }
    throw new NvmlError(`${field} query`, rc);
  }

  /** nvmlShutdown exactly once per successful open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.lib.call(this.lib.fns.nvmlShutdown);
    } catch {
      // Shutdown failing leaves nothing for us to clean up.
    }
  }
}
