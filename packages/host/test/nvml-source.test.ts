import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NVML } from '../src/nvml-bindings.js';
import { NvmlError, NvmlReturn } from '../src/nvml-errors.js';
import { NvmlSource } from '../src/nvml-source.js';
import { clearFakeEnv, fakeNvmlPath, legacyNvmlPath, nvmlHooks } from './helpers.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const KIB = 1024;

let lib: string;
let legacy: string;
let hooks: ReturnType<typeof nvmlHooks>;
let legacyHooks: ReturnType<typeof nvmlHooks>;

beforeAll(() => {
  lib = fakeNvmlPath();
  legacy = legacyNvmlPath();
  hooks = nvmlHooks(lib);
  legacyHooks = nvmlHooks(legacy);
});
beforeEach(() => {
  clearFakeEnv();
  hooks.reset();
  legacyHooks.reset();
});
afterEach(clearFakeEnv);

/** The calls a consumer GPU (no ECC, infoROM, MIG, NVLink, HBM) answers NOT_SUPPORTED. */
const DEPTH_FIELDS = [
  'serial_number',
  'firmware_version',
  'pcie.replays',
  'ecc',
  'clock.throttle',
  'temperature.memory',
  'pcie.io',
  'nvlink.io',
  'mig',
  'xid',
];

