import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider } from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HostMetricsHandle, registerHostMetrics } from '../src/index.js';
import {
  clearFakeEnv,
  collectAll,
  type Found,
  fakeNvmlPath,
  fakeSmiDir,
  nvmlHooks,
  PKG_ROOT,
  testProvider,
} from './helpers.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const KIB = 1024;
const UUID0 = 'GPU-fa6e0000-0000-4000-8000-000000000000';
const UUID1 = 'GPU-fa6e0000-0000-4000-8000-000000000001';

const logs: { level: string; msg: string }[] = [];
const logger: DiagLogger = {
  error: (msg) => logs.push({ level: 'error', msg }),
  warn: (msg) => logs.push({ level: 'warn', msg }),
  info: (msg) => logs.push({ level: 'info', msg }),
  debug: () => {},
  verbose: () => {},
};

let lib: string;
let hooks: ReturnType<typeof nvmlHooks>;
const originalPath = process.env.PATH;
let handle: HostMetricsHandle | undefined;

beforeAll(() => {
  lib = fakeNvmlPath();
  hooks = nvmlHooks(lib);
});
beforeEach(() => {
  clearFakeEnv();
  hooks.reset();
  logs.length = 0;
  diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
});
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
  clearFakeEnv();
  delete process.env.TOKENMETER_NVML_LIBRARY;
  process.env.PATH = originalPath;
  diag.disable();
});

/**
 * `reader` is DELTA, so a series that stops being observed disappears (see the
 * SDK caveat test); `cumulative` reads UpDownCounters such as hw.status as
 * levels, the way Prometheus and default OTLP export them (DELTA would give
 * their changes).
 */
function gpuOnly(gpu: Record<string, unknown> = {}) {
  const reader = new TestMetricReader({ temporality: AggregationTemporality.DELTA });
  const cumulative = new TestMetricReader({ temporality: AggregationTemporality.CUMULATIVE });
  const provider = new MeterProvider({ readers: [reader, cumulative] });
  handle = registerHostMetrics({
    meterProvider: provider,
    host: false,
    process: false,
    runtime: false,
    // NVML only unless a test says otherwise: hermetic even where ROCm or nvidia-smi are installed.
    gpu: { nvmlLibrary: lib, intervalMillis: 60_000, sources: ['nvml'], ...gpu },
  });
  return { reader, cumulative, handle };
}

function warnings() {
  return logs.filter((l) => l.level === 'warn');
}

