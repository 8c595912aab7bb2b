import { AmdSmiLoadError, DEFAULT_AMDSMI_LIBRARIES } from './amdsmi-bindings.js';
import { AmdSmiSource } from './amdsmi-source.js';
import { HostMetricsConfigError } from './config-error.js';
import type { GpuSourceOpener } from './gpu-sampler.js';
import type { GpuSourceKind } from './gpu-types.js';
import { NvidiaSmiSource } from './nvidia-smi-source.js';
import { DEFAULT_NVML_LIBRARY } from './nvml-bindings.js';
import { NvmlSource } from './nvml-source.js';
import type { GpuMetricsOptions } from './register-host-metrics.js';

/** Environment variable naming the NVML library; the `nvmlLibrary` option wins over it. */
export const NVML_LIBRARY_ENV = 'TOKENMETER_NVML_LIBRARY';
/** Environment variable naming the amdsmi library; the `amdSmiLibrary` option wins over it. */
export const AMDSMI_LIBRARY_ENV = 'TOKENMETER_AMDSMI_LIBRARY';

/** The GPU sources tried, in order, when `gpu.sources` is not given. */
export const DEFAULT_GPU_SOURCES: readonly GpuSourceKind[] = ['nvml', 'amdsmi', 'nvidia-smi'];

function checkSources(sources: unknown): readonly GpuSourceKind[] {
  if (
    !Array.isArray(sources) ||
    sources.length === 0 ||
    sources.some((k) => !DEFAULT_GPU_SOURCES.includes(k)) ||
    new Set(sources).size !== sources.length
  ) {
    throw new HostMetricsConfigError(
      `gpu.sources must be a non-empty list of distinct ${DEFAULT_GPU_SOURCES.map((k) => `'${k}'`).join(', ')}; got ${JSON.stringify(sources)}`,
    );
  }
  return sources;
}

/** The source chain: NVML, amdsmi, nvidia-smi by default, each one opened only if the previous ones failed. */
export function gpuOpeners(
  gpu: GpuMetricsOptions,
  env: NodeJS.ProcessEnv = process.env,
  amdSmiDefaults: readonly string[] = DEFAULT_AMDSMI_LIBRARIES,
): GpuSourceOpener[] {
  const sources = gpu.sources === undefined ? DEFAULT_GPU_SOURCES : checkSources(gpu.sources);
  const mode = gpu.nvmlCallMode ?? 'async';
  const openers: GpuSourceOpener[] = [];
  for (const kind of sources) {
    if (kind === 'nvml') {
      const library = gpu.nvmlLibrary ?? env[NVML_LIBRARY_ENV] ?? DEFAULT_NVML_LIBRARY;
      openers.push({ name: `NVML (${library})`, open: () => NvmlSource.open(library, mode) });
    } else if (kind === 'amdsmi') {
      const configured = gpu.amdSmiLibrary ?? (env[AMDSMI_LIBRARY_ENV] || undefined);
      const paths = configured === undefined ? amdSmiDefaults : [configured];
      openers.push({
        name: `amdsmi (${paths.join(', ')})`,
        open: () => AmdSmiSource.open(paths, mode),
        // Most hosts have no ROCm: a missing amdsmi is only news when asked for.
        quietWhenMissing: configured === undefined && gpu.sources === undefined,
        isMissing: (err) => err instanceof AmdSmiLoadError && err.missing,
      });
    } else if (gpu.nvidiaSmi !== false) {
      const smi = typeof gpu.nvidiaSmi === 'object' ? gpu.nvidiaSmi : {};
      openers.push({ name: 'nvidia-smi', open: () => NvidiaSmiSource.open(smi), fallback: true });
    }
  }
  return openers;
}
