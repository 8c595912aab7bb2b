import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AmdSmiLoadError } from '../src/amdsmi-bindings.js';
import { AmdSmiError } from '../src/amdsmi-errors.js';
import { AmdSmiSource } from '../src/amdsmi-source.js';
import { DiagOnce } from '../src/diag-once.js';
import { gpuOpeners } from '../src/gpu-openers.js';
import { GpuSampler } from '../src/gpu-sampler.js';
import {
  type GpuMetricsOptions,
  HostMetricsConfigError,
  type HostMetricsHandle,
  registerHostMetrics,
} from '../src/index.js';
import {
  amdSmiHooks,
  CACHE,
  clearFakeEnv,
  collectAll,
  type Found,
  fakeAmdSmiPath,
  fakeNvmlPath,
  nvmlHooks,
} from './helpers.js';

const GIB = 1024 ** 3;
const UUID0 = 'a5ff74a1-0000-1000-80ff-000000000000';
const UUID1 = 'a5ff74a1-0000-1000-80ff-000000000001';

const logs: { level: string; msg: string }[] = [];
const logger: DiagLogger = {
  error: (msg) => logs.push({ level: 'error', msg }),
  warn: (msg) => logs.push({ level: 'warn', msg }),
  info: (msg) => logs.push({ level: 'info', msg }),
  debug: (msg) => logs.push({ level: 'debug', msg }),
  verbose: () => {},
};

let amd: string;
let nvml: string;
let hooks: ReturnType<typeof amdSmiHooks>;
let handle: HostMetricsHandle | undefined;
/** A path inside the repository's gitignored cache where no library exists. */
let missing: string;

beforeAll(() => {
  amd = fakeAmdSmiPath();
  nvml = fakeNvmlPath();
  hooks = amdSmiHooks(amd);
  nvmlHooks(nvml).reset();
  missing = `${CACHE}/no-such-dir/libamd_smi.so`;
});
beforeEach(() => {
  clearFakeEnv();
  hooks.reset();
  nvmlHooks(nvml).reset();
  logs.length = 0;
  diag.setLogger(logger, { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true });
});
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
  clearFakeEnv();
  delete process.env.TOKENMETER_AMDSMI_LIBRARY;
  diag.disable();
});

function register(gpu: GpuMetricsOptions) {
  const reader = new TestMetricReader({ temporality: AggregationTemporality.DELTA });
  const cumulative = new TestMetricReader({ temporality: AggregationTemporality.CUMULATIVE });
  handle = registerHostMetrics({
    meterProvider: new MeterProvider({ readers: [reader, cumulative] }),
    host: false,
    process: false,
    runtime: false,
    gpu: { intervalMillis: 60_000, ...gpu },
  });
  return { reader, cumulative, handle };
}

