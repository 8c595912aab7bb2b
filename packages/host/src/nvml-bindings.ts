import koffi, { type LibraryHandle } from 'koffi';
import { bindSymbols, invoker, type NvmlCallMode } from './ffi-call.js';

export type { NvmlCallMode } from './ffi-call.js';

type KoffiFunction = ReturnType<LibraryHandle['func']>;

/** Default soname; the driver installs it into the dynamic linker's path. */
export const DEFAULT_NVML_LIBRARY = 'libnvidia-ml.so.1';

// koffi keeps named types in a process-wide registry: declare them once.
koffi.pointer('tokenmeter_nvmlDevice_t', koffi.opaque());
koffi.pointer('tokenmeter_nvmlEventSet_t', koffi.opaque());

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
  DEVICE_SERIAL_BUFFER_SIZE: 30,
  DEVICE_VBIOS_VERSION_BUFFER_SIZE: 32,
  /** nvmlPcieUtilCounter_t */
  PCIE_UTIL_TX_BYTES: 0,
  PCIE_UTIL_RX_BYTES: 1,
  /** nvmlMemoryErrorType_t / nvmlEccCounterType_t */
  MEMORY_ERROR_TYPE_CORRECTED: 0,
  MEMORY_ERROR_TYPE_UNCORRECTED: 1,
  /** Volatile counts are reset each time the driver loads (aggregate ones live as long as the board). */
  VOLATILE_ECC: 0,
  DEVICE_MIG_ENABLE: 1,
  /** nvmlEventTypeXidCriticalError */
  EVENT_TYPE_XID_CRITICAL_ERROR: 0x8n,
  /** sizeof(nvmlEventData_t): device, eventType, eventData, gpuInstanceId, computeInstanceId. */
  EVENT_DATA_SIZE: 32,
  /** sizeof(nvmlFieldValue_t): fieldId, scopeId, timestamp, latencyUsec, valueType, nvmlReturn, value. */
  FIELD_VALUE_SIZE: 40,
  /** scopeId meaning "summed over every NVLink link". */
  SCOPE_ALL_LINKS: 0xffffffff,
} as const;

/** NVML_FI_DEV_* field ids read through nvmlDeviceGetFieldValues. */
export const NvmlField = {
  MEMORY_TEMP: 82,
  NVLINK_THROUGHPUT_DATA_TX: 138,
  NVLINK_THROUGHPUT_DATA_RX: 139,
  /** "PCIe transmit bytes. Value can be wrapped." */
  PCIE_COUNT_TX_BYTES: 197,
  PCIE_COUNT_RX_BYTES: 198,
} as const;

/** nvmlValueType_t, the tag of nvmlFieldValue_t.value. */
export const NvmlValueType = {
  DOUBLE: 0,
  UNSIGNED_INT: 1,
  UNSIGNED_LONG: 2,
  UNSIGNED_LONG_LONG: 3,
  SIGNED_LONG_LONG: 4,
  SIGNED_INT: 5,
  UNSIGNED_SHORT: 6,
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
  nvmlDeviceGetSerial?: KoffiFunction;
  nvmlDeviceGetVbiosVersion?: KoffiFunction;
  nvmlDeviceGetPcieReplayCounter?: KoffiFunction;
  nvmlDeviceGetPcieThroughput?: KoffiFunction;
  nvmlDeviceGetTotalEccErrors?: KoffiFunction;
  nvmlDeviceGetCurrentClocksEventReasons?: KoffiFunction;
  nvmlDeviceGetCurrentClocksThrottleReasons?: KoffiFunction;
  nvmlDeviceGetFieldValues?: KoffiFunction;
  nvmlDeviceGetMigMode?: KoffiFunction;
  nvmlDeviceGetMaxMigDeviceCount?: KoffiFunction;
  nvmlDeviceGetMigDeviceHandleByIndex?: KoffiFunction;
  nvmlDeviceGetGpuInstanceId?: KoffiFunction;
  nvmlDeviceGetComputeInstanceId?: KoffiFunction;
  nvmlEventSetCreate?: KoffiFunction;
  nvmlDeviceRegisterEvents?: KoffiFunction;
  nvmlEventSetWait_v2?: KoffiFunction;
  nvmlEventSetFree?: KoffiFunction;
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
  nvmlDeviceGetSerial:
    'int nvmlDeviceGetSerial(tokenmeter_nvmlDevice_t device, void *serial, uint32_t length)',
  nvmlDeviceGetVbiosVersion:
    'int nvmlDeviceGetVbiosVersion(tokenmeter_nvmlDevice_t device, void *version, uint32_t length)',
  nvmlDeviceGetPcieReplayCounter:
    'int nvmlDeviceGetPcieReplayCounter(tokenmeter_nvmlDevice_t device, void *value)',
  nvmlDeviceGetPcieThroughput:
    'int nvmlDeviceGetPcieThroughput(tokenmeter_nvmlDevice_t device, int counter, void *value)',
  nvmlDeviceGetTotalEccErrors:
    'int nvmlDeviceGetTotalEccErrors(tokenmeter_nvmlDevice_t device, int errorType, int counterType, void *eccCounts)',
  nvmlDeviceGetCurrentClocksEventReasons:
    'int nvmlDeviceGetCurrentClocksEventReasons(tokenmeter_nvmlDevice_t device, void *reasons)',
  nvmlDeviceGetCurrentClocksThrottleReasons:
    'int nvmlDeviceGetCurrentClocksThrottleReasons(tokenmeter_nvmlDevice_t device, void *reasons)',
  nvmlDeviceGetFieldValues:
    'int nvmlDeviceGetFieldValues(tokenmeter_nvmlDevice_t device, int valuesCount, void *values)',
  nvmlDeviceGetMigMode:
    'int nvmlDeviceGetMigMode(tokenmeter_nvmlDevice_t device, void *currentMode, void *pendingMode)',
  nvmlDeviceGetMaxMigDeviceCount:
    'int nvmlDeviceGetMaxMigDeviceCount(tokenmeter_nvmlDevice_t device, void *count)',
  nvmlDeviceGetMigDeviceHandleByIndex:
    'int nvmlDeviceGetMigDeviceHandleByIndex(tokenmeter_nvmlDevice_t device, uint32_t index, _Out_ tokenmeter_nvmlDevice_t *migDevice)',
  nvmlDeviceGetGpuInstanceId: 'int nvmlDeviceGetGpuInstanceId(tokenmeter_nvmlDevice_t device, void *id)',
  nvmlDeviceGetComputeInstanceId:
    'int nvmlDeviceGetComputeInstanceId(tokenmeter_nvmlDevice_t device, void *id)',
  nvmlEventSetCreate: 'int nvmlEventSetCreate(_Out_ tokenmeter_nvmlEventSet_t *set)',
  nvmlDeviceRegisterEvents:
    'int nvmlDeviceRegisterEvents(tokenmeter_nvmlDevice_t device, uint64_t eventTypes, tokenmeter_nvmlEventSet_t set)',
  nvmlEventSetWait_v2:
    'int nvmlEventSetWait_v2(tokenmeter_nvmlEventSet_t set, void *data, uint32_t timeoutms)',
  nvmlEventSetFree: 'int nvmlEventSetFree(tokenmeter_nvmlEventSet_t set)',
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
  readonly mode: NvmlCallMode;
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
  const fns = bindSymbols(
    lib,
    REQUIRED,
    OPTIONAL,
    (name, cause) => new NvmlLoadError(`${path} has no ${name} (driver too old or not NVML)`, { cause }),
  );
  return {
    path,
    mode,
    fns: fns as unknown as NvmlFunctions,
    call: invoker(mode),
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
