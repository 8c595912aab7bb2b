import {
  constants,
  type EventLoopUtilization,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { BatchObservableCallback, Histogram, Meter } from '@opentelemetry/api';
import type { DiagOnce } from './diag-once.js';

const GC_KIND: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const DELAY_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
type DelayStat = (typeof DELAY_STATS)[number];

interface RuntimeSample {
  utilization: number;
  delay: Record<DelayStat, number> | undefined;
}

/**
 * Node runtime metrics with the names of `@opentelemetry/instrumentation-runtime-node`,
 * but windowed on our own interval: upstream resets the event-loop delay
 * histogram and the utilization baseline on every collection, so two readers
 * split (and a fast scraper starves) each other's window. Its disable() also
 * leaves the observable callbacks registered; here stop() removes them.
 */
export class RuntimeGroup {
  private readonly delay: ReturnType<typeof monitorEventLoopDelay>;
  private lastElu: EventLoopUtilization;
  private sample: RuntimeSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly gcObserver: PerformanceObserver;
  private readonly removeCallback: () => void;

  constructor(
    meter: Meter,
    private readonly intervalMillis: number,
    private readonly diag: DiagOnce,
  ) {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    this.lastElu = performance.eventLoopUtilization();

    const elu = meter.createObservableGauge('nodejs.eventloop.utilization', {
      unit: '1',
      description: 'Event loop utilization over the last sampling interval',
    });
    const eluTime = meter.createObservableCounter('nodejs.eventloop.time', {
      unit: 's',
      description: 'Cumulative event loop time by state',
    });
    const delays = Object.fromEntries(
      DELAY_STATS.map((s) => [
        s,
        meter.createObservableGauge(`nodejs.eventloop.delay.${s}`, {
          unit: 's',
          description: `Event loop delay ${s} over the last sampling interval`,
        }),
      ]),
    ) as Record<DelayStat, ReturnType<Meter['createObservableGauge']>>;
    const heapUsed = meter.createObservableUpDownCounter('v8js.memory.heap.used', {
      unit: 'By',
      description: 'V8 heap space used',
    });
    const heapLimit = meter.createObservableUpDownCounter('v8js.memory.heap.limit', {
      unit: 'By',
      description: 'V8 heap space size',
    });
    const gc: Histogram = meter.createHistogram('v8js.gc.duration', {
      unit: 's',
      description: 'Garbage collection duration',
      advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
    });

    const callback: BatchObservableCallback = (result) => {
      try {
        const s = this.sample;
        if (s) {
          result.observe(elu, s.utilization);
          if (s.delay) for (const k of DELAY_STATS) result.observe(delays[k], s.delay[k]);
        }
        const total = performance.eventLoopUtilization();
        result.observe(eluTime, total.active / 1000, { 'nodejs.eventloop.state': 'active' });
        result.observe(eluTime, total.idle / 1000, { 'nodejs.eventloop.state': 'idle' });
        for (const space of getHeapSpaceStatistics()) {
          const attrs = { 'v8js.heap.space.name': space.space_name };
          result.observe(heapUsed, space.space_used_size, attrs);
          result.observe(heapLimit, space.space_size, attrs);
        }
      } catch (err) {
        this.diag.warn(
          'runtime:collect',
          `runtime metrics callback failed: ${(err as Error)?.message ?? err}`,
        );
      }
    };
    const observables = [elu, eluTime, ...Object.values(delays), heapUsed, heapLimit];
    meter.addBatchObservableCallback(callback, observables);
    this.removeCallback = () => meter.removeBatchObservableCallback(callback, observables);

    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
        gc.record(entry.duration / 1000, { 'v8js.gc.type': GC_KIND[kind ?? -1] ?? 'unknown' });
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMillis);
    this.timer.unref();
  }

  /** Closes one window: utilization and delay stats since the previous tick. */
  tick(): void {
    try {
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, this.lastElu).utilization;
      this.lastElu = now;
      const h = this.delay;
      // Fewer than a handful of samples gives meaningless percentiles.
      const delay =
        h.count >= 5
          ? {
              min: h.min / 1e9,
              max: h.max / 1e9,
              mean: h.mean / 1e9,
              stddev: h.stddev / 1e9,
              p50: h.percentile(50) / 1e9,
              p90: h.percentile(90) / 1e9,
              p99: h.percentile(99) / 1e9,
            }
          : undefined;
      h.reset();
      this.sample = { utilization, delay };
    } catch (err) {
      this.diag.warn('runtime:sample', `runtime sampling failed: ${(err as Error)?.message ?? err}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.delay.disable();
    this.gcObserver.disconnect();
    this.removeCallback();
  }
}
