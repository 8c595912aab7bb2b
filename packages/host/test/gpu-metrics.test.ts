import { delimiter } from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import koffi from 'koffi';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HostMetricsHandle, registerHostMetrics } from '../src/index.js';
import { clearFakeEnv, collectAll, type Found, fakeNvmlPath, fakeSmiDir, testProvider } from './helpers.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const UUID0 = 'GPU-fa6e0000-0000-4000-8000-000000000000';

const logs: { level: string; msg: string }[] = [];
const logger: DiagLogger = {
  error: (msg) => logs.push({ level: 'error', msg }),
  warn: (msg) => logs.push({ level: 'warn', msg }),
  info: (msg) => logs.push({ level: 'info', msg }),
  debug: () => {},
  verbose: () => {},
};

let lib: string;
let hooks: { init: () => number; shutdown: () => number; reset: () => void };
const originalPath = process.env.PATH;
let handle: HostMetricsHandle | undefined;

beforeAll(() => {
  lib = fakeNvmlPath();
  const h = koffi.load(lib);
  hooks = {
    init: h.func('int fakeNvmlInitCalls()'),
    shutdown: h.func('int fakeNvmlShutdownCalls()'),
    reset: h.func('void fakeNvmlReset()'),
  };
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

function gpuOnly(gpu: Record<string, unknown> = {}) {
  const { provider, reader } = testProvider(AggregationTemporality.DELTA);
  handle = registerHostMetrics({
    meterProvider: provider,
    host: false,
    process: false,
    runtime: false,
    gpu: { nvmlLibrary: lib, intervalMillis: 60_000, nvidiaSmi: false, ...gpu },
  });
  return { reader, handle };
}

function point(m: Found | undefined, match: Record<string, unknown>) {
  return m?.points.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

const gpu0 = {
  'hw.id': UUID0,
  'hw.name': 'gpu0',
  'hw.vendor': 'NVIDIA',
  'hw.model': 'NVIDIA Fake H100 80GB HBM3',
  'hw.driver_version': '550.54.15',
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
    expect(temp?.unit).toBe('Cel');
    expect(point(temp, { 'hw.parent': UUID0 })?.attributes).toEqual({
      'hw.id': `${UUID0}:temperature.gpu`,
      'hw.type': 'temperature',
      'hw.parent': UUID0,
      'hw.name': 'gpu0 temperature',
      'hw.sensor_location': 'gpu',
    });
    expect(point(temp, { 'hw.parent': UUID0 })?.value).toBe(60);

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
      gpu: { nvmlLibrary: lib, intervalMillis: 60_000, nvidiaSmi: false },
    });
    await handle.ready;
    await collectAll(reader);
    await handle.sampleNow();
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);
  });

  it('drops a lost GPU with one diagnostic and recovers when it comes back', async () => {
    process.env.FAKE_NVML_LOST_DEVICE = '1';
    process.env.FAKE_NVML_LOST_AFTER = '1';
    const { reader, handle } = gpuOnly();
    await handle.ready;
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points).toHaveLength(2);

    await handle.sampleNow();
    await handle.sampleNow();
    await handle.sampleNow();
    const lost = await collectAll(reader);
    expect(lost.get('hw.gpu.memory.usage')?.points.map((p) => p.attributes['hw.id'])).toEqual([UUID0]);
    expect(lost.get('hw.power')?.points).toHaveLength(1);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/GPU 1 \(NVML\): .*NVML_ERROR_GPU_IS_LOST \(15\)/);

    delete process.env.FAKE_NVML_LOST_DEVICE;
    await handle.sampleNow();
    const back = await collectAll(reader);
    expect(back.get('hw.gpu.memory.usage')?.points).toHaveLength(2);
    expect(logs.some((l) => l.level === 'info' && /gpu1 reads again/.test(l.msg))).toBe(true);
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

describe('nvidia-smi fallback (fake script on PATH)', () => {
  it('is used when NVML cannot be loaded, parsing [N/A] and [Not Supported] as missing', async () => {
    process.env.PATH = `${fakeSmiDir()}${delimiter}${originalPath}`;
    process.env.FAKE_SMI_PID = String(process.pid);
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, nvidiaSmi: true });
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
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, nvidiaSmi: true });
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
    const { reader, handle } = gpuOnly({ nvmlLibrary: `${lib}.missing`, nvidiaSmi: true });
    await handle.ready;
    expect(handle.gpuSource()).toBeUndefined();
    expect((await collectAll(reader)).get('hw.gpu.memory.usage')?.points ?? []).toEqual([]);
    const warns = logs.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toMatch(/no GPU metrics: NVML .*cannot load.*; nvidia-smi: Command failed/);
  });
});
