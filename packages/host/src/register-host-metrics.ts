import { type MeterProvider, metrics } from '@opentelemetry/api';
import { DiagOnce } from './diag-once.js';
import { registerGpuInstruments } from './gpu-instruments.js';
import { gpuOpeners } from './gpu-openers.js';
import { GpuSampler } from './gpu-sampler.js';
import type { GpuSourceKind } from './gpu-types.js';
import { HostGroups } from './host-groups.js';
import type { NvidiaSmiOptions } from './nvidia-smi-source.js';
import type { NvmlCallMode } from './nvml-bindings.js';
import { RuntimeGroup } from './runtime-group.js';

export { AMDSMI_LIBRARY_ENV, DEFAULT_GPU_SOURCES, NVML_LIBRARY_ENV } from './gpu-openers.js';

export interface GpuMetricsOptions {
  /** @default true */
  enabled?: boolean;
  /**
   * Sources tried in order until one opens (one source at a time). Naming
   * `'amdsmi'` here makes a missing amdsmi a warning instead of a debug line.
   * @default ['nvml', 'amdsmi', 'nvidia-smi']
   */
  sources?: readonly GpuSourceKind[];
  /** Path or soname of NVML. @default process.env.TOKENMETER_NVML_LIBRARY ?? 'libnvidia-ml.so.1' */
  nvmlLibrary?: string;
  /**
   * Path or soname of ROCm's amdsmi; setting it (or the environment variable)
   * counts as asking for amdsmi. @default process.env.TOKENMETER_AMDSMI_LIBRARY,
   * else 'libamd_smi.so', then '/opt/rocm/lib/libamd_smi.so'
   */
  amdSmiLibrary?: string;
  /** GPU sweep period; collections read the cached sweep. @default 5000 */
  intervalMillis?: number;
  /** See NvmlCallMode (applies to amdsmi calls too): `'async'` keeps a hung driver off the event loop. @default 'async' */
  nvmlCallMode?: NvmlCallMode;
  /** nvidia-smi fallback when NVML cannot be used; `false` disables it. @default true */
  nvidiaSmi?: boolean | NvidiaSmiOptions;
  /** Retry period while no GPU source can be opened. @default 60000 */
  reopenMillis?: number;
}

export interface RegisterHostMetricsOptions {
  /** @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** system.cpu.*, system.memory.*, system.network.* @default true */
  host?: boolean;
  /** process.cpu.*, process.memory.usage @default true */
  process?: boolean;
  /** nodejs.eventloop.*, v8js.* @default true */
  runtime?: boolean;
  /** NVIDIA GPU metrics; `false` is `{ enabled: false }`. @default { enabled: true } */
  gpu?: boolean | GpuMetricsOptions;
  /** Sampling period of host, process and runtime utilization windows. @default 5000 */
  intervalMillis?: number;
  /** Linux network counters file, overridable for tests. @default '/proc/net/dev' */
  procNetDevPath?: string;
}

export interface HostMetricsHandle {
  /** Resolves once the first host sample and the first GPU sweep have completed (never rejects). */
  readonly ready: Promise<void>;
  /** Forces a sample of every enabled group now (shares any sweep already in flight). */
  sampleNow(): Promise<void>;
  /** The GPU source in use, if any. */
  gpuSource(): GpuSourceKind | undefined;
  /** Clears timers, removes callbacks, disables instrumentations, calls nvmlShutdown once. Idempotent. */
  stop(): Promise<void>;
  /** Alias of stop(). */
  shutdown(): Promise<void>;
}

const PKG = '@tokenmeter/host';
const VERSION = '0.1.0';

/** Adds host, process, Node runtime and GPU observable instruments to a MeterProvider. */
export function registerHostMetrics(options: RegisterHostMetricsOptions = {}): HostMetricsHandle {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter = provider.getMeter(PKG, VERSION);
  const diag = new DiagOnce(PKG);
  const interval = options.intervalMillis ?? 5000;
  const gpu: GpuMetricsOptions =
    typeof options.gpu === 'object' ? options.gpu : { enabled: options.gpu ?? true };
  // Built (and so validated) before anything is registered: a bad option leaves nothing behind.
  const openers = (gpu.enabled ?? true) ? gpuOpeners(gpu) : undefined;

  const host = options.host ?? true;
  const proc = options.process ?? true;
  let hostGroups: HostGroups | undefined;
  if (host || proc) {
    hostGroups = new HostGroups(
      meter,
      { host, process: proc, intervalMillis: interval, procNetDevPath: options.procNetDevPath },
      diag,
    );
  }
  const runtime = (options.runtime ?? true) ? new RuntimeGroup(meter, interval, diag) : undefined;

  let sampler: GpuSampler | undefined;
  let removeGpu: (() => void) | undefined;
  if (openers) {
    const s = new GpuSampler({
      openers,
      intervalMillis: gpu.intervalMillis ?? 5000,
      reopenMillis: gpu.reopenMillis,
      diag,
    });
    sampler = s;
    removeGpu = registerGpuInstruments(meter, () => s.latest(), diag);
  }

  const ready = Promise.all([hostGroups?.start(), sampler?.sweepOnce()]).then(
    () => {
      sampler?.start();
      runtime?.start();
    },
    () => {},
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      removeGpu?.();
      runtime?.stop();
      await Promise.all([hostGroups?.stop(), sampler?.stop()]);
    })().catch((err) => diag.warn('stop', `stop failed: ${(err as Error)?.message ?? err}`));
    return stopping;
  };

  return {
    ready,
    async sampleNow() {
      if (stopping) return;
      runtime?.tick();
      await Promise.all([hostGroups?.sample(), sampler?.sweepOnce()]);
    },
    gpuSource: () => sampler?.sourceKind,
    stop,
    shutdown: stop,
  };
}