function point(m: Found | undefined, match: Record<string, unknown>) {
  return m?.points.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

/** hw.status of one GPU as { state: 0 | 1 }. */
function states(m: Found | undefined, uuid: string) {
  return Object.fromEntries(
    m?.points.filter((p) => p.attributes['hw.id'] === uuid).map((p) => [p.attributes['hw.state'], p.value]) ??
      [],
  );
}

const gpu0 = {
  'hw.id': UUID0,
  'hw.name': 'gpu0',
  'hw.vendor': 'NVIDIA',
  'hw.model': 'NVIDIA Fake H100 80GB HBM3',
  'hw.driver_version': '550.54.15',
  'hw.serial_number': '1650000000000',
  'hw.firmware_version': '96.00.89.00.01',
};

describe('GPU metrics through NVML (fake libnvidia-ml via koffi) and a real SDK reader', () => {
  it('reports every instrument with exact values, units and attributes', async () => {
    process.env.FAKE_NVML_PROC_PID = String(process.pid);
    const { reader, handle } = gpuOnly();
    await handle.ready;
    expect(handle.gpuSource()).toBe('nvml');
    const m = await collectAll(reader);

    const util = m.get('hw.gpu.utilization');
    expect(util).toMatchObject({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(point(util, { 'hw.id': UUID0, 'hw.gpu.task': 'general' })?.attributes).toEqual({
      ...gpu0,
      'hw.gpu.task': 'general',
    });
    expect(point(util, { 'hw.id': UUID0, 'hw.gpu.task': 'general' })?.value).toBe(0.4);
    expect(point(util, { 'hw.id': UUID0, 'hw.gpu.task': 'encoder' })?.value).toBe(0.07);
    expect(point(util, { 'hw.id': UUID0, 'hw.gpu.task': 'decoder' })?.value).toBe(0.03);
    expect(util?.points).toHaveLength(6);

    expect(m.get('hw.gpu.memory.usage')).toMatchObject({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(point(m.get('hw.gpu.memory.usage'), gpu0)?.value).toBe(10 * GIB);
    expect(point(m.get('hw.gpu.memory.limit'), gpu0)?.value).toBe(80 * GIB);
    expect(m.get('hw.gpu.memory.utilization')?.unit).toBe('1');
    expect(point(m.get('hw.gpu.memory.utilization'), gpu0)?.value).toBe(10 / 80);

    expect(m.get('hw.power')).toMatchObject({ unit: 'W', type: 'OBSERVABLE_GAUGE' });
    expect(point(m.get('hw.power'), gpu0)?.attributes).toEqual({ ...gpu0, 'hw.type': 'gpu' });
    expect(point(m.get('hw.power'), gpu0)?.value).toBe(250.5);
    expect(m.get('hw.energy')).toMatchObject({ unit: 'J', type: 'OBSERVABLE_COUNTER' });
    expect(point(m.get('hw.energy'), { ...gpu0, 'hw.type': 'gpu' })?.value).toBe(9876543.21);

    const temp = m.get('hw.temperature');
    expect(temp).toMatchObject({ unit: 'Cel', type: 'OBSERVABLE_GAUGE' });
    expect(point(temp, { 'hw.parent': UUID0, 'hw.sensor_location': 'gpu' })?.attributes).toEqual({
      'hw.id': `${UUID0}:temperature.gpu`,
      'hw.type': 'temperature',
      'hw.parent': UUID0,
      'hw.name': 'gpu0 temperature',
      'hw.sensor_location': 'gpu',
    });
    expect(point(temp, { 'hw.parent': UUID0, 'hw.sensor_location': 'gpu' })?.value).toBe(60);
    // Memory sensor (NVML field 82): its own component, parented by the GPU.
    expect(point(temp, { 'hw.parent': UUID0, 'hw.sensor_location': 'memory' })?.attributes).toEqual({
      'hw.id': `${UUID0}:temperature.memory`,
      'hw.type': 'temperature',
      'hw.parent': UUID0,
      'hw.name': 'gpu0 memory temperature',
      'hw.sensor_location': 'memory',
    });
    expect(point(temp, { 'hw.parent': UUID0, 'hw.sensor_location': 'memory' })?.value).toBe(70);
    expect(temp?.points).toHaveLength(4);

    const io = m.get('hw.gpu.io');
    expect(io).toMatchObject({ unit: 'By', type: 'OBSERVABLE_COUNTER' });
    expect(point(io, { ...gpu0, 'network.io.direction': 'transmit' })?.attributes).toEqual({
      ...gpu0,
      'network.io.direction': 'transmit',
    });
    expect(point(io, { ...gpu0, 'network.io.direction': 'transmit' })?.value).toBe(0x123456789);
    expect(point(io, { ...gpu0, 'network.io.direction': 'receive' })?.value).toBe(0x223456789);
    expect(io?.points).toHaveLength(4);

    const errors = m.get('hw.errors');
    expect(errors).toMatchObject({ unit: '{error}', type: 'OBSERVABLE_COUNTER' });
    expect(point(errors, { ...gpu0, 'error.type': 'corrected' })?.attributes).toEqual({
      ...gpu0,
      'hw.type': 'gpu',
      'error.type': 'corrected',
    });
    expect(point(errors, { ...gpu0, 'error.type': 'corrected' })?.value).toBe(3);
    expect(point(errors, { ...gpu0, 'error.type': 'uncorrected' })?.value).toBe(0);
    expect(point(errors, { 'hw.id': UUID1, 'error.type': 'corrected' })?.value).toBe(4);

    const status = m.get('hw.status');
    expect(status).toMatchObject({ unit: '1', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(point(status, { ...gpu0, 'hw.state': 'ok' })?.attributes).toEqual({
      ...gpu0,
      'hw.type': 'gpu',
      'hw.state': 'ok',
    });
    expect(states(status, UUID0)).toEqual({ ok: 1, degraded: 0, failed: 0 });
    expect(states(status, UUID1)).toEqual({ ok: 1, degraded: 0, failed: 0 });

    const replays = m.get('tokenmeter.gpu.pcie.replays');
    expect(replays).toMatchObject({ unit: '{replay}', type: 'OBSERVABLE_COUNTER' });
    expect(point(replays, gpu0)?.attributes).toEqual(gpu0);
    expect(point(replays, gpu0)?.value).toBe(7);

    const nvlink = m.get('tokenmeter.gpu.nvlink.io');
    expect(nvlink).toMatchObject({ unit: 'By', type: 'OBSERVABLE_COUNTER' });
    expect(point(nvlink, { ...gpu0, 'network.io.direction': 'transmit' })?.value).toBe(5_000_000 * KIB);
    expect(point(nvlink, { ...gpu0, 'network.io.direction': 'receive' })?.value).toBe(7_000_000 * KIB);

    const throttle = m.get('tokenmeter.gpu.clock.throttle.active');
    expect(throttle).toMatchObject({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    const reasons = Object.fromEntries(
      throttle?.points
        .filter((p) => p.attributes['hw.id'] === UUID0)
        .map((p) => [p.attributes['tokenmeter.gpu.clock.throttle.reason'], p.value]) ?? [],
    );
    expect(reasons).toEqual({
      gpu_idle: 0,
      applications_clocks_setting: 0,
      sw_power_cap: 1, // the fake's 0x4
      hw_slowdown: 0,
      sync_boost: 0,
      sw_thermal_slowdown: 0,
      hw_thermal_slowdown: 0,
      hw_power_brake_slowdown: 0,
      display_clock_setting: 0,
    });
    expect(
      point(throttle, { ...gpu0, 'tokenmeter.gpu.clock.throttle.reason': 'sw_power_cap' })?.attributes,
    ).toEqual({
      ...gpu0,
      'tokenmeter.gpu.clock.throttle.reason': 'sw_power_cap',
    });
    // Present only when the PCIe byte counters are missing; XIDs only once one has happened; MIG only in MIG mode.
    expect(m.get('tokenmeter.gpu.pcie.throughput')?.points ?? []).toEqual([]);
    expect(m.get('tokenmeter.gpu.xid.errors')?.points ?? []).toEqual([]);
    expect(m.get('tokenmeter.gpu.mig.memory.usage')?.points ?? []).toEqual([]);

    const clock = m.get('tokenmeter.gpu.clock.frequency');
    expect(clock?.unit).toBe('Hz');
    expect(point(clock, { 'hw.id': UUID0, 'tokenmeter.gpu.clock.type': 'sm' })?.value).toBe(1.4e9);
    expect(point(clock, { 'hw.id': UUID0, 'tokenmeter.gpu.clock.type': 'memory' })?.value).toBe(2.619e9);

    const proc = m.get('tokenmeter.gpu.process.memory.usage');
    expect(proc).toMatchObject({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(point(proc, gpu0)?.value).toBe(2 * GIB);
    expect(point(proc, { 'hw.id': 'GPU-fa6e0000-0000-4000-8000-000000000001' })?.value).toBe(2 * GIB + MIB);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('reads the library path from TOKENMETER_NVML_LIBRARY', async () => {
    process.env.TOKENMETER_NVML_LIBRARY = lib;
    const { provider, reader } = testProvider();
    handle = registerHostMetrics({ meterProvider: provider, host: false, process: false, runtime: false });
    await handle.ready;
    expect(handle.gpuSource()).toBe('nvml');
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
  });

  it('two readers see the same cached sweep (no extra NVML work per collection)', async () => {
    const { reader, handle } = gpuOnly();
    await handle.ready;
    const a = await collectAll(reader);
    const b = await collectAll(reader);
    expect(point(b.get('hw.power'), gpu0)?.value).toBe(point(a.get('hw.power'), gpu0)?.value);
    expect(hooks.init()).toBe(1);
  });

  it('SDK caveat: a CUMULATIVE reader keeps exporting the last value of a vanished series', async () => {
    // Documented in the README: our callback stops observing the device, the SDK still repeats it.
    process.env.FAKE_NVML_LOST_DEVICE = '1';
    process.env.FAKE_NVML_LOST_AFTER = '1';
    const { provider, reader } = testProvider(AggregationTemporality.CUMULATIVE);
    handle = registerHostMetrics({
      meterProvider: provider,
      host: false,
      process: false,
      runtime: false,
      gpu: { nvmlLibrary: lib, intervalMillis: 60_000, sources: ['nvml'] },
    });
    await handle.ready;
    await collectAll(reader);
    await handle.sampleNow();
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
  });

  it('a GPU vanishing mid-run: readings stop, hw.status turns failed, one diagnostic, recovery', async () => {
    process.env.FAKE_NVML_LOST_DEVICE = '1';
    process.env.FAKE_NVML_LOST_AFTER = '1';
    const { reader, cumulative, handle } = gpuOnly();
    await handle.ready;
    const before = await collectAll(reader);
    expect(before.get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    // A first DELTA point equals the level. (Collecting `cumulative` here would stash this observation
    // for `reader` too: the SDK shares asynchronous observations between readers.)
    expect(states(before.get('hw.status'), UUID1)).toEqual({ ok: 1, degraded: 0, failed: 0 });
    expect(hooks.injectXid(1, 79)).toBe(0); // registered for XIDs before it went

    await handle.sampleNow();
    await handle.sampleNow();
    await handle.sampleNow();
    const lost = await collectAll(reader);
    expect(lost.get('hw.gpu.memory.usage')?.points.map((p) => p.attributes['hw.id'])).toEqual([UUID0]);
    expect(lost.get('hw.power')?.points).toHaveLength(1);
    expect(lost.get('hw.errors')?.points.every((p) => p.attributes['hw.id'] === UUID0)).toBe(true);
    // The lost GPU keeps its identity (read while it was there) and says failed.
    const status = (await collectAll(cumulative)).get('hw.status');
    expect(states(status, UUID1)).toEqual({ ok: 0, degraded: 0, failed: 1 });
    expect(point(status, { 'hw.id': UUID1, 'hw.state': 'failed' })?.attributes).toEqual({
      ...gpu0,
      'hw.id': UUID1,
      'hw.name': 'gpu1',
      'hw.serial_number': '1650000000001',
      'hw.type': 'gpu',
      'hw.state': 'failed',
    });
    expect(states(status, UUID0)).toEqual({ ok: 1, degraded: 0, failed: 0 });
    const warns = warnings();
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/GPU 1 \(NVML\): .*NVML_ERROR_GPU_IS_LOST \(15\)/);

    delete process.env.FAKE_NVML_LOST_DEVICE;
    await handle.sampleNow();
    const back = await collectAll(reader);
    expect(back.get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    expect(states((await collectAll(cumulative)).get('hw.status'), UUID1)).toEqual({
      ok: 1,
      degraded: 0,
      failed: 0,
    });
    expect(logs.some((l) => l.level === 'info' && /gpu1 reads again/.test(l.msg))).toBe(true);
    expect(warnings()).toHaveLength(1);
  });

  it('a consumer GPU (NOT_SUPPORTED everywhere deeper): those metrics are absent, said once at info level', async () => {
    process.env.FAKE_NVML_DEPTH_RESULT = '3';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    await handle.sampleNow();
    await handle.sampleNow();
    const m = await collectAll(reader);
    for (const name of [
      'hw.gpu.io',
      'hw.errors',
      'tokenmeter.gpu.pcie.replays',
      'tokenmeter.gpu.pcie.throughput',
      'tokenmeter.gpu.nvlink.io',
      'tokenmeter.gpu.clock.throttle.active',
      'tokenmeter.gpu.xid.errors',
      'tokenmeter.gpu.mig.memory.usage',
    ]) {
      expect(m.get(name)?.points ?? [], name).toEqual([]);
    }
    expect(m.get('hw.temperature')?.points.map((p) => p.attributes['hw.sensor_location'])).toEqual([
      'gpu',
      'gpu',
    ]);
    // Without serial or VBIOS the attributes are simply absent, never empty strings.
    expect(point(m.get('hw.gpu.memory.usage'), { 'hw.id': UUID0 })?.attributes).toEqual({
      'hw.id': UUID0,
      'hw.name': 'gpu0',
      'hw.vendor': 'NVIDIA',
      'hw.model': 'NVIDIA Fake H100 80GB HBM3',
      'hw.driver_version': '550.54.15',
    });
    expect(states(m.get('hw.status'), UUID0)).toEqual({ ok: 1, degraded: 0, failed: 0 });
    expect(warnings()).toEqual([]);
    const eccInfos = logs.filter((l) => l.level === 'info' && /GPU 0 .*: ecc not supported/.test(l.msg));
    expect(eccInfos).toHaveLength(1);
    expect(logs.filter((l) => l.level === 'info' && /GPU 1 .*: xid not supported/.test(l.msg))).toHaveLength(
      1,
    );
  });

  it('a denied deeper metric (NO_PERMISSION) is left out with one warning; the GPU still reports', async () => {
    process.env.FAKE_NVML_DEPTH_RESULT = '4';
    process.env.FAKE_NVML_DEPTH_DEVICE = '0';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    await handle.sampleNow();
    await handle.sampleNow();
    const m = await collectAll(reader);
    expect(m.get('hw.errors')?.points.map((p) => p.attributes['hw.id'])).toEqual([UUID1, UUID1]);
    expect(m.get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    const ecc = warnings().filter((l) => /GPU 0 .*: ecc not reported/.test(l.msg));
    expect(ecc).toHaveLength(1);
    expect(ecc[0]?.msg).toMatch(/NVML_ERROR_NO_PERMISSION \(4\)/);
    // One warning per left-out metric, none repeated across the three sweeps.
    expect(new Set(warnings().map((l) => l.msg)).size).toBe(warnings().length);

    delete process.env.FAKE_NVML_DEPTH_RESULT;
    await handle.sampleNow();
    expect(
      point((await collectAll(reader)).get('hw.errors'), { 'hw.id': UUID0, 'error.type': 'corrected' })
        ?.value,
    ).toBe(3);
    expect(logs.some((l) => l.level === 'info' && new RegExp(`${UUID0}:ecc reads again`).test(l.msg))).toBe(
      true,
    );
  });

  it('hw.status is degraded during a thermal slowdown, or after an uncorrected ECC error', async () => {
    process.env.FAKE_NVML_CLOCK_REASONS = '0x40'; // HW thermal slowdown
    const { cumulative, handle } = gpuOnly();
    await handle.ready;
    let m = await collectAll(cumulative);
    expect(states(m.get('hw.status'), UUID0)).toEqual({ ok: 0, degraded: 1, failed: 0 });
    expect(
      point(m.get('tokenmeter.gpu.clock.throttle.active'), {
        'hw.id': UUID0,
        'tokenmeter.gpu.clock.throttle.reason': 'hw_thermal_slowdown',
      })?.value,
    ).toBe(1);

    process.env.FAKE_NVML_CLOCK_REASONS = '0x5'; // idle + SW power cap: normal operation
    process.env.FAKE_NVML_ECC_UNCORRECTED = '2';
    await handle.sampleNow();
    m = await collectAll(cumulative);
    expect(states(m.get('hw.status'), UUID0)).toEqual({ ok: 0, degraded: 1, failed: 0 });
    expect(point(m.get('hw.errors'), { 'hw.id': UUID0, 'error.type': 'uncorrected' })?.value).toBe(2);

    delete process.env.FAKE_NVML_ECC_UNCORRECTED;
    await handle.sampleNow();
    expect(states((await collectAll(cumulative)).get('hw.status'), UUID0)).toEqual({
      ok: 1,
      degraded: 0,
      failed: 0,
    });
  });

  it('MIG devices: memory per GPU instance, with instance ids and the GPU as parent', async () => {
    process.env.FAKE_NVML_MIG_DEVICE = '1';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    const m = await collectAll(reader);
    const usage = m.get('tokenmeter.gpu.mig.memory.usage');
    expect(usage).toMatchObject({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(usage?.points.map((p) => [p.attributes, p.value])).toEqual([
      [
        {
          'hw.id': 'MIG-fa6e0000-0000-4000-8000-000000000100',
          'hw.name': 'gpu1/gi1/ci0',
          'hw.parent': UUID1,
          'hw.vendor': 'NVIDIA',
          'tokenmeter.gpu.mig.gpu_instance.id': 1,
          'tokenmeter.gpu.mig.compute_instance.id': 0,
        },
        4 * GIB,
      ],
      [
        {
          'hw.id': 'MIG-fa6e0000-0000-4000-8000-000000000102',
          'hw.name': 'gpu1/gi3/ci0',
          'hw.parent': UUID1,
          'hw.vendor': 'NVIDIA',
          'tokenmeter.gpu.mig.gpu_instance.id': 3,
          'tokenmeter.gpu.mig.compute_instance.id': 0,
        },
        6 * GIB,
      ],
    ]);
    const limit = m.get('tokenmeter.gpu.mig.memory.limit');
    expect(limit).toMatchObject({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(limit?.points.map((p) => p.value)).toEqual([40 * GIB, 40 * GIB]);
    // NVML has no per-instance utilization: absent, said once.
    expect(m.get('tokenmeter.gpu.mig.utilization')?.points ?? []).toEqual([]);
    expect(logs.filter((l) => /mig.utilization not supported/.test(l.msg))).toHaveLength(1);
    // The parent GPU's own series are unchanged: no MIG series among hw.gpu.* (no double counting).
    expect(m.get('hw.gpu.memory.usage')?.points.map((p) => p.attributes['hw.id'])).toEqual([UUID0, UUID1]);
    expect(warnings()).toEqual([]);
  });

  it.each(['sync', 'async'] as const)(
    'XID errors counted per GPU and code through a poll that never waits (%s calls)',
    async (nvmlCallMode) => {
      const { reader, handle } = gpuOnly({ nvmlCallMode });
      await handle.ready;
      expect(hooks.injectXid(0, 79)).toBe(0);
      expect(hooks.injectXid(0, 31)).toBe(0);
      expect(hooks.injectXid(0, 31)).toBe(0);
      expect(hooks.injectXid(1, 12345)).toBe(0);
      await handle.sampleNow();
      const xid = (await collectAll(reader)).get('tokenmeter.gpu.xid.errors');
      expect(xid).toMatchObject({ unit: '{error}', type: 'OBSERVABLE_COUNTER' });
      expect(point(xid, { 'hw.id': UUID0, 'error.type': 'xid_79' })?.attributes).toEqual({
        ...gpu0,
        'error.type': 'xid_79',
      });
      expect(point(xid, { 'hw.id': UUID0, 'error.type': 'xid_79' })?.value).toBe(1);
      expect(point(xid, { 'hw.id': UUID0, 'error.type': 'xid_31' })?.value).toBe(2);
      expect(point(xid, { 'hw.id': UUID1, 'error.type': '_OTHER' })?.value).toBe(1);
      expect(xid?.points).toHaveLength(3);
      // Never a blocking wait: every nvmlEventSetWait_v2 had timeout 0, and in async mode none ran on the main thread.
      expect(hooks.waitCalls()).toBeGreaterThan(0);
      expect(hooks.waitMaxTimeout()).toBe(0);
      if (nvmlCallMode === 'async') expect(hooks.waitMainThreadCalls()).toBe(0);
      else expect(hooks.waitMainThreadCalls()).toBe(hooks.waitCalls());
      expect(warnings()).toEqual([]);
    },
  );

  it('PCIe throughput (20 ms rate) only without byte counters, and only off the event loop', async () => {
    process.env.FAKE_NVML_PCIE_BYTES_UNSUPPORTED = '1';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.io')?.points ?? []).toEqual([]);
    const rate = m.get('tokenmeter.gpu.pcie.throughput');
    expect(rate).toMatchObject({ unit: 'By/s', type: 'OBSERVABLE_GAUGE' });
    expect(point(rate, { ...gpu0, 'network.io.direction': 'transmit' })?.value).toBe(1200 * KIB);
    expect(point(rate, { ...gpu0, 'network.io.direction': 'receive' })?.value).toBe(3400 * KIB);
    expect(hooks.pcieThroughputCalls()).toBe(4);
    expect(hooks.pcieThroughputMainThreadCalls()).toBe(0);
    await handle.stop();

    hooks.reset();
    const sync = gpuOnly({ nvmlCallMode: 'sync' });
    await sync.handle.ready;
    expect((await collectAll(sync.reader)).get('tokenmeter.gpu.pcie.throughput')?.points ?? []).toEqual([]);
    expect(hooks.pcieThroughputCalls()).toBe(0);
  });

  it('reports a MIG device without utilization and says so once at info level', async () => {
    process.env.FAKE_NVML_MIG_DEVICE = '0';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    await handle.sampleNow();
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.utilization')?.points.every((p) => p.attributes['hw.id'] !== UUID0)).toBe(true);
    expect(point(m.get('hw.gpu.memory.usage'), gpu0)?.value).toBe(10 * GIB);
    const infos = logs.filter((l) => /utilization.general not supported/.test(l.msg));
    expect(infos).toHaveLength(1);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('reports only the encoder as missing when encoder utilization is NOT_SUPPORTED', async () => {
    process.env.FAKE_NVML_ENCODER_UNSUPPORTED = '1';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    const tasks = (await collectAll(reader))
      .get('hw.gpu.utilization')
      ?.points.filter((p) => p.attributes['hw.id'] === UUID0)
      .map((p) => p.attributes['hw.gpu.task']);
    expect(tasks).toEqual(['general', 'decoder']);
  });

  it('explains a permission problem once and keeps the other GPU', async () => {
    process.env.FAKE_NVML_NO_PERMISSION_DEVICE = '0';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    await handle.sampleNow();
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.memory.usage')?.points).toHaveLength(1);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/NVML_ERROR_NO_PERMISSION \(4\): permission denied/);
  });

  it('with no driver and no nvidia-smi: nothing reported, one diagnostic, recovers on reopen', async () => {
    process.env.FAKE_NVML_INIT_RESULT = '9';
    const { reader, handle } = gpuOnly({ reopenMillis: 0 });
    await handle.ready;
    await handle.sampleNow();
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(
      /no GPU metrics: NVML \(.*\): nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED/,
    );

    delete process.env.FAKE_NVML_INIT_RESULT;
    await handle.sampleNow(); // reopens
    await handle.sampleNow();
    expect(handle.gpuSource()).toBe('nvml');
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    expect(logs.some((l) => /GPU metrics available again via NVML/.test(l.msg))).toBe(true);
  });

  it('stop() calls nvmlShutdown once and removes the callbacks', async () => {
    const { reader, handle } = gpuOnly();
    await handle.ready;
    await handle.stop();
    await handle.shutdown();
    expect(hooks.init()).toBe(1);
    expect(hooks.shutdown()).toBe(1);
    const m = await collectAll(reader);
    expect(m.get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
  });

  it('a slow driver (async mode) never blocks a collection', async () => {
    const { reader, handle } = gpuOnly();
    await handle.ready;
    process.env.FAKE_NVML_SLEEP_US = '20000'; // 20 ms per call → ~1 s sweep
    const sweep = handle.sampleNow();
    const t0 = performance.now();
    const m = await collectAll(reader);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(m.get('hw.gpu.memory.usage')?.points).toHaveLength(2); // previous cached sweep
    delete process.env.FAKE_NVML_SLEEP_US;
    await sweep;
  });
});

describe('README', () => {
  it('documents every GPU instrument the code creates, with its kind and unit', async () => {
    process.env.FAKE_NVML_MIG_DEVICE = '1';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    hooks.injectXid(0, 79);
    await handle.sampleNow();
    const found = [...(await collectAll(reader)).values()];
    process.env.FAKE_NVML_PCIE_BYTES_UNSUPPORTED = '1'; // the throughput gauge appears only then
    await handle.sampleNow();
    found.push(...(await collectAll(reader)).values());
    const readme = readFileSync(join(PKG_ROOT, 'README.md'), 'utf8').split('\n');
    const kinds: Record<string, string> = {
      OBSERVABLE_GAUGE: 'ObservableGauge',
      OBSERVABLE_COUNTER: 'ObservableCounter',
      OBSERVABLE_UP_DOWN_COUNTER: 'ObservableUpDownCounter',
    };
    const documented = found.filter((f) => f.points.length > 0);
    expect(documented.length).toBeGreaterThanOrEqual(18);
    for (const f of documented) {
      const row = readme.find((line) => line.startsWith(`| \`${f.name}\``));
      expect(row, `${f.name} has no README row`).toBeDefined();
      expect(row, f.name).toContain(`| ${kinds[f.type]} `);
      expect(row, f.name).toContain(`| \`${f.unit}\` `);
    }
  });
});

describe('nvidia-smi fallback (fake script on PATH)', () => {
  it('is used when NVML cannot be loaded, parsing [N/A] and [Not Supported] as missing', async () => {
    process.env.PATH = `${fakeSmiDir()}${delimiter}${originalPath}`;
    process.env.FAKE_SMI_PID = String(process.pid);
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, sources: ['nvml', 'nvidia-smi'] });
    await handle.ready;
    expect(handle.gpuSource()).toBe('nvidia-smi');
    const m = await collectAll(reader);
    const uuid0 = 'GPU-5a1e0000-0000-4000-8000-000000000000';
    const uuid1 = 'GPU-5a1e0000-0000-4000-8000-000000000001';
    expect(point(m.get('hw.gpu.memory.usage'), { 'hw.id': uuid0 })?.value).toBe(10240 * MIB);
    expect(point(m.get('hw.gpu.memory.limit'), { 'hw.id': uuid0 })?.value).toBe(40960 * MIB);
    expect(point(m.get('hw.gpu.utilization'), { 'hw.id': uuid0 })?.value).toBe(0.45);
    expect(point(m.get('hw.power'), { 'hw.id': uuid0 })?.value).toBe(250.5);
    expect(point(m.get('hw.temperature'), { 'hw.parent': uuid0 })?.value).toBe(61);
    expect(
      point(m.get('tokenmeter.gpu.clock.frequency'), { 'hw.id': uuid0, 'tokenmeter.gpu.clock.type': 'sm' })
        ?.value,
    ).toBe(1.41e9);
    expect(point(m.get('tokenmeter.gpu.process.memory.usage'), { 'hw.id': uuid0 })?.value).toBe(2048 * MIB);
    expect(point(m.get('tokenmeter.gpu.process.memory.usage'), { 'hw.id': uuid1 })?.value).toBe(0);
    // GPU 1's [N/A] fields are absent, not zero.
    expect(point(m.get('hw.gpu.utilization'), { 'hw.id': uuid1 })).toBeUndefined();
    expect(point(m.get('hw.power'), { 'hw.id': uuid1 })).toBeUndefined();
    expect(point(m.get('hw.temperature'), { 'hw.parent': uuid1 })).toBeUndefined();
    expect(point(m.get('hw.gpu.memory.usage'), { 'hw.id': uuid1 })?.value).toBe(1024 * MIB);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/cannot load .*using nvidia-smi instead/);
  });

  it('pauses, with one diagnostic, when nvidia-smi starts failing mid-run, and resumes when it works again', async () => {
    process.env.PATH = `${fakeSmiDir()}${delimiter}${originalPath}`;
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, sources: ['nvml', 'nvidia-smi'] });
    await handle.ready;
    expect(handle.gpuSource()).toBe('nvidia-smi');
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    await handle.sampleNow(); // joins the sweep start() began, so the next one spawns anew

    process.env.FAKE_SMI_FAIL = '1'; // the driver went away under a running app
    await handle.sampleNow();
    expect(handle.gpuSource()).toBeUndefined();
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
    const paused = logs.filter((l) => l.level === 'warn' && /GPU source nvidia-smi failed/.test(l.msg));
    expect(paused).toHaveLength(1);
    expect(paused[0]?.msg).toMatch(/Command failed.*GPU metrics paused, retrying/s);

    delete process.env.FAKE_SMI_FAIL;
    await handle.sampleNow();
    expect(handle.gpuSource()).toBe('nvidia-smi');
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
  });

  it('reports nothing, with one diagnostic, when nvidia-smi fails too', async () => {
    process.env.PATH = `${fakeSmiDir()}${delimiter}${originalPath}`;
    process.env.FAKE_SMI_FAIL = '1';
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, sources: ['nvml', 'nvidia-smi'] });
    await handle.ready;
    expect(handle.gpuSource()).toBeUndefined();
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/no GPU metrics: NVML .*cannot load.*; nvidia-smi: Command failed/);
  });
});
