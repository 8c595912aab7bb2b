/**
 * amdsmi_status_t codes (ROCm amdsmi.h) with what each means for a user
 * wondering why AMD GPU metrics are missing.
 */
export const AmdSmiStatus = {
  SUCCESS: 0,
  INVAL: 1,
  NOT_SUPPORTED: 2,
  NOT_YET_IMPLEMENTED: 3,
  FAIL_LOAD_MODULE: 4,
  FAIL_LOAD_SYMBOL: 5,
  DRM_ERROR: 6,
  API_FAILED: 7,
  TIMEOUT: 8,
  RETRY: 9,
  NO_PERM: 10,
  INTERRUPT: 11,
  IO: 12,
  ADDRESS_FAULT: 13,
  FILE_ERROR: 14,
  OUT_OF_RESOURCES: 15,
  INTERNAL_EXCEPTION: 16,
  INPUT_OUT_OF_BOUNDS: 17,
  INIT_ERROR: 18,
  REFCOUNT_OVERFLOW: 19,
  BUSY: 30,
  NOT_FOUND: 31,
  NOT_INIT: 32,
  NO_SLOT: 33,
  DRIVER_NOT_LOADED: 34,
  NO_DATA: 40,
  INSUFFICIENT_SIZE: 41,
  UNEXPECTED_SIZE: 42,
  UNEXPECTED_DATA: 43,
  FILE_NOT_FOUND: 52,
  ARG_PTR_NULL: 53,
  SETTING_UNAVAILABLE: 55,
  MAP_ERROR: 0xfffffffe,
  UNKNOWN_ERROR: 0xffffffff,
} as const;

const MEANINGS: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'invalid parameters',
  2: 'not supported by this GPU or driver',
  3: 'not implemented by this amdsmi version',
  4: 'amdsmi could not load a module it needs',
  5: 'amdsmi could not load a symbol it needs',
  6: 'libdrm call failed (GPU gone, or /dev/dri not accessible)',
  7: 'the API call failed',
  8: 'the call timed out',
  9: 'retry the operation',
  10: 'permission denied (check /dev/kfd and /dev/dri/* access, or the container device list)',
  11: 'interrupted',
  12: 'I/O error (GPU gone?)',
  13: 'bad address',
  14: 'cannot access a driver file (GPU gone, or sysfs not mounted)',
  15: 'out of memory',
  16: 'internal exception in amdsmi',
  17: 'input out of range',
  18: 'amdsmi failed to initialise its internal data',
  19: 'internal reference counter overflow',
  30: 'device busy',
  31: 'device not found (removed, or unbound from the amdgpu driver)',
  32: 'device not initialised',
  33: 'no free slot',
  34: 'the amdgpu kernel driver is not loaded',
  40: 'no data for this input',
  41: 'buffer too small',
  42: 'unexpected amount of data read',
  43: 'unexpected data',
  52: 'file or directory not found (the driver does not expose this value)',
  53: 'null argument',
  55: 'setting not available',
  4294967294: 'internal error that amdsmi could not map to a status',
  4294967295: 'unknown error',
};

const NAMES = new Map<number, string>(Object.entries(AmdSmiStatus).map(([k, v]) => [v, k]));

/** `AMDSMI_STATUS_NOT_FOUND (31): device not found …`. */
export function describeAmdSmiStatus(code: number): string {
  const name = NAMES.get(code);
  const meaning = MEANINGS[code] ?? 'unrecognised amdsmi status (newer library than this binding)';
  return `AMDSMI_STATUS_${name ?? code} (${code}): ${meaning}`;
}

/** Error thrown inside the amdsmi source; `code` is the raw amdsmi_status_t. */
export class AmdSmiError extends Error {
  readonly code: number;
  readonly call: string;
  constructor(call: string, code: number) {
    super(`${call} failed: ${describeAmdSmiStatus(code)}`);
    this.name = 'AmdSmiError';
    this.code = code;
    this.call = call;
  }
}

/** The metric is not available on this GPU/driver: skip it, keep the device. */
export function isAmdSmiUnsupported(code: number): boolean {
  return (
    code === AmdSmiStatus.NOT_SUPPORTED ||
    code === AmdSmiStatus.NOT_YET_IMPLEMENTED ||
    code === AmdSmiStatus.NO_DATA ||
    code === AmdSmiStatus.FILE_NOT_FOUND ||
    code === AmdSmiStatus.SETTING_UNAVAILABLE
  );
}

/** The GPU vanished (removed, unbound, driver unloaded): the device is reported as failed. */
export function isAmdSmiDeviceGone(code: number): boolean {
  return (
    code === AmdSmiStatus.NOT_FOUND ||
    code === AmdSmiStatus.NOT_INIT ||
    code === AmdSmiStatus.DRIVER_NOT_LOADED ||
    code === AmdSmiStatus.DRM_ERROR ||
    code === AmdSmiStatus.IO ||
    code === AmdSmiStatus.FILE_ERROR
  );
}
