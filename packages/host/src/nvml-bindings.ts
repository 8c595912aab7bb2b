import koffi, { type LibraryHandle } from 'koffi';

type KoffiFunction = ReturnType<LibraryHandle['func']>;

/**
 * How NVML functions are invoked. `'async'` runs each call on a koffi worker
 * thread so a wedged driver (GPU falling off the bus, nvmlInit on a GPU without
 * persistence mode can take seconds) never stalls the event loop; it costs a
 * thread hop per call. `'sync'` calls directly on the main thread (~µs each).
 */
export type NvmlCallMode = 'sync' | 'async';

/** Default soname; the driver installs it into the dynamic linker's path. */
export const DEFAULT_NVML_LIBRARY = 'libnvidia-ml.so.1';

// koffi keeps named types in a process-wide registry: declare them once.
koffi.pointer('tokenmeter_nvmlDevice_t', koffi.opaque());

/** Buffer sizes and struct versions from nvml.h (API 13). */
export const NVML = {
  DEVICE_NAME_BUFFER_SIZE: 96,
  DEVICE_UUID_BUFFER_SIZE: 96,
  DRIVER_VERSION_BUFFER_SIZE: 80,
  /** sizeof(nvmlMemory_v2_t) | 2 << 24 */
  MEMORY_V2_VERSION: 0x02000028,
  MEMORY_V2_SIZE: 40,
  MEMORY_V1_SIZE: 24,
  /** sizeof(nvmlTemperature_t) | 1 << 24 */
  TEMPERATURE_V1_VERSION: 0x0100000c,
  TEMPERATURE_V1_SIZE: 12,
  UTILIZATION_SIZE: 8,
  /** nvmlProcessInfo_t as filled by the _v3 process queries. */
  PROCESS_INFO_SIZE: 24,
  TEMPERATURE_GPU: 0,
  /** usedGpuMemory when the driver cannot attribute memory to a process. */
  VALUE_NOT_AVAILABLE: 0xffffffffffffffffn,
} as const;

export const NvmlClock = { graphics: 0, sm: 1, memory: 2, video: 3 } as const;
export type NvmlClockName = keyof typeof NvmlClock;

/** The bound symbols. Optional ones are missing from older drivers and have a fallback. */
export interface NvmlFunctions {
  nvmlInit_v2: KoffiFunction;
  nvmlShutdown: KoffiFunction;
  nvmlErrorString: KoffiFunction;
  nvmlSystemGetDriverVersion: KoffiFunction;
  nvmlDeviceGetCount_v2: KoffiFunction;
  nvmlDeviceGetHandleByIndex_v2: KoffiFunction;
  nvmlDeviceGetName: KoffiFunction;
  nvmlDeviceGetUUID: KoffiFunction;
  nvmlDeviceGetUtilizationRates: KoffiFunction;
  nvmlDeviceGetMemoryInfo: KoffiFunction;
  nvmlDeviceGetMemoryInfo_v2?: KoffiFunction;
  nvmlDeviceGetTemperature?: KoffiFunction;
  nvmlDeviceGetTemperatureV?: KoffiFunction;
  nvmlDeviceGetPowerUsage?: KoffiFunction;
  nvmlDeviceGetTotalEnergyConsumption?: KoffiFunction;
  nvmlDeviceGetClockInfo?: KoffiFunction;
  nvmlDeviceGetEncoderUtilization?: KoffiFunction;
  nvmlDeviceGetDecoderUtilization?: KoffiFunction;
  nvmlDeviceGetComputeRunningProcesses_v3?: KoffiFunction;
}

