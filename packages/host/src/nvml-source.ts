import { cString, u64 } from './gpu-call-reader.js';
import { GpuDeviceReads } from './gpu-device-reads.js';
import type { GpuDeviceSample, GpuSource, GpuSweepResult } from './gpu-types.js';
import { emptySample } from './gpu-types.js';
import {
  loadNvml,
  NVML,
  type NvmlCallMode,
  NvmlClock,
  type NvmlClockName,
  type NvmlLibrary,
} from './nvml-bindings.js';
import { isFieldUnsupported, NvmlError, NvmlReturn } from './nvml-errors.js';
import { readFieldValues } from './nvml-fields.js';
import { readMemoryInto } from './nvml-memory.js';
import { readMig } from './nvml-mig.js';
import { isDeviceGone, NvmlReader } from './nvml-reader.js';
import { NvmlXidEvents } from './nvml-xid-events.js';

const MHZ = 1e6;

function* indexes(count: number): Iterable<number> {
  for (let i = 0; i < count; i++) yield i;
}
/** nvmlDeviceGetPcieThroughput reports KB/s; taken as 1024 bytes, like NVML's KiB counters. */
const KB = 1024;

/** What does not change while a GPU stays the same GPU: read once per UUID. */
interface Identity {
  model?: string;
  serialNumber?: string;
  firmwareVersion?: string;
}

/** Reads NVIDIA GPUs through libnvidia-ml via koffi; one instance = one nvmlInit_v2. */
export class NvmlSource implements GpuSource {
  readonly kind = 'nvml' as const;
  private closed = false;
  private driverVersion: string | undefined;
  private readonly identities = new Map<string, Identity>();
  private readonly reads = new GpuDeviceReads(
    'NVML',
    (err) => err instanceof NvmlError && isDeviceGone(err.code),
  );

  private constructor(
    private readonly lib: NvmlLibrary,
    private readonly pid: number,
    private readonly xid: NvmlXidEvents,
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
    const source = new NvmlSource(lib, pid, await NvmlXidEvents.create(lib));
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
    const reader = new NvmlReader(lib);
    const countBuf = Buffer.alloc(4);
    const rc = await lib.call(lib.fns.nvmlDeviceGetCount_v2, countBuf);
    if (rc !== NvmlReturn.SUCCESS) throw new NvmlError('nvmlDeviceGetCount_v2', rc);
    const count = countBuf.readUInt32LE(0);
    const { devices, problems } = await this.reads.read(indexes(count), (index) =>
      this.readDevice(reader, index),
    );
    await this.xid.poll(reader);
    for (const d of devices) if (!d.failed) this.xid.attach(d);
    return { devices, problems, warnings: reader.warnings };
  }

  /**
   * Handles are re-acquired every sweep: after GPU_IS_LOST an old handle stays
   * invalid, and a fresh lookup is what lets a recovered GPU report again.
   */
  private async readDevice(reader: NvmlReader, index: number): Promise<GpuDeviceSample> {
    const f = this.lib.fns;
    const handleOut: unknown[] = [null];
    await reader.must('nvmlDeviceGetHandleByIndex_v2', f.nvmlDeviceGetHandleByIndex_v2, index, handleOut);
    const dev = handleOut[0];

    const uuidBuf = Buffer.alloc(NVML.DEVICE_UUID_BUFFER_SIZE);
    await reader.must('nvmlDeviceGetUUID', f.nvmlDeviceGetUUID, dev, uuidBuf, uuidBuf.length);
    const sample = emptySample({
      index,
      uuid: cString(uuidBuf),
      vendor: 'NVIDIA',
      driverVersion: this.driverVersion,
      reportsStatus: true,
    });
    Object.assign(sample, await this.identity(reader, sample, dev));

    const util = Buffer.alloc(NVML.UTILIZATION_SIZE);
    if (await reader.field(sample, 'utilization.general', f.nvmlDeviceGetUtilizationRates, dev, util)) {
      // util.memory (offset 4) is memory-bus busy time, not capacity: not hw.gpu.memory.utilization.
      sample.utilization.general = util.readUInt32LE(0) / 100;
    }
    const codec = Buffer.alloc(4);
    const period = Buffer.alloc(4);
    if (
      await reader.field(sample, 'utilization.encoder', f.nvmlDeviceGetEncoderUtilization, dev, codec, period)
    ) {
      sample.utilization.encoder = codec.readUInt32LE(0) / 100;
    }
    if (
      await reader.field(sample, 'utilization.decoder', f.nvmlDeviceGetDecoderUtilization, dev, codec, period)
    ) {
      sample.utilization.decoder = codec.readUInt32LE(0) / 100;
    }

    await readMemoryInto(reader, sample, dev, sample.memory);
    await this.readTemperature(reader, sample, dev);

    const u32 = Buffer.alloc(4);
    if (await reader.field(sample, 'power', f.nvmlDeviceGetPowerUsage, dev, u32)) {
      sample.power = u32.readUInt32LE(0) / 1000; // mW → W
    }
    const u64buf = Buffer.alloc(8);
    if (await reader.field(sample, 'energy', f.nvmlDeviceGetTotalEnergyConsumption, dev, u64buf)) {
      sample.energy = u64(u64buf, 0) / 1000; // mJ → J
    }
    for (const name of Object.keys(NvmlClock) as NvmlClockName[]) {
      if (await reader.field(sample, `clock.${name}`, f.nvmlDeviceGetClockInfo, dev, NvmlClock[name], u32)) {
        sample.clocks[name] = u32.readUInt32LE(0) * MHZ; // MHz → Hz
      }
    }
    await this.readProcessMemory(reader, sample, dev);
    await this.readHealth(reader, sample, dev);
    await readFieldValues(reader, sample, dev);
    await this.readPcieThroughput(reader, sample, dev);
    await readMig(reader, sample, dev);
    await this.xid.register(reader, sample, dev);
    return sample;
  }

