import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AggregationTemporality,
  type DataPoint,
  MeterProvider,
  type MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import koffi from 'koffi';

const here = dirname(fileURLToPath(import.meta.url));
export const PKG_ROOT = join(here, '..');
/** Gitignored (`.cache/`), inside the repo: tests never touch files outside it. */
export const CACHE = join(PKG_ROOT, '.cache', 'test');
export const FIXTURES = join(here, 'fixtures');

function compile(
  variant: string,
  defines: string[],
  source = 'fake-nvml.c',
  soname = 'libnvidia-ml.so.1',
): string {
  const src = join(FIXTURES, source);
  // Keyed by source hash so an edited fake is rebuilt, never silently reused.
  const hash = createHash('sha256')
    .update(readFileSync(src))
    .update(defines.join(' '))
    .digest('hex')
    .slice(0, 12);
  const out = join(CACHE, `${variant}-${hash}`, soname);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  // Parallel test files may race: build to a private name, rename atomically.
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync('cc', ['-shared', '-fPIC', '-O1', ...defines, '-o', tmp, src]);
  renameSync(tmp, out);
  return out;
}

/** Fake libnvidia-ml.so.1 with every bound symbol. */
export function fakeNvmlPath(): string {
  return compile('current', []);
}

/**
 * Fake library of an older driver: without nvmlDeviceGetMemoryInfo_v2,
 * nvmlDeviceGetTemperatureV, nvmlDeviceGetCurrentClocksEventReasons,
 * nvmlDeviceGetFieldValues and the MIG calls.
 */
export function legacyNvmlPath(): string {
  return compile('legacy', ['-DFAKE_NVML_LEGACY']);
}

/** Fake libamd_smi.so with every symbol the amdsmi source binds. */
export function fakeAmdSmiPath(): string {
  return compile('amdsmi', [], 'fake-amdsmi.c', 'libamd_smi.so');
}

/** Directory holding an executable `nvidia-smi`, to prepend to PATH. */
export function fakeSmiDir(): string {
  const dir = join(CACHE, 'bin');
  const target = join(dir, 'nvidia-smi');
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    copyFileSync(join(FIXTURES, 'fake-nvidia-smi.sh'), tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, target);
  }
  return dir;
}

/** The fake NVML's test hooks (same path → same dlopen handle as the source under test: shared state). */
export function nvmlHooks(path: string) {
  const h = koffi.load(path);
  return {
    init: h.func('int fakeNvmlInitCalls()') as () => number,
    shutdown: h.func('int fakeNvmlShutdownCalls()') as () => number,
    reset: h.func('void fakeNvmlReset()') as () => void,
    /** 0 queued, 1 dropped (device not registered for XID events), -1 queue full. */
    injectXid: h.func('int fakeNvmlInjectXid(uint32_t device, uint64_t xid)') as (
      d: number,
      x: number,
    ) => number,
    waitCalls: h.func('int fakeNvmlEventWaitCalls()') as () => number,
    waitMainThreadCalls: h.func('int fakeNvmlEventWaitMainThreadCalls()') as () => number,
    waitMaxTimeout: h.func('uint32_t fakeNvmlEventWaitMaxTimeout()') as () => number,
    eventSetFrees: h.func('int fakeNvmlEventSetFrees()') as () => number,
    pcieThroughputCalls: h.func('int fakeNvmlPcieThroughputCalls()') as () => number,
    pcieThroughputMainThreadCalls: h.func('int fakeNvmlPcieThroughputMainThreadCalls()') as () => number,
  };
}

/** The fake amdsmi's test hooks. */
export function amdSmiHooks(path: string) {
  const h = koffi.load(path);
  return {
    init: h.func('int fakeAmdSmiInitCalls()') as () => number,
    shutdown: h.func('int fakeAmdSmiShutdownCalls()') as () => number,
    reset: h.func('void fakeAmdSmiReset()') as () => void,
  };
}

export const FAKE_ENV = [
  'FAKE_NVML_GPU_COUNT',
  'FAKE_NVML_INIT_RESULT',
  'FAKE_NVML_LOST_DEVICE',
  'FAKE_NVML_LOST_AFTER',
  'FAKE_NVML_NO_PERMISSION_DEVICE',
  'FAKE_NVML_ENCODER_UNSUPPORTED',
  'FAKE_NVML_MIG_DEVICE',
  'FAKE_NVML_PROC_PID',
  'FAKE_NVML_SLEEP_US',
  'FAKE_NVML_DEPTH_RESULT',
  'FAKE_NVML_DEPTH_DEVICE',
  'FAKE_NVML_PCIE_BYTES_UNSUPPORTED',
  'FAKE_NVML_ECC_CORRECTED',
  'FAKE_NVML_ECC_UNCORRECTED',
  'FAKE_NVML_CLOCK_REASONS',
  'FAKE_AMDSMI_GPU_COUNT',
  'FAKE_AMDSMI_INIT_RESULT',
  'FAKE_AMDSMI_LOST_DEVICE',
  'FAKE_AMDSMI_LOST_AFTER',
  'FAKE_AMDSMI_METRIC_RESULT',
  'FAKE_AMDSMI_EDGE_UNSUPPORTED',
  'FAKE_AMDSMI_ACTIVITY_NA',
  'FAKE_SMI_FAIL',
  'FAKE_SMI_PID',
];

export function clearFakeEnv(): void {
  for (const k of FAKE_ENV) delete process.env[k];
}

/**
 * DELTA where a test needs a series to disappear: with CUMULATIVE the SDK
 * (3.1 TemporalMetricProcessor.merge) re-exports the last value of an
 * observable series that stopped being observed.
 */
export function testProvider(temporality?: AggregationTemporality): {
  provider: MeterProvider;
  reader: TestMetricReader;
} {
  const reader = new TestMetricReader({ temporality });
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

export interface Found {
  name: string;
  unit: string;
  type: string;
  points: DataPoint<number>[];
}

export async function collectAll(reader: MetricReader): Promise<Map<string, Found>> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors, 'collect errors');
  return flatten(resourceMetrics);
}

export function flatten(rm: ResourceMetrics): Map<string, Found> {
  const out = new Map<string, Found>();
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) {
      out.set(m.descriptor.name, {
        name: m.descriptor.name,
        unit: m.descriptor.unit,
        // Not in the MetricDescriptor type, present at runtime (the InstrumentDescriptor).
        type: (m.descriptor as { type?: string }).type ?? '',
        points: m.dataPoints as DataPoint<number>[],
      });
    }
  }
  return out;
}
