import { type MeterProvider, metrics } from '@opentelemetry/api';
import { DiagOnce } from './diag-once.js';
import { registerGpuInstruments } from './gpu-instruments.js';
import { GpuSampler, type GpuSourceOpener } from './gpu-sampler.js';
import { HostGroups } from './host-groups.js';
import { type NvidiaSmiOptions, NvidiaSmiSource } from './nvidia-smi-source.js';
import { DEFAULT_NVML_LIBRARY, type NvmlCallMode } from './nvml-bindings.js';
import { NvmlSource } from './nvml-source.js';
import { RuntimeGroup } from './runtime-group.js';

/** Environment variable naming the NVML library; the `nvmlLibrary` option wins over it. */
export const NVML_LIBRARY_ENV = 'TOKENMETER_NVML_LIBRARY';

export interface GpuMetricsOptions {
  /** @default true */
  enabled?: boolean;
  /** Path or soname of NVML. @default process.env.TOKENMETER_NVML_LIBRARY ?? 'libnvidia-ml.so.1' */
  nvmlLibrary?: string;
  /** GPU sweep period; collections read the cached sweep. @default 5000 */
  intervalMillis?: number;
  /** See NvmlCallMode: `'async'` keeps a hung driver off the event loop. @default 'async' */
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
  gpuSource(): 'nvml' | 'nvidia-smi' | undefined;
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
  if (gpu.enabled ?? true) {
    const library = gpu.nvmlLibrary ?? process.env[NVML_LIBRARY_ENV] ?? DEFAULT_NVML_LIBRARY;
    const mode = gpu.nvmlCallMode ?? 'async';
    const openers: GpuSourceOpener[] = [
      { name: `NVML (${library})`, open: () => NvmlSource.open(library, mode) },
    ];
    if (gpu.nvidiaSmi !== false) {
      const smi = typeof gpu.nvidiaSmi === 'object' ? gpu.nvidiaSmi : {};
      openers.push({ name: 'nvidia-smi', open: () => NvidiaSmiSource.open(smi) });
    }
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
