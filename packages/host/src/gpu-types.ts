/** One GPU as seen by one sweep, already in semconv units (bytes, W, J, Cel, Hz, fraction). */
export interface GpuDeviceSample {
  index: number;
  /** `GPU-…` UUID: the stable `hw.id`. */
  uuid: string;
  /** Product name, e.g. `NVIDIA H100 80GB HBM3`. */
  model?: string;
  driverVersion?: string;
  utilization: { general?: number; encoder?: number; decoder?: number };
  memory: { used?: number; total?: number; reserved?: number };
  temperature?: number;
  power?: number;
  energy?: number;
  clocks: { graphics?: number; sm?: number; memory?: number; video?: number };
  /** GPU memory held by this process (sum over its compute contexts); undefined when not queryable. */
  processMemory?: number;
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
}

/** A backend that reads every GPU in one sweep. */
export interface GpuSource {
  readonly kind: 'nvml' | 'nvidia-smi';
  /** Rejects only for source-wide failures (library unusable, binary gone); device failures go to `problems`. */
  sweep(): Promise<GpuSweepResult>;
  close(): Promise<void>;
}
