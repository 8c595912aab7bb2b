import koffi, { type LibraryHandle } from 'koffi';
import { bindSymbols, invoker, type NvmlCallMode } from './ffi-call.js';

type KoffiFunction = ReturnType<LibraryHandle['func']>;

/**
 * Where amdsmi is looked for when no path is configured: the dynamic linker's
 * path first, then ROCm's default install prefix (not always in ld.so.conf).
 */
export const DEFAULT_AMDSMI_LIBRARIES = ['libamd_smi.so', '/opt/rocm/lib/libamd_smi.so'] as const;

// koffi keeps named types in a process-wide registry: declare them once.
koffi.pointer('tokenmeter_amdsmi_handle', koffi.opaque());
export const AMDSMI_HANDLE_TYPE = 'tokenmeter_amdsmi_handle';

/**
 * Constants from amdsmi.h. Only calls whose out-parameters are scalars, or
 * structs whose read fields have kept their offsets across ROCm releases, are
 * used: amdsmi_power_info_t, amdsmi_board_info_t and amdsmi_vbios_info_t
 * changed layout between releases, so power, serial number and VBIOS are not
 * read (a wrong offset would report a voltage as watts).
 */
export const AMDSMI = {
  /** AMDSMI_INIT_AMD_GPUS */
  INIT_AMD_GPUS: 2,
  MEM_TYPE_VRAM: 0,
  /** amdsmi_temperature_metric_t AMDSMI_TEMP_CURRENT */
  TEMP_CURRENT: 0,
  /** amdsmi_temperature_type_t */
  TEMPERATURE_TYPE_EDGE: 0,
  TEMPERATURE_TYPE_HOTSPOT: 1,
  TEMPERATURE_TYPE_VRAM: 2,
  /** The library rejects a UUID buffer shorter than AMDSMI_GPU_UUID_SIZE (38). */
  UUID_BUFFER_SIZE: 64,
  /** amdsmi_engine_usage_t: gfx, umc, mm activity (%), then reserved words. */
  ENGINE_USAGE_SIZE: 64,
  /** Activity values above 100 are "not available" markers (0xFFFF from gpu_metrics). */
  MAX_ACTIVITY: 100,
  /** market_name[AMDSMI_256_LENGTH] opens amdsmi_asic_info_t in every release; the buffer covers any later size. */
  ASIC_INFO_BUFFER_SIZE: 4096,
  MARKET_NAME_LENGTH: 256,
  /** driver_version[AMDSMI_MAX_STRING_LENGTH] opens amdsmi_driver_info_t in every release. */
  DRIVER_INFO_BUFFER_SIZE: 4096,
  DRIVER_VERSION_LENGTH: 64,
  HANDLE_SIZE: 8,
} as const;

export interface AmdSmiFunctions {
  amdsmi_init: KoffiFunction;
  amdsmi_shut_down: KoffiFunction;
  amdsmi_get_socket_handles: KoffiFunction;
  amdsmi_get_processor_handles: KoffiFunction;
  amdsmi_get_gpu_device_uuid: KoffiFunction;
  amdsmi_get_gpu_activity?: KoffiFunction;
  amdsmi_get_gpu_memory_total?: KoffiFunction;
  amdsmi_get_gpu_memory_usage?: KoffiFunction;
  amdsmi_get_temp_metric?: KoffiFunction;
  amdsmi_get_energy_count?: KoffiFunction;
  amdsmi_get_gpu_asic_info?: KoffiFunction;
  amdsmi_get_gpu_driver_info?: KoffiFunction;
}

const H = AMDSMI_HANDLE_TYPE;
const REQUIRED: Record<string, string> = {
  amdsmi_init: 'uint32_t amdsmi_init(uint64_t flags)',
  amdsmi_shut_down: 'uint32_t amdsmi_shut_down()',
  amdsmi_get_socket_handles: 'uint32_t amdsmi_get_socket_handles(void *count, void *handles)',
  amdsmi_get_processor_handles: `uint32_t amdsmi_get_processor_handles(${H} socket, void *count, void *handles)`,
  amdsmi_get_gpu_device_uuid: `uint32_t amdsmi_get_gpu_device_uuid(${H} processor, void *length, void *uuid)`,
};

const OPTIONAL: Record<string, string> = {
  amdsmi_get_gpu_activity: `uint32_t amdsmi_get_gpu_activity(${H} processor, void *info)`,
  amdsmi_get_gpu_memory_total: `uint32_t amdsmi_get_gpu_memory_total(${H} processor, int type, void *total)`,
  amdsmi_get_gpu_memory_usage: `uint32_t amdsmi_get_gpu_memory_usage(${H} processor, int type, void *used)`,
  amdsmi_get_temp_metric: `uint32_t amdsmi_get_temp_metric(${H} processor, int sensor, int metric, void *value)`,
  amdsmi_get_energy_count: `uint32_t amdsmi_get_energy_count(${H} processor, void *accumulator, void *resolution, void *timestamp)`,
  amdsmi_get_gpu_asic_info: `uint32_t amdsmi_get_gpu_asic_info(${H} processor, void *info)`,
  amdsmi_get_gpu_driver_info: `uint32_t amdsmi_get_gpu_driver_info(${H} processor, void *info)`,
};

/** The library cannot be loaded (`missing`: dlopen found nothing) or is not amdsmi. */
export class AmdSmiLoadError extends Error {
  constructor(
    message: string,
    readonly missing: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AmdSmiLoadError';
  }
}

export interface AmdSmiLibrary {
  readonly path: string;
  readonly fns: AmdSmiFunctions;
  call(fn: KoffiFunction, ...args: unknown[]): Promise<number>;
  unload(): void;
}

function loadOne(path: string): LibraryHandle {
  try {
    return koffi.load(path);
  } catch (err) {
    throw new AmdSmiLoadError(`cannot load ${path}: ${(err as Error).message}`, true, { cause: err });
  }
}

/** dlopen()s the first of `paths` that loads and binds amdsmi. Throws AmdSmiLoadError. */
export function loadAmdSmi(paths: readonly string[], mode: NvmlCallMode): AmdSmiLibrary {
  let lib: LibraryHandle | undefined;
  let path = '';
  const failures: string[] = [];
  for (const candidate of paths) {
    try {
      lib = loadOne(candidate);
      path = candidate;
      break;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  if (!lib) throw new AmdSmiLoadError(failures.join('; '), true);
  const fns = bindSymbols(
    lib,
    REQUIRED,
    OPTIONAL,
    (name, cause) => new AmdSmiLoadError(`${path} has no ${name} (not amdsmi, or too old)`, false, { cause }),
  );
  const loaded = lib;
  return { path, fns: fns as unknown as AmdSmiFunctions, call: invoker(mode), unload: () => loaded.unload() };
}
