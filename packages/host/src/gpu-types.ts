/** Where GPU metrics come from, in the default order of preference. */
export type GpuSourceKind = 'nvml' | 'amdsmi' | 'nvidia-smi';

export type GpuVendor = 'NVIDIA' | 'AMD';

/** `hw.sensor_location` of a GPU temperature sensor (NVML: gpu, memory; amdsmi: edge, junction, memory). */
export type GpuTemperatureSensor = 'gpu' | 'memory' | 'edge' | 'junction';

/** `network.io.direction`, keyed for the byte counters. */
export type IoDirection = 'receive' | 'transmit';

/** One MIG device (a compute instance inside a GPU instance) of a MIG-enabled GPU. */
export interface GpuMigInstanceSample {
  /** `MIG-…` UUID. */
  uuid: string;
  gpuInstanceId: number;
  computeInstanceId: number;
  /** Memory of the GPU instance (shared by its compute instances), bytes. */
  memory: { used?: number; total?: number };
  /** Fraction; NVML reports no per-instance utilization on the drivers we know of. */
  utilization?: number;
}

/** One GPU as seen by one sweep, already in semconv units (bytes, W, J, Cel, Hz, fraction). */
export interface GpuDeviceSample {
  index: number;
  /** `GPU-…` UUID (NVML) or amdsmi's UUID: the stable `hw.id`. */
  uuid: string;
  vendor: GpuVendor;
  /** Product name, e.g. `NVIDIA H100 80GB HBM3`. */
  model?: string;
  driverVersion?: string;
  /** Board serial number (NVML only; absent on GPUs without an infoROM). */
  serialNumber?: string;
  /** VBIOS version (NVML only). */
  firmwareVersion?: string;
  /**
   * The GPU was read before and is now lost (`GPU_IS_LOST`, `RESET_REQUIRED`, or
   * gone from amdsmi): only its identity is known, only `hw.status` is reported.
   */
  failed?: true;
  /** The source can tell a lost GPU (NVML, amdsmi), so `hw.status` is reported; nvidia-smi cannot. */
  reportsStatus?: true;
  utilization: { general?: number; encoder?: number; decoder?: number };
  memory: { used?: number; total?: number; reserved?: number };
  temperatures: Partial<Record<GpuTemperatureSensor, number>>;
  power?: number;
  energy?: number;
  clocks: { graphics?: number; sm?: number; memory?: number; video?: number };
  /** GPU memory held by this process (sum over its compute contexts); undefined when not queryable. */
  processMemory?: number;
  /** Cumulative PCIe bytes (NVML fields 197/198), the source of `hw.gpu.io`. */
  pcieBytes?: Partial<Record<IoDirection, number>>;
  /** PCIe throughput over NVML's 20 ms window, bytes/s; read only when the byte counters are missing. */
  pcieThroughput?: Partial<Record<IoDirection, number>>;
  /** Cumulative NVLink data bytes, summed over all links. */
  nvlinkBytes?: Partial<Record<IoDirection, number>>;
  pcieReplays?: number;
  /** Volatile (since driver load) ECC error counts. */
  eccErrors?: { corrected?: number; uncorrected?: number };
  /** nvmlClocksEventReasons bitmask (low 32 bits; every defined reason fits). */
  clockEventReasons?: number;
  /** XID critical errors seen since the source registered for them, by `error.type` value. */
  xidErrors?: Record<string, number>;
  /** MIG devices, when MIG mode is enabled. */
  mig?: GpuMigInstanceSample[];
  /** Fields the device/driver does not support (NOT_SUPPORTED, missing symbol): reported once at info level. */
  unsupported: string[];
}

/** A device that could not be read in this sweep; the device reports nothing until it reads again. */
export interface GpuDeviceProblem {
  /** `gpu<index>`: UUIDs are unreadable when the device itself is the problem. */
  key: string;
  message: string;
}

export interface GpuSweepResult {
  devices: GpuDeviceSample[];
  problems: GpuDeviceProblem[];
  /**
   * Metrics left out although the device reads (permission denied on one query,
   * an unexpected code, the XID poll failing): warned once per key, cleared when gone.
   */
  warnings?: GpuDeviceProblem[];
}

/** A backend that reads every GPU in one sweep. */
export interface GpuSource {
  readonly kind: GpuSourceKind;
  /** Rejects only for source-wide failures (library unusable, binary gone); device failures go to `problems`. */
  sweep(): Promise<GpuSweepResult>;
  close(): Promise<void>;
}

/** A sample carrying only identity (a lost GPU, or the start of a read). */
export function emptySample(
  identity: Pick<GpuDeviceSample, 'index' | 'uuid' | 'vendor'> & Partial<GpuDeviceSample>,
): GpuDeviceSample {
  return { utilization: {}, memory: {}, temperatures: {}, clocks: {}, unsupported: [], ...identity };
}