  /** Name, serial number and VBIOS version: once per UUID (a failure other than "unsupported" retries). */
  private async identity(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<Identity> {
    const known = this.identities.get(sample.uuid);
    if (known) return known;
    const f = this.lib.fns;
    const id: Identity = {};
    let complete = true;
    const nameBuf = Buffer.alloc(NVML.DEVICE_NAME_BUFFER_SIZE);
    if (await reader.field(sample, 'name', f.nvmlDeviceGetName, dev, nameBuf, nameBuf.length)) {
      id.model = cString(nameBuf);
    }
    const before = reader.warnings.length;
    const serial = Buffer.alloc(NVML.DEVICE_SERIAL_BUFFER_SIZE);
    if (await reader.optional(sample, 'serial_number', f.nvmlDeviceGetSerial, dev, serial, serial.length)) {
      id.serialNumber = cString(serial);
    }
    const vbios = Buffer.alloc(NVML.DEVICE_VBIOS_VERSION_BUFFER_SIZE);
    if (
      await reader.optional(sample, 'firmware_version', f.nvmlDeviceGetVbiosVersion, dev, vbios, vbios.length)
    ) {
      id.firmwareVersion = cString(vbios);
    }
    if (reader.warnings.length > before) complete = false;
    if (complete) this.identities.set(sample.uuid, id);
    return id;
  }

  private async readTemperature(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
    const f = this.lib.fns;
    if (f.nvmlDeviceGetTemperatureV) {
      const buf = Buffer.alloc(NVML.TEMPERATURE_V1_SIZE);
      buf.writeUInt32LE(NVML.TEMPERATURE_V1_VERSION, 0);
      buf.writeUInt32LE(NVML.TEMPERATURE_GPU, 4);
      const rc = await reader.call(f.nvmlDeviceGetTemperatureV, dev, buf);
      if (rc === NvmlReturn.SUCCESS) {
        sample.temperatures.gpu = buf.readInt32LE(8);
        return;
      }
      if (!isFieldUnsupported(rc)) throw new NvmlError('nvmlDeviceGetTemperatureV', rc);
    }
    const u32 = Buffer.alloc(4);
    if (
      await reader.field(sample, 'temperature', f.nvmlDeviceGetTemperature, dev, NVML.TEMPERATURE_GPU, u32)
    ) {
      sample.temperatures.gpu = u32.readUInt32LE(0);
    }
  }

  private async readProcessMemory(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
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
      const rc = await reader.call(fn, dev, countBuf, infos);
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

  /** PCIe replays, volatile ECC counts and clocks event reasons. */
  private async readHealth(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
    const f = this.lib.fns;
    const u32 = Buffer.alloc(4);
    if (await reader.optional(sample, 'pcie.replays', f.nvmlDeviceGetPcieReplayCounter, dev, u32)) {
      sample.pcieReplays = u32.readUInt32LE(0);
    }
    const count = Buffer.alloc(8);
    const ecc: NonNullable<GpuDeviceSample['eccErrors']> = {};
    for (const [key, type] of [
      ['corrected', NVML.MEMORY_ERROR_TYPE_CORRECTED],
      ['uncorrected', NVML.MEMORY_ERROR_TYPE_UNCORRECTED],
    ] as const) {
      const fn = f.nvmlDeviceGetTotalEccErrors;
      if (!(await reader.optional(sample, 'ecc', fn, dev, type, NVML.VOLATILE_ECC, count))) break;
      ecc[key] = u64(count, 0);
      sample.eccErrors = ecc;
    }
    // The "throttle reasons" call was renamed "clocks event reasons" (same bitmask); old drivers have only the former.
    const reasons = f.nvmlDeviceGetCurrentClocksEventReasons ?? f.nvmlDeviceGetCurrentClocksThrottleReasons;
    if (await reader.optional(sample, 'clock.throttle', reasons, dev, count)) {
      sample.clockEventReasons = count.readUInt32LE(0);
    }
  }

  /**
   * Fallback for drivers without the PCIe byte counters: a rate NVML measures
   * over 20 ms per call (nvml.h). Only in 'async' mode, where that wait holds
   * a worker thread; in 'sync' mode it would hold the event loop.
   */
  private async readPcieThroughput(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
    if (sample.pcieBytes || !sample.unsupported.includes('pcie.io')) return;
    if (this.lib.mode !== 'async') {
      sample.unsupported.push('pcie.throughput (sampled for 20 ms per call: async call mode only)');
      return;
    }
    const fn = this.lib.fns.nvmlDeviceGetPcieThroughput;
    const kbps = Buffer.alloc(4);
    const rate: NonNullable<GpuDeviceSample['pcieThroughput']> = {};
    if (!(await reader.optional(sample, 'pcie.throughput', fn, dev, NVML.PCIE_UTIL_TX_BYTES, kbps))) return;
    rate.transmit = kbps.readUInt32LE(0) * KB;
    if (!(await reader.optional(sample, 'pcie.throughput', fn, dev, NVML.PCIE_UTIL_RX_BYTES, kbps))) return;
    rate.receive = kbps.readUInt32LE(0) * KB;
    sample.pcieThroughput = rate;
  }

  /** nvmlShutdown exactly once per successful open (the event set is freed first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.xid.close(this.lib);
    } catch {
      // A failed free leaves nothing for us to clean up; shutdown releases it.
    }
    try {
      await this.lib.call(this.lib.fns.nvmlShutdown);
    } catch {
      // Shutdown failing leaves nothing for us to clean up.
    }
  }
}
