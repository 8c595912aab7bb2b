import { DiagOnce } from './diag-once.js';
import type { GpuDeviceSample, GpuSource } from './gpu-types.js';

/** A way to reach the GPUs, tried in order (NVML, amdsmi, then nvidia-smi). */
export interface GpuSourceOpener {
  name: string;
  open(): Promise<GpuSource>;
  /**
   * A stand-in for a better source (nvidia-smi for NVML): being used is
   * warned about. Sources for other vendors are not fallbacks.
   */
  fallback?: boolean;
  /**
   * True when the source was not asked for explicitly: if its library is not
   * installed (`isMissing` says so), that is only a debug line, not part of
   * any warning. Other failures (library present, init failing) are reported.
   */
  quietWhenMissing?: boolean;
  isMissing?: (err: unknown) => boolean;
}

export interface GpuSamplerOptions {
  openers: GpuSourceOpener[];
  /** Sweep period. @default 5000 */
  intervalMillis?: number;
  /** Wait before trying to open a source again after none could be opened. @default 60000 */
  reopenMillis?: number;
  /** A cached sweep older than this is not reported (stalled driver). @default 3 × intervalMillis */
  staleAfterMillis?: number;
  /** Upper bound on waiting for an in-flight sweep during stop(). @default 2000 */
  stopTimeoutMillis?: number;
  diag?: DiagOnce;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Sweeps every GPU on its own timer and caches the result, so collection only
 * reads memory: a slow driver or a slow nvidia-smi can delay the cache, never
 * a scrape, and two readers see the same sample instead of each forcing one.
 */
export class GpuSampler {
  private readonly openers: GpuSourceOpener[];
  private readonly interval: number;
  private readonly reopen: number;
  private readonly staleAfter: number;
  private readonly stopTimeout: number;
  private readonly diag: DiagOnce;
  private source: GpuSource | undefined;
  private nextOpenAt = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private snapshot: { at: number; devices: GpuDeviceSample[] } | undefined;

  constructor(options: GpuSamplerOptions) {
    this.openers = options.openers;
    this.interval = options.intervalMillis ?? 5000;
    this.reopen = options.reopenMillis ?? 60_000;
    this.staleAfter = options.staleAfterMillis ?? 3 * this.interval;
    this.stopTimeout = options.stopTimeoutMillis ?? 2000;
    this.diag = options.diag ?? new DiagOnce();
  }

  get sourceKind(): GpuSource['kind'] | undefined {
    return this.source?.kind;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    void this.sweepOnce();
    this.timer = setInterval(() => void this.sweepOnce(), this.interval);
    // Metrics must never keep the process alive.
    this.timer.unref();
  }

  /** Devices of the latest fresh sweep; empty when none, stale, or stopped. */
  latest(now = Date.now()): GpuDeviceSample[] {
    const snap = this.snapshot;
    if (!snap || this.stopped) return [];
    if (now - snap.at > this.staleAfter) {
      this.diag.warn(
        'gpu:stale',
        `GPU sweep has not completed for ${now - snap.at} ms (driver hung?); GPU metrics withheld until it does`,
      );
      return [];
    }
    return snap.devices;
  }

  /** One sweep; concurrent callers share the sweep already in flight. Never rejects. */
  sweepOnce(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.doSweep()
      .catch((err) => this.diag.warn('gpu:internal', `GPU sweep failed unexpectedly: ${message(err)}`))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async doSweep(): Promise<void> {
    if (this.stopped) return;
    if (!this.source) {
      if (Date.now() < this.nextOpenAt) return;
      this.source = await this.openFirst();
      if (this.stopped) {
        await this.source?.close();
        this.source = undefined;
        return;
      }
      if (!this.source) {
        this.nextOpenAt = Date.now() + this.reopen;
        this.snapshot = { at: Date.now(), devices: [] };
        return;
      }
    }
    const source = this.source;
    try {
      const result = await source.sweep();
      if (this.stopped) return;
      const problemKeys = new Set<string>();
      for (const p of result.problems) {
        const key = `gpu:device:${p.key}`;
        problemKeys.add(key);
        this.diag.warn(key, `${p.message}; this GPU reports nothing until it reads again`);
      }
      this.diag.clearExcept(
        'gpu:device:',
        problemKeys,
        (k) => `${k.slice('gpu:device:'.length)} reads again`,
      );
      const warningKeys = new Set<string>();
      for (const w of result.warnings ?? []) {
        const key = `gpu:warning:${w.key}`;
        warningKeys.add(key);
        this.diag.warn(key, w.message);
      }
      this.diag.clearExcept(
        'gpu:warning:',
        warningKeys,
        (k) => `${k.slice('gpu:warning:'.length)} reads again`,
      );
      for (const d of result.devices) {
        for (const field of d.unsupported) {
          this.diag.info(
            `gpu:unsupported:${d.uuid}:${field}`,
            `GPU ${d.index} (${d.uuid}) via ${source.kind}: ${field} not supported (GPU, driver or MIG mode); not reported`,
          );
        }
      }
      this.diag.clear('gpu:stale', 'GPU sweeps complete again');
      this.snapshot = { at: Date.now(), devices: result.devices };
    } catch (err) {
      // Source-wide failure (driver unloaded, nvidia-smi vanished): drop the
      // source and reopen on the next tick so the chain can pick a working one.
      this.diag.warn(
        'gpu:source',
        `GPU source ${source.kind} failed: ${message(err)}; GPU metrics paused, retrying`,
      );
      this.source = undefined;
      this.snapshot = { at: Date.now(), devices: [] };
      await source.close().catch(() => {});
    }
  }

  private async openFirst(): Promise<GpuSource | undefined> {
    const failures: string[] = [];
    for (const opener of this.openers) {
      try {
        const source = await opener.open();
        if (failures.length > 0 && opener.fallback) {
          this.diag.warn('gpu:fallback', `${failures.join('; ')}; using ${opener.name} instead`);
        } else {
          if (failures.length > 0)
            this.diag.info(
              `gpu:using:${opener.name}`,
              `GPU metrics via ${opener.name} (${failures.join('; ')})`,
            );
          this.diag.clear('gpu:fallback', `GPU metrics read via ${opener.name} again`);
        }
        this.diag.clear('gpu:source', `GPU metrics available again via ${opener.name}`);
        return source;
      } catch (err) {
        if (opener.quietWhenMissing && opener.isMissing?.(err)) {
          this.diag.debug(`gpu:missing:${opener.name}`, `${opener.name} not used: ${message(err)}`);
          continue;
        }
        failures.push(`${opener.name}: ${message(err)}`);
      }
    }
    const why = failures.length > 0 ? failures.join('; ') : 'no GPU source available';
    this.diag.warn('gpu:source', `no GPU metrics: ${why}; retrying every ${this.reopen} ms`);
    return undefined;
  }

  /** Clears the timer, waits (bounded) for the in-flight sweep, closes the source once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.inFlight, new Promise((r) => (t = setTimeout(r, this.stopTimeout)))]);
      clearTimeout(t);
    }
    const source = this.source;
    this.source = undefined;
    await source?.close().catch(() => {});
  }
}