function point(m: Found | undefined, match: Record<string, unknown>) {
  return m?.points.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

const warnings = () => logs.filter((l) => l.level === 'warn');

describe.each(['sync', 'async'] as const)('AmdSmiSource through koffi (%s calls)', (mode) => {
  it('reads utilization, VRAM, temperatures and energy in semconv units', async () => {
    const src = await AmdSmiSource.open([amd], mode);
    const { devices, problems, warnings } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(devices).toHaveLength(2);
    expect(devices[0]).toEqual({
      index: 0,
      uuid: UUID0,
      vendor: 'AMD',
      model: 'AMD Instinct MI300X (fake)', // amdsmi_asic_info_t.market_name
      driverVersion: '6.8.5', // amdsmi_driver_info_t.driver_version
      reportsStatus: true,
      utilization: { general: 0.55 }, // gfx_activity %, → fraction
      memory: { total: 192 * GIB, used: 20 * GIB },
      temperatures: { edge: 45, junction: 55, memory: 65 },
      energy: 122_000, // 8e9 counts × 15.25 µJ, 64-bit accumulator above 2^32
      clocks: {},
      unsupported: [],
    });
    expect(devices[1]?.memory.used).toBe(21 * GIB);
    expect(devices[1]?.energy).toBeCloseTo(122_000 + 15.25e-6, 9);
    expect(hooks.init()).toBe(1);
    expect(hooks.shutdown()).toBe(1);
  });

  it('omits unsupported values (no edge sensor, activity "not available") without a warning', async () => {
    process.env.FAKE_AMDSMI_EDGE_UNSUPPORTED = '1';
    process.env.FAKE_AMDSMI_ACTIVITY_NA = '1';
    const src = await AmdSmiSource.open([amd], mode);
    const { devices, warnings } = await src.sweep();
    await src.close();
    expect(warnings).toEqual([]);
    expect(devices[0]?.temperatures).toEqual({ junction: 55, memory: 65 });
    expect(devices[0]?.utilization).toEqual({});
    expect(devices[0]?.unsupported).toEqual(['utilization.general', 'temperature.edge']);
  });

  it('a GPU removed mid-run: a device problem, reported failed, back when it returns', async () => {
    process.env.FAKE_AMDSMI_LOST_DEVICE = '1';
    process.env.FAKE_AMDSMI_LOST_AFTER = '1';
    const src = await AmdSmiSource.open([amd], mode);
    await src.sweep();
    const lost = await src.sweep();
    expect(lost.problems).toEqual([
      {
        key: 'gpu1',
        message:
          'GPU 1 (amdsmi): amdsmi_get_gpu_device_uuid failed: AMDSMI_STATUS_NOT_FOUND (31): device not found (removed, or unbound from the amdgpu driver)',
      },
    ]);
    expect(lost.devices.map((d) => [d.uuid, d.failed])).toEqual([
      [UUID0, undefined],
      [UUID1, true],
    ]);
    expect(lost.devices[1]?.memory).toEqual({});
    delete process.env.FAKE_AMDSMI_LOST_DEVICE;
    const back = await src.sweep();
    expect(back.devices.map((d) => d.failed)).toEqual([undefined, undefined]);
    await src.close();
  });
});

it('rejects open with a described AmdSmiError when amdsmi_init fails, and never shuts down', async () => {
  process.env.FAKE_AMDSMI_INIT_RESULT = '34';
  const err = await AmdSmiSource.open([amd], 'async').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AmdSmiError);
  expect((err as Error).message).toBe(
    'amdsmi_init failed: AMDSMI_STATUS_DRIVER_NOT_LOADED (34): the amdgpu kernel driver is not loaded',
  );
  expect(hooks.shutdown()).toBe(0);
});

it('tries each candidate path and says which could not be loaded', async () => {
  const err = await AmdSmiSource.open([missing, `${missing}.2`], 'sync').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AmdSmiLoadError);
  expect((err as AmdSmiLoadError).missing).toBe(true);
  expect((err as Error).message).toMatch(
    /cannot load .*no-such-dir\/libamd_smi\.so: .*; cannot load .*\.2: /,
  );
  const src = await AmdSmiSource.open([missing, amd], 'sync');
  expect((await src.sweep()).devices).toHaveLength(2);
  await src.close();
});

it('a library without amdsmi symbols is a load error, not "missing"', async () => {
  const err = await AmdSmiSource.open([nvml], 'sync').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AmdSmiLoadError);
  expect((err as AmdSmiLoadError).missing).toBe(false);
  expect((err as Error).message).toMatch(/has no amdsmi_init/);
});

