import koffi from 'koffi';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NVML } from '../src/nvml-bindings.js';
import { NvmlError, NvmlReturn } from '../src/nvml-errors.js';
import { NvmlSource } from '../src/nvml-source.js';
import { clearFakeEnv, fakeNvmlPath, legacyNvmlPath } from './helpers.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

let lib: string;
let hooks: { init: () => number; shutdown: () => number; reset: () => void };

beforeAll(() => {
  lib = fakeNvmlPath();
  legacyNvmlPath();
  // Same path → same dlopen handle as the source under test: the counters are shared.
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
});
afterEach(clearFakeEnv);

describe.each(['sync', 'async'] as const)('NvmlSource through koffi (%s calls)', (mode) => {
  it('reads every field with correct struct layout and unit conversions', async () => {
    process.env.FAKE_NVML_PROC_PID = String(process.pid);
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(devices).toHaveLength(2);
    const [d0, d1] = devices;
    expect(d0).toEqual({
      index: 0,
      uuid: 'GPU-fa6e0000-0000-4000-8000-000000000000',
      model: 'NVIDIA Fake H100 80GB HBM3',
      driverVersion: '550.54.15',
      utilization: { general: 0.4, encoder: 0.07, decoder: 0.03 },
      // memory v2 (version 0x02000028 accepted): reserved is separate from used
      memory: { total: 80 * GIB, reserved: 512 * MIB, used: 10 * GIB },
      temperature: 60, // TemperatureV v1 (version 0x0100000C accepted)
      power: 250.5, // mW → W
      energy: 9876543.21, // mJ → J, 64-bit field above 2^32 mJ
      clocks: { graphics: 1410e6, sm: 1400e6, memory: 2619e6, video: 1275e6 }, // MHz → Hz
      processMemory: 2 * GIB, // only this pid's entry, not pid 999999
      unsupported: [],
    });
    expect(d1?.uuid).toBe('GPU-fa6e0000-0000-4000-8000-000000000001');
    expect(d1?.utilization.general).toBe(0.41);
    expect(d1?.memory.used).toBe(11 * GIB);
    expect(d1?.processMemory).toBe(2 * GIB + MIB);
    expect(hooks.init()).toBe(1);
    expect(hooks.shutdown()).toBe(1);
  });

  it('falls back to nvmlDeviceGetMemoryInfo / nvmlDeviceGetTemperature on older drivers', async () => {
    const src = await NvmlSource.open(legacyNvmlPath(), mode);
    const { devices } = await src.sweep();
    await src.close();
    expect(devices[0]?.memory).toEqual({ total: 80 * GIB, used: 10 * GIB + 512 * MIB });
    expect(devices[0]?.temperature).toBe(60);
    // Not listed by the fake: our pid has no context on the GPU → 0 bytes, not missing.
    expect(devices[0]?.processMemory).toBe(0);
  });

  it('keeps a MIG device but drops its utilization fields', async () => {
    process.env.FAKE_NVML_MIG_DEVICE = '1';
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(devices[1]?.utilization).toEqual({});
    expect(devices[1]?.unsupported).toEqual([
      'utilization.general',
      'utilization.encoder',
      'utilization.decoder',
    ]);
    expect(devices[1]?.memory.used).toBe(11 * GIB);
    expect(devices[0]?.utilization.general).toBe(0.4);
  });

  it('reports NO_PERMISSION and GPU_IS_LOST as device problems without failing the sweep', async () => {
    process.env.FAKE_NVML_NO_PERMISSION_DEVICE = '0';
    process.env.FAKE_NVML_LOST_DEVICE = '1';
    process.env.FAKE_NVML_LOST_AFTER = '1';
    const src = await NvmlSource.open(lib, mode);
    const first = await src.sweep();
    expect(first.devices.map((d) => d.index)).toEqual([1]);
    expect(first.problems[0]?.message).toContain('NVML_ERROR_NO_PERMISSION (4)');
    const second = await src.sweep();
    expect(second.devices).toEqual([]);
    expect(second.problems.map((p) => p.key)).toEqual(['gpu0', 'gpu1']);
    expect(second.problems[1]?.message).toContain('NVML_ERROR_GPU_IS_LOST (15)');
    delete process.env.FAKE_NVML_LOST_DEVICE;
    delete process.env.FAKE_NVML_NO_PERMISSION_DEVICE;
    const third = await src.sweep();
    expect(third.devices.map((d) => d.index)).toEqual([0, 1]);
    await src.close();
  });

  it('rejects open with a described NvmlError when init fails, and never calls shutdown', async () => {
    process.env.FAKE_NVML_INIT_RESULT = String(NvmlReturn.DRIVER_NOT_LOADED);
    const err = await NvmlSource.open(lib, mode).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NvmlError);
    expect((err as NvmlError).code).toBe(9);
    expect((err as Error).message).toMatch(
      /nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED \(9\): the NVIDIA kernel driver/,
    );
    expect(hooks.shutdown()).toBe(0);
  });
});

it('rejects a missing library with NvmlLoadError', async () => {
  await expect(NvmlSource.open(`${lib}.does-not-exist`, 'sync')).rejects.toThrow(/cannot load/);
});

it('declares the struct versions from nvml.h', () => {
  expect(NVML.MEMORY_V2_VERSION).toBe((2 << 24) | 40);
  expect(NVML.TEMPERATURE_V1_VERSION).toBe((1 << 24) | 12);
});

it('close() calls nvmlShutdown exactly once', async () => {
  const src = await NvmlSource.open(lib, 'async');
  await src.close();
  await src.close();
  expect(hooks.init()).toBe(1);
  expect(hooks.shutdown()).toBe(1);
});
