import koffi from 'koffi';
import type { GpuDeviceSample } from './gpu-types.js';
import { NVML, type NvmlLibrary } from './nvml-bindings.js';
import { describeNvmlError, NvmlReturn } from './nvml-errors.js';
import type { NvmlReader } from './nvml-reader.js';

/**
 * XIDs NVIDIA's XID catalog documents as actionable (hardware, driver or
 * memory faults, or an application fault seen at the GPU). Any other code, and
 * NVML's 999 ("unknown XID"), is counted as `_OTHER`: `error.type` stays
 * low-cardinality whatever a future driver emits.
 */
export const KNOWN_XIDS: ReadonlySet<number> = new Set([
  13, 31, 43, 45, 48, 61, 62, 63, 64, 68, 69, 74, 79, 92, 94, 95, 119, 120,
]);

/** The `error.type` value of an XID. */
export function xidErrorType(xid: number): string {
  return KNOWN_XIDS.has(xid) ? `xid_${xid}` : '_OTHER';
}

/** Events drained per sweep at most; the rest wait for the next sweep. */
const MAX_EVENTS_PER_SWEEP = 256;

/**
 * Counts XID critical errors through an NVML event set, without ever waiting:
 * each sweep drains what is queued with nvmlEventSetWait_v2(timeout 0), on
 * the sweep's own schedule and call mode (a koffi worker thread by default).
 * Counts start at 0 when a device is registered; events before that are not
 * recorded (NVML's own rule for nvmlDeviceRegisterEvents).
 */
export class NvmlXidEvents {
  private readonly registered = new Set<bigint>();
  private readonly uuidByHandle = new Map<bigint, string>();
  private readonly counts = new Map<string, Record<string, number>>();

  private constructor(
    private readonly set: unknown,
    /** Why XIDs are not counted, when they are not. */
    private readonly unavailable: string | undefined,
  ) {}

  static async create(lib: NvmlLibrary): Promise<NvmlXidEvents> {
    const f = lib.fns;
    if (!f.nvmlEventSetCreate || !f.nvmlDeviceRegisterEvents || !f.nvmlEventSetWait_v2) {
      return new NvmlXidEvents(undefined, 'xid');
    }
    const out: unknown[] = [null];
    const rc = await lib.call(f.nvmlEventSetCreate, out);
    return rc === NvmlReturn.SUCCESS
      ? new NvmlXidEvents(out[0], undefined)
      : new NvmlXidEvents(undefined, 'xid');
  }

  /** Registers a device for XID events the first time its handle is seen. */
  async register(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown): Promise<void> {
    if (this.unavailable) {
      sample.unsupported.push(this.unavailable);
      return;
    }
    const handle = koffi.address(dev);
    this.uuidByHandle.set(handle, sample.uuid);
    if (this.registered.has(handle)) return;
    const f = reader.lib.fns;
    const xid = NVML.EVENT_TYPE_XID_CRITICAL_ERROR;
    if (await reader.optional(sample, 'xid', f.nvmlDeviceRegisterEvents, dev, xid, this.set)) {
      this.registered.add(handle);
      if (!this.counts.has(sample.uuid)) this.counts.set(sample.uuid, {});
    }
  }

  /** Drains queued events (never waits) and counts them per GPU UUID and XID. */
  async poll(reader: NvmlReader): Promise<void> {
    const wait = reader.lib.fns.nvmlEventSetWait_v2;
    if (!wait || this.registered.size === 0) return;
    const data = Buffer.alloc(NVML.EVENT_DATA_SIZE);
    for (let i = 0; i < MAX_EVENTS_PER_SWEEP; i++) {
      const rc = await reader.call(wait, this.set, data, 0);
      if (rc === NvmlReturn.TIMEOUT) return; // nothing queued
      // A lost GPU is reported per device by the sweep; nothing more to say here.
      if (rc === NvmlReturn.GPU_IS_LOST) return;
      if (rc !== NvmlReturn.SUCCESS) {
        reader.warnings.push({
          key: 'xid-events',
          message: `XID events (NVML): nvmlEventSetWait_v2 failed: ${describeNvmlError(rc)}; XIDs not counted this sweep`,
        });
        return;
      }
      if ((data.readBigUInt64LE(8) & NVML.EVENT_TYPE_XID_CRITICAL_ERROR) === 0n) continue;
      const uuid = this.uuidByHandle.get(data.readBigUInt64LE(0));
      const counts = uuid === undefined ? undefined : this.counts.get(uuid);
      if (!counts) continue;
      const type = xidErrorType(Number(data.readBigUInt64LE(16)));
      counts[type] = (counts[type] ?? 0) + 1;
    }
  }

  /** Copies the device's counts onto its sample (only for registered devices). */
  attach(sample: GpuDeviceSample): void {
    const counts = this.counts.get(sample.uuid);
    if (counts) sample.xidErrors = { ...counts };
  }

  async close(lib: NvmlLibrary): Promise<void> {
    if (this.set && lib.fns.nvmlEventSetFree) await lib.call(lib.fns.nvmlEventSetFree, this.set);
  }
}
