/**
 * nvmlReturn_t codes (NVML API 13 header) with the reason and the action a
 * user can take, so a diagnostic says why GPU metrics are missing instead of
 * only echoing a number.
 */
export const NvmlReturn = {
  SUCCESS: 0,
  UNINITIALIZED: 1,
  INVALID_ARGUMENT: 2,
  NOT_SUPPORTED: 3,
  NO_PERMISSION: 4,
  ALREADY_INITIALIZED: 5,
  NOT_FOUND: 6,
  INSUFFICIENT_SIZE: 7,
  INSUFFICIENT_POWER: 8,
  DRIVER_NOT_LOADED: 9,
  TIMEOUT: 10,
  IRQ_ISSUE: 11,
  LIBRARY_NOT_FOUND: 12,
  FUNCTION_NOT_FOUND: 13,
  CORRUPTED_INFOROM: 14,
  GPU_IS_LOST: 15,
  RESET_REQUIRED: 16,
  OPERATING_SYSTEM: 17,
  LIB_RM_VERSION_MISMATCH: 18,
  IN_USE: 19,
  MEMORY: 20,
  NO_DATA: 21,
  VGPU_ECC_NOT_SUPPORTED: 22,
  INSUFFICIENT_RESOURCES: 23,
  FREQ_NOT_SUPPORTED: 24,
  ARGUMENT_VERSION_MISMATCH: 25,
  DEPRECATED: 26,
  NOT_READY: 27,
  GPU_NOT_FOUND: 28,
  INVALID_STATE: 29,
  RESET_TYPE_NOT_SUPPORTED: 30,
  UNKNOWN: 999,
} as const;

const DESCRIPTIONS: Readonly<Record<number, readonly [name: string, meaning: string]>> = {
  0: ['SUCCESS', 'success'],
  1: ['UNINITIALIZED', 'NVML was not initialised (nvmlInit_v2 not called or already shut down)'],
  2: ['INVALID_ARGUMENT', 'invalid argument (device index out of range or a stale device handle)'],
  3: ['NOT_SUPPORTED', 'not supported by this GPU, driver or mode (MIG-enabled GPUs report no utilization)'],
  4: [
    'NO_PERMISSION',
    'permission denied: the process may not query this GPU (check /dev/nvidia* permissions or the container device list)',
  ],
  5: ['ALREADY_INITIALIZED', 'NVML already initialised'],
  6: ['NOT_FOUND', 'object not found'],
  7: ['INSUFFICIENT_SIZE', 'buffer too small'],
  8: ['INSUFFICIENT_POWER', 'a power cable is not connected properly'],
  9: [
    'DRIVER_NOT_LOADED',
    'the NVIDIA kernel driver is not loaded (no GPU, or the driver is not installed in this host or container)',
  ],
  10: ['TIMEOUT', 'the driver timed out'],
  11: ['IRQ_ISSUE', 'the kernel detected an interrupt problem with the GPU'],
  12: ['LIBRARY_NOT_FOUND', 'NVML could not find a library it depends on'],
  13: ['FUNCTION_NOT_FOUND', 'the installed driver lacks this NVML function (driver older than the API)'],
  14: ['CORRUPTED_INFOROM', 'the GPU infoROM is corrupted'],
  15: [
    'GPU_IS_LOST',
    'the GPU fell off the bus or is otherwise inaccessible (Xid 79); metrics resume when it comes back',
  ],
  16: ['RESET_REQUIRED', 'the GPU needs a reset before it can be used again'],
  17: ['OPERATING_SYSTEM', 'the operating system or cgroups blocked access to the GPU control device'],
  18: [
    'LIB_RM_VERSION_MISMATCH',
    'libnvidia-ml and the kernel driver versions differ (driver upgraded without reboot, or a mismatched container library)',
  ],
  19: ['IN_USE', 'the GPU is in use'],
  20: ['MEMORY', 'NVML ran out of memory'],
  21: ['NO_DATA', 'no data'],
  22: ['VGPU_ECC_NOT_SUPPORTED', 'vGPU operation unavailable because ECC is enabled'],
  23: ['INSUFFICIENT_RESOURCES', 'the driver ran out of critical resources'],
  24: ['FREQ_NOT_SUPPORTED', 'frequency not supported'],
  25: [
    'ARGUMENT_VERSION_MISMATCH',
    'struct version not accepted by this driver (binding/driver version skew)',
  ],
  26: ['DEPRECATED', 'the function is deprecated in this driver'],
  27: ['NOT_READY', 'the system is not ready for the request'],
  28: ['GPU_NOT_FOUND', 'no GPU was found'],
  29: ['INVALID_STATE', 'the resource is in an invalid state for this request'],
  30: ['RESET_TYPE_NOT_SUPPORTED', 'reset type not supported'],
  999: ['UNKNOWN', 'an internal driver error occurred'],
};

/** `NVML_ERROR_GPU_IS_LOST`-style symbolic name, or `NVML_ERROR_<code>` for codes newer than this table. */
export function nvmlErrorName(code: number): string {
  const entry = DESCRIPTIONS[code];
  if (code === 0) return 'NVML_SUCCESS';
  return entry ? `NVML_ERROR_${entry[0]}` : `NVML_ERROR_${code}`;
}

/** One line for a diagnostic: symbolic name, code and what it means for the user. */
export function describeNvmlError(code: number): string {
  const entry = DESCRIPTIONS[code];
  const meaning = entry ? entry[1] : 'unrecognised NVML return code (newer driver than this binding)';
  return `${nvmlErrorName(code)} (${code}): ${meaning}`;
}

/** Error thrown inside the NVML source; `code` is the raw nvmlReturn_t. */
export class NvmlError extends Error {
  readonly code: number;
  readonly call: string;
  constructor(call: string, code: number) {
    super(`${call} failed: ${describeNvmlError(code)}`);
    this.name = 'NvmlError';
    this.code = code;
    this.call = call;
  }
}

/** Codes meaning "this query will never work on this device": skip the field, keep the device. */
export function isFieldUnsupported(code: number): boolean {
  return (
    code === NvmlReturn.NOT_SUPPORTED ||
    code === NvmlReturn.FUNCTION_NOT_FOUND ||
    code === NvmlReturn.ARGUMENT_VERSION_MISMATCH ||
    code === NvmlReturn.DEPRECATED ||
    code === NvmlReturn.NO_DATA
  );
}