// Out-parameters are plain Buffers decoded at fixed offsets (see NVML): the
// struct layout stays visible and testable instead of hidden in koffi structs.
const REQUIRED: Record<string, string> = {
  nvmlInit_v2: 'int nvmlInit_v2()',
  nvmlShutdown: 'int nvmlShutdown()',
  nvmlErrorString: 'const char *nvmlErrorString(int result)',
  nvmlSystemGetDriverVersion: 'int nvmlSystemGetDriverVersion(void *version, uint32_t length)',
  nvmlDeviceGetCount_v2: 'int nvmlDeviceGetCount_v2(void *count)',
  nvmlDeviceGetHandleByIndex_v2:
    'int nvmlDeviceGetHandleByIndex_v2(uint32_t index, _Out_ tokenmeter_nvmlDevice_t *device)',
  nvmlDeviceGetName: 'int nvmlDeviceGetName(tokenmeter_nvmlDevice_t device, void *name, uint32_t length)',
  nvmlDeviceGetUUID: 'int nvmlDeviceGetUUID(tokenmeter_nvmlDevice_t device, void *uuid, uint32_t length)',
  nvmlDeviceGetUtilizationRates:
    'int nvmlDeviceGetUtilizationRates(tokenmeter_nvmlDevice_t device, void *utilization)',
  nvmlDeviceGetMemoryInfo: 'int nvmlDeviceGetMemoryInfo(tokenmeter_nvmlDevice_t device, void *memory)',
};

const OPTIONAL: Record<string, string> = {
  nvmlDeviceGetMemoryInfo_v2: 'int nvmlDeviceGetMemoryInfo_v2(tokenmeter_nvmlDevice_t device, void *memory)',
  nvmlDeviceGetTemperature:
    'int nvmlDeviceGetTemperature(tokenmeter_nvmlDevice_t device, int sensorType, void *temp)',
  nvmlDeviceGetTemperatureV:
    'int nvmlDeviceGetTemperatureV(tokenmeter_nvmlDevice_t device, void *temperature)',
  nvmlDeviceGetPowerUsage: 'int nvmlDeviceGetPowerUsage(tokenmeter_nvmlDevice_t device, void *power)',
  nvmlDeviceGetTotalEnergyConsumption:
    'int nvmlDeviceGetTotalEnergyConsumption(tokenmeter_nvmlDevice_t device, void *energy)',
  nvmlDeviceGetClockInfo: 'int nvmlDeviceGetClockInfo(tokenmeter_nvmlDevice_t device, int type, void *clock)',
  nvmlDeviceGetEncoderUtilization:
    'int nvmlDeviceGetEncoderUtilization(tokenmeter_nvmlDevice_t device, void *utilization, void *samplingPeriodUs)',
  nvmlDeviceGetDecoderUtilization:
    'int nvmlDeviceGetDecoderUtilization(tokenmeter_nvmlDevice_t device, void *utilization, void *samplingPeriodUs)',
  nvmlDeviceGetComputeRunningProcesses_v3:
    'int nvmlDeviceGetComputeRunningProcesses_v3(tokenmeter_nvmlDevice_t device, void *infoCount, void *infos)',
};

/** Thrown when the library cannot be loaded or lacks a required symbol. */
export class NvmlLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NvmlLoadError';
  }
}

export interface NvmlLibrary {
  readonly path: string;
  readonly fns: NvmlFunctions;
  /** Invokes a bound function in the configured call mode; resolves to the nvmlReturn_t. */
  call(fn: KoffiFunction, ...args: unknown[]): Promise<number>;
  errorString(code: number): string;
  unload(): void;
}

/** dlopen()s NVML and binds the versioned symbols. Throws NvmlLoadError. */
export function loadNvml(path: string, mode: NvmlCallMode): NvmlLibrary {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new NvmlLoadError(`cannot load ${path}: ${(err as Error).message}`, { cause: err });
  }
  const fns: Record<string, KoffiFunction> = {};
  for (const [name, decl] of Object.entries(REQUIRED)) {
    try {
      fns[name] = lib.func(decl);
    } catch (err) {
      lib.unload();
      throw new NvmlLoadError(`${path} has no ${name} (driver too old or not NVML)`, { cause: err });
    }
  }
  for (const [name, decl] of Object.entries(OPTIONAL)) {
    try {
      fns[name] = lib.func(decl);
    } catch {
      // Older drivers lack the newer symbols: the source falls back per field.
    }
  }
  const call =
    mode === 'async'
      ? (fn: KoffiFunction, ...args: unknown[]) =>
          new Promise<number>((resolve, reject) => {
            fn.async(...args, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
          })
      : (fn: KoffiFunction, ...args: unknown[]) => Promise.resolve(fn(...args) as number);
  return {
    path,
    fns: fns as unknown as NvmlFunctions,
    call,
    errorString(code) {
      try {
        return String(fns.nvmlErrorString?.(code) ?? '');
      } catch {
        return '';
      }
    },
    unload: () => lib.unload(),
  };
}