describe('AMD GPU metrics through a real SDK reader', () => {
  it('reports the same semconv instruments as NVIDIA, with hw.vendor = AMD', async () => {
    const { reader, cumulative, handle } = register({ sources: ['amdsmi'], amdSmiLibrary: amd });
    await handle.ready;
    expect(handle.gpuSource()).toBe('amdsmi');
    const m = await collectAll(reader);
    const gpu0 = {
      'hw.id': UUID0,
      'hw.name': 'gpu0',
      'hw.vendor': 'AMD',
      'hw.model': 'AMD Instinct MI300X (fake)',
      'hw.driver_version': '6.8.5',
    };
    expect(m.get('hw.gpu.utilization')).toMatchObject({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(point(m.get('hw.gpu.utilization'), { 'hw.id': UUID0 })?.attributes).toEqual({
      ...gpu0,
      'hw.gpu.task': 'general',
    });
    expect(point(m.get('hw.gpu.utilization'), { 'hw.id': UUID0 })?.value).toBe(0.55);
    expect(m.get('hw.gpu.memory.usage')).toMatchObject({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(point(m.get('hw.gpu.memory.usage'), gpu0)?.value).toBe(20 * GIB);
    expect(point(m.get('hw.gpu.memory.limit'), gpu0)?.value).toBe(192 * GIB);
    expect(point(m.get('hw.gpu.memory.utilization'), gpu0)?.value).toBe(20 / 192);
    expect(m.get('hw.energy')).toMatchObject({ unit: 'J', type: 'OBSERVABLE_COUNTER' });
    expect(point(m.get('hw.energy'), gpu0)?.attributes).toEqual({ ...gpu0, 'hw.type': 'gpu' });
    expect(point(m.get('hw.energy'), gpu0)?.value).toBe(122_000);
    const temp = m.get('hw.temperature');
    expect(
      temp?.points.filter((p) => p.attributes['hw.parent'] === UUID0).map((p) => [p.attributes, p.value]),
    ).toEqual([
      [
        {
          'hw.id': `${UUID0}:temperature.edge`,
          'hw.type': 'temperature',
          'hw.parent': UUID0,
          'hw.name': 'gpu0 edge temperature',
          'hw.sensor_location': 'edge',
        },
        45,
      ],
      [
        {
          'hw.id': `${UUID0}:temperature.junction`,
          'hw.type': 'temperature',
          'hw.parent': UUID0,
          'hw.name': 'gpu0 junction temperature',
          'hw.sensor_location': 'junction',
        },
        55,
      ],
      [
        {
          'hw.id': `${UUID0}:temperature.memory`,
          'hw.type': 'temperature',
          'hw.parent': UUID0,
          'hw.name': 'gpu0 memory temperature',
          'hw.sensor_location': 'memory',
        },
        65,
      ],
    ]);
    // Not read from amdsmi (struct layout not stable across ROCm releases, or no such call).
    for (const name of ['hw.power', 'hw.gpu.io', 'hw.errors', 'tokenmeter.gpu.clock.frequency']) {
      expect(m.get(name)?.points ?? [], name).toEqual([]);
    }
    const status = (await collectAll(cumulative)).get('hw.status');
    expect(point(status, { 'hw.id': UUID0, 'hw.state': 'ok' })?.attributes).toEqual({
      ...gpu0,
      'hw.type': 'gpu',
      'hw.state': 'ok',
    });
    expect(point(status, { 'hw.id': UUID0, 'hw.state': 'ok' })?.value).toBe(1);
    expect(warnings()).toEqual([]);
  });

  it('a denied metric (NO_PERM) is left out with one warning per metric; identity and status stay', async () => {
    process.env.FAKE_AMDSMI_METRIC_RESULT = '10';
    const { reader, handle } = register({ sources: ['amdsmi'], amdSmiLibrary: amd });
    await handle.ready;
    await handle.sampleNow();
    await handle.sampleNow();
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
    expect(m.get('hw.status')?.points.filter((p) => p.value === 1)).toHaveLength(2);
    const mem = warnings().filter((l) => /GPU 0 .*: memory not reported/.test(l.msg));
    expect(mem).toHaveLength(1);
    expect(mem[0]?.msg).toMatch(/AMDSMI_STATUS_NO_PERM \(10\): permission denied/);
    expect(new Set(warnings().map((l) => l.msg)).size).toBe(warnings().length);
  });

  it('a GPU removed mid-run: hw.status failed, one warning, nothing thrown', async () => {
    process.env.FAKE_AMDSMI_LOST_DEVICE = '0';
    process.env.FAKE_AMDSMI_LOST_AFTER = '1';
    const { cumulative, handle } = register({ sources: ['amdsmi'], amdSmiLibrary: amd });
    await handle.ready;
    await handle.sampleNow();
    await handle.sampleNow();
    const status = (await collectAll(cumulative)).get('hw.status');
    const of = (uuid: string) =>
      Object.fromEntries(
        status?.points
          .filter((p) => p.attributes['hw.id'] === uuid)
          .map((p) => [p.attributes['hw.state'], p.value]) ?? [],
      );
    expect(of(UUID0)).toEqual({ ok: 0, degraded: 0, failed: 1 });
    expect(of(UUID1)).toEqual({ ok: 1, degraded: 0, failed: 0 });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(/GPU 0 \(amdsmi\): .*AMDSMI_STATUS_NOT_FOUND \(31\)/);
  });

  it('stop() calls amdsmi_shut_down once', async () => {
    const { handle } = register({ sources: ['amdsmi'], amdSmiLibrary: amd });
    await handle.ready;
    await handle.stop();
    await handle.stop();
    expect(hooks.init()).toBe(1);
    expect(hooks.shutdown()).toBe(1);
  });
});

describe('source selection', () => {
  it('default order: NVML first when it opens; amdsmi is not even loaded', async () => {
    const { handle } = register({ nvmlLibrary: nvml, amdSmiLibrary: amd });
    await handle.ready;
    expect(handle.gpuSource()).toBe('nvml');
    expect(hooks.init()).toBe(0);
  });

  it('default order: without NVML, amdsmi is used, and that is no warning (not a fallback)', async () => {
    const { handle } = register({ nvmlLibrary: `${nvml}.missing`, amdSmiLibrary: amd, nvidiaSmi: false });
    await handle.ready;
    expect(handle.gpuSource()).toBe('amdsmi');
    expect(warnings()).toEqual([]);
    expect(
      logs.some((l) => l.level === 'info' && /GPU metrics via amdsmi .*NVML .*cannot load/.test(l.msg)),
    ).toBe(true);
  });

  it('amdsmi missing and not asked for: only a debug line, never part of a warning', async () => {
    // The default chain, with amdsmi's default candidates pointed inside the repository where none exists
    // (the real defaults, libamd_smi.so and /opt/rocm/lib, would depend on this machine).
    const openers = gpuOpeners({ nvmlLibrary: `${nvml}.missing`, nvidiaSmi: false }, {}, [
      missing,
      `${missing}.2`,
    ]);
    expect(openers.map((o) => o.name)).toEqual([
      `NVML (${nvml}.missing)`,
      `amdsmi (${missing}, ${missing}.2)`,
    ]);
    const sampler = new GpuSampler({ openers, diag: new DiagOnce() });
    await sampler.sweepOnce();
    await sampler.stop();
    const warns = warnings();
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/^@tokenmeter\/host: no GPU metrics: NVML \(.*\): cannot load/);
    expect(warns[0]?.msg).not.toMatch(/amdsmi/);
    const debug = logs.filter((l) => l.level === 'debug' && /amdsmi/.test(l.msg));
    expect(debug).toHaveLength(1);
    expect(debug[0]?.msg).toMatch(/amdsmi \(.*\) not used: cannot load .*no-such-dir/);
  });

  it('amdsmi asked for (sources, option or environment) but missing: one clear warning', async () => {
    const { handle } = register({ sources: ['amdsmi'], amdSmiLibrary: missing });
    await handle.ready;
    expect(handle.gpuSource()).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(
      /no GPU metrics: amdsmi \(.*no-such-dir\/libamd_smi\.so\): cannot load/,
    );
    await handle.stop();

    logs.length = 0;
    process.env.TOKENMETER_AMDSMI_LIBRARY = missing;
    const env = register({ nvmlLibrary: `${nvml}.missing`, nvidiaSmi: false });
    await env.handle.ready;
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(/amdsmi \(.*no-such-dir\/libamd_smi\.so\): cannot load/);
  });

  it('a configurable order: amdsmi before NVML', async () => {
    const { handle } = register({ sources: ['amdsmi', 'nvml'], nvmlLibrary: nvml, amdSmiLibrary: amd });
    await handle.ready;
    expect(handle.gpuSource()).toBe('amdsmi');
  });

  it('rejects an unknown or repeated source at registration with a typed error, registering nothing', async () => {
    const reader = new TestMetricReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const bad = (sources: unknown) => () =>
      registerHostMetrics({ meterProvider, gpu: { sources: sources as GpuMetricsOptions['sources'] } });
    expect(bad(['rocm-smi'])).toThrow(HostMetricsConfigError);
    expect(bad(['nvml', 'nvml'])).toThrow(
      /gpu\.sources must be a non-empty list of distinct 'nvml', 'amdsmi', 'nvidia-smi'; got \["nvml","nvml"\]/,
    );
    expect(bad([])).toThrow(HostMetricsConfigError);
    expect(bad('nvml')).toThrow(HostMetricsConfigError);
    // Thrown before anything was registered: no host, runtime or GPU callback left behind.
    expect((await collectAll(reader)).size).toBe(0);
  });
});