describe.each(['sync', 'async'] as const)('NvmlSource through koffi (%s calls)', (mode) => {
  it('reads every field with correct struct layout and unit conversions', async () => {
    process.env.FAKE_NVML_PROC_PID = String(process.pid);
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems, warnings } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(devices).toHaveLength(2);
    const [d0, d1] = devices;
    expect(d0).toEqual({
      index: 0,
      uuid: 'GPU-fa6e0000-0000-4000-8000-000000000000',
      vendor: 'NVIDIA',
      model: 'NVIDIA Fake H100 80GB HBM3',
      driverVersion: '550.54.15',
      serialNumber: '1650000000000', // nvmlDeviceGetSerial
      firmwareVersion: '96.00.89.00.01', // nvmlDeviceGetVbiosVersion
      reportsStatus: true,
      utilization: { general: 0.4, encoder: 0.07, decoder: 0.03 },
      // memory v2 (version 0x02000028 accepted): reserved is separate from used
      memory: { total: 80 * GIB, reserved: 512 * MIB, used: 10 * GIB },
      // gpu: TemperatureV v1 (version 0x0100000C accepted); memory: field 82
      temperatures: { gpu: 60, memory: 70 },
      power: 250.5, // mW → W
      energy: 9876543.21, // mJ → J, 64-bit field above 2^32 mJ
      clocks: { graphics: 1410e6, sm: 1400e6, memory: 2619e6, video: 1275e6 }, // MHz → Hz
      processMemory: 2 * GIB, // only this pid's entry, not pid 999999
      pcieReplays: 7,
      eccErrors: { corrected: 3, uncorrected: 0 }, // volatile counts (aggregate ones would be +1000)
      clockEventReasons: 0x4,
      // fields 197/198, 64-bit values above 2^32
      pcieBytes: { transmit: 0x123456789, receive: 0x223456789 },
      // fields 138/139 with scopeId UINT_MAX (the fake rejects any other scope), KiB → By
      nvlinkBytes: { transmit: 5_000_000 * KIB, receive: 7_000_000 * KIB },
      xidErrors: {}, // registered, nothing raised yet
      unsupported: [],
    });
    expect(d1?.uuid).toBe('GPU-fa6e0000-0000-4000-8000-000000000001');
    expect(d1?.utilization.general).toBe(0.41);
    expect(d1?.memory.used).toBe(11 * GIB);
    expect(d1?.processMemory).toBe(2 * GIB + MIB);
    expect(d1?.eccErrors).toEqual({ corrected: 4, uncorrected: 0 });
    expect(d1?.pcieBytes).toEqual({ transmit: 0x123456789 + 1, receive: 0x223456789 + 1 });
    expect(hooks.init()).toBe(1);
    expect(hooks.shutdown()).toBe(1);
  });

  it('falls back to the older symbols, and to the 20 ms PCIe rate only in async mode', async () => {
    const src = await NvmlSource.open(legacy, mode);
    const { devices, warnings } = await src.sweep();
    await src.close();
    const [d0] = devices;
    expect(warnings).toEqual([]);
    expect(d0?.memory).toEqual({ total: 80 * GIB, used: 10 * GIB + 512 * MIB });
    expect(d0?.temperatures).toEqual({ gpu: 60 }); // no nvmlDeviceGetFieldValues: no memory sensor
    // Not listed by the fake: our pid has no context on the GPU → 0 bytes, not missing.
    expect(d0?.processMemory).toBe(0);
    // nvmlDeviceGetCurrentClocksThrottleReasons, the pre-rename symbol
    expect(d0?.clockEventReasons).toBe(0x4);
    expect(d0?.pcieBytes).toBeUndefined();
    expect(d0?.mig).toBeUndefined();
    if (mode === 'async') {
      expect(d0?.pcieThroughput).toEqual({ transmit: 1200 * KIB, receive: 3400 * KIB });
      expect(legacyHooks.pcieThroughputCalls()).toBe(4); // TX and RX for 2 GPUs
      expect(legacyHooks.pcieThroughputMainThreadCalls()).toBe(0);
      expect(d0?.unsupported).toEqual(['temperature.memory', 'pcie.io', 'nvlink.io', 'mig']);
    } else {
      // Each call samples for 20 ms: never on the event loop.
      expect(d0?.pcieThroughput).toBeUndefined();
      expect(legacyHooks.pcieThroughputCalls()).toBe(0);
      expect(d0?.unsupported).toEqual([
        'temperature.memory',
        'pcie.io',
        'nvlink.io',
        'pcie.throughput (sampled for 20 ms per call: async call mode only)',
        'mig',
      ]);
    }
  });

  it('keeps a MIG device, drops its utilization fields, and reads its MIG devices', async () => {
    process.env.FAKE_NVML_MIG_DEVICE = '1';
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems, warnings } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(devices[1]?.utilization).toEqual({});
    expect(devices[1]?.unsupported).toEqual([
      'utilization.general',
      'utilization.encoder',
      'utilization.decoder',
      'mig.utilization',
    ]);
    expect(devices[1]?.memory.used).toBe(11 * GIB);
    // Slots 0 and 2 of 7 hold MIG devices; slot 1 answers NOT_FOUND and is skipped.
    expect(devices[1]?.mig).toEqual([
      {
        uuid: 'MIG-fa6e0000-0000-4000-8000-000000000100',
        gpuInstanceId: 1,
        computeInstanceId: 0,
        memory: { used: 4 * GIB, total: 40 * GIB },
      },
      {
        uuid: 'MIG-fa6e0000-0000-4000-8000-000000000102',
        gpuInstanceId: 3,
        computeInstanceId: 0,
        memory: { used: 6 * GIB, total: 40 * GIB },
      },
    ]);
    expect(devices[0]?.utilization.general).toBe(0.4);
    expect(devices[0]?.mig).toBeUndefined(); // MIG mode off: one call, nothing more
  });

  it('omits every deeper metric of a consumer GPU (NOT_SUPPORTED) and keeps the rest', async () => {
    process.env.FAKE_NVML_DEPTH_RESULT = String(NvmlReturn.NOT_SUPPORTED);
    process.env.FAKE_NVML_DEPTH_DEVICE = '0';
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems, warnings } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    const [d0, d1] = devices;
    expect(d0?.unsupported).toEqual(
      mode === 'async'
        ? [...DEPTH_FIELDS.slice(0, 8), 'pcie.throughput', ...DEPTH_FIELDS.slice(8)]
        : [
            ...DEPTH_FIELDS.slice(0, 8),
            'pcie.throughput (sampled for 20 ms per call: async call mode only)',
            ...DEPTH_FIELDS.slice(8),
          ],
    );
    for (const key of [
      'serialNumber',
      'firmwareVersion',
      'pcieReplays',
      'eccErrors',
      'clockEventReasons',
      'pcieBytes',
      'pcieThroughput',
      'nvlinkBytes',
      'mig',
      'xidErrors',
    ] as const) {
      expect(d0?.[key], key).toBeUndefined();
    }
    expect(d0?.temperatures).toEqual({ gpu: 60 });
    expect(d0?.memory.used).toBe(10 * GIB);
    expect(d0?.power).toBe(250.5);
    expect(d1?.eccErrors).toEqual({ corrected: 4, uncorrected: 0 }); // the other GPU is untouched
  });

  it('omits a denied (NO_PERMISSION) metric with a warning, without dropping the device', async () => {
    process.env.FAKE_NVML_DEPTH_RESULT = String(NvmlReturn.NO_PERMISSION);
    process.env.FAKE_NVML_DEPTH_DEVICE = '1';
    const src = await NvmlSource.open(lib, mode);
    const { devices, problems, warnings } = await src.sweep();
    await src.close();
    expect(problems).toEqual([]);
    expect(devices.map((d) => d.index)).toEqual([0, 1]);
    expect(devices[1]?.eccErrors).toBeUndefined();
    expect(devices[1]?.memory.used).toBe(11 * GIB);
    const uuid1 = 'GPU-fa6e0000-0000-4000-8000-000000000001';
    expect(warnings?.map((w) => w.key)).toContain(`${uuid1}:ecc`);
    expect(warnings?.find((w) => w.key === `${uuid1}:ecc`)?.message).toBe(
      `GPU 1 (${uuid1}) via NVML: ecc not reported: NVML_ERROR_NO_PERMISSION (4): permission denied: the process may not query this GPU (check /dev/nvidia* permissions or the container device list)`,
    );
    expect(new Set(warnings?.map((w) => w.key)).size).toBe(warnings?.length);
  });

  it('reports NO_PERMISSION and GPU_IS_LOST as device problems; a lost GPU keeps only its identity', async () => {
    process.env.FAKE_NVML_NO_PERMISSION_DEVICE = '0';
    process.env.FAKE_NVML_LOST_DEVICE = '1';
    process.env.FAKE_NVML_LOST_AFTER = '1';
    const src = await NvmlSource.open(lib, mode);
    const first = await src.sweep();
    expect(first.devices.map((d) => d.index)).toEqual([1]);
    expect(first.problems[0]?.message).toContain('NVML_ERROR_NO_PERMISSION (4)');
    const second = await src.sweep();
    expect(second.problems.map((p) => p.key)).toEqual(['gpu0', 'gpu1']);
    expect(second.problems[1]?.message).toContain('NVML_ERROR_GPU_IS_LOST (15)');
    // GPU 1 was read before: it stays known, as failed, with no readings. GPU 0 never read: nothing.
    expect(second.devices).toEqual([
      {
        index: 1,
        uuid: 'GPU-fa6e0000-0000-4000-8000-000000000001',
        vendor: 'NVIDIA',
        model: 'NVIDIA Fake H100 80GB HBM3',
        driverVersion: '550.54.15',
        serialNumber: '1650000000001',
        firmwareVersion: '96.00.89.00.01',
        failed: true,
        reportsStatus: true,
        utilization: {},
        memory: {},
        temperatures: {},
        clocks: {},
        unsupported: [],
      },
    ]);
    delete process.env.FAKE_NVML_LOST_DEVICE;
    delete process.env.FAKE_NVML_NO_PERMISSION_DEVICE;
    const third = await src.sweep();
    expect(third.devices.map((d) => [d.index, d.failed])).toEqual([
      [0, undefined],
      [1, undefined],
    ]);
    await src.close();
  });

  it('counts XID events by well-known code, drained without ever waiting', async () => {
    const src = await NvmlSource.open(lib, mode);
    // Before the first sweep no device is registered: NVML does not record the event.
    expect(hooks.injectXid(0, 79)).toBe(1);
    await src.sweep();
    expect(hooks.injectXid(0, 79)).toBe(0);
    expect(hooks.injectXid(0, 79)).toBe(0);
    expect(hooks.injectXid(1, 48)).toBe(0);
    expect(hooks.injectXid(1, 4242)).toBe(0); // not in the catalogue
    expect(hooks.injectXid(1, 999)).toBe(0); // NVML's "unknown XID"
    const { devices } = await src.sweep();
    expect(devices[0]?.xidErrors).toEqual({ xid_79: 2 });
    expect(devices[1]?.xidErrors).toEqual({ xid_48: 1, _OTHER: 2 });
    const again = await src.sweep(); // cumulative: nothing new, same counts
    expect(again.devices[1]?.xidErrors).toEqual({ xid_48: 1, _OTHER: 2 });
    await src.close();
    expect(hooks.waitCalls()).toBeGreaterThanOrEqual(6 + 2); // 6 events, plus one empty poll per sweep
    expect(hooks.waitMaxTimeout()).toBe(0);
    if (mode === 'async') expect(hooks.waitMainThreadCalls()).toBe(0);
    expect(hooks.eventSetFrees()).toBe(1);
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

it('declares the struct versions and sizes from nvml.h', () => {
  expect(NVML.MEMORY_V2_VERSION).toBe((2 << 24) | 40);
  expect(NVML.TEMPERATURE_V1_VERSION).toBe((1 << 24) | 12);
  // nvmlFieldValue_t: 2 × uint32, 2 × int64, 2 × int32 (enum), 8-byte union
  expect(NVML.FIELD_VALUE_SIZE).toBe(4 + 4 + 8 + 8 + 4 + 4 + 8);
  // nvmlEventData_t: pointer, 2 × uint64, 2 × uint32
  expect(NVML.EVENT_DATA_SIZE).toBe(8 + 8 + 8 + 4 + 4);
});

it('close() frees the event set and calls nvmlShutdown exactly once', async () => {
  const src = await NvmlSource.open(lib, 'async');
  await src.close();
  await src.close();
  expect(hooks.init()).toBe(1);
  expect(hooks.shutdown()).toBe(1);
  expect(hooks.eventSetFrees()).toBe(1);
});
