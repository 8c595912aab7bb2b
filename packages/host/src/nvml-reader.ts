import { GpuCallReader, type ReturnCodes } from './gpu-call-reader.js';
import type { NvmlLibrary } from './nvml-bindings.js';
import { describeNvmlError, isFieldUnsupported, NvmlError, NvmlReturn } from './nvml-errors.js';

export type NvmlFn = NonNullable<NvmlLibrary['fns'][keyof NvmlLibrary['fns']]>;

/** Codes after which nothing else on the device can be read: the device is paused as a whole. */
export function isDeviceGone(code: number): boolean {
  return (
    code === NvmlReturn.GPU_IS_LOST ||
    code === NvmlReturn.RESET_REQUIRED ||
    code === NvmlReturn.UNINITIALIZED ||
    code === NvmlReturn.DRIVER_NOT_LOADED
  );
}

const NVML_CODES: ReturnCodes = {
  vendor: 'NVML',
  success: NvmlReturn.SUCCESS,
  isUnsupported: isFieldUnsupported,
  isGone: isDeviceGone,
  describe: describeNvmlError,
  error: (call, code) => new NvmlError(call, code),
};

/** A GpuCallReader over one NVML library, for one sweep. */
export class NvmlReader extends GpuCallReader<NvmlFn> {
  constructor(readonly lib: NvmlLibrary) {
    super((fn, ...args) => lib.call(fn, ...args), NVML_CODES);
  }
}
