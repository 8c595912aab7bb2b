import {
  constants,
  type EventLoopUtilization,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import {
  type Attributes,
  type BatchObservableCallback,
  type Histogram,
  type Meter,
  ValueType,
} from '@opentelemetry/api';
import type { DiagOnce } from './diag-once.js';

const GC_KIND: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const DELAY_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
const MAX_RESOURCE_TYPES = 64;

/** `process.getActiveResourcesInfo()` counted by type (one entry per resource keeping the loop alive). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}
type DelayStat = (typeof DELAY_STATS)[number];

interface RuntimeSample {
  utilization: number;
  delay: Record<DelayStat, number> | undefined;
}

/**
 * Core semantic-conventions v1.44.0 bucket advice for `v8js.gc.duration`
 * (v1.42.0 replaced the earlier [0.01, 0.1, 1, 10], which put every minor GC
 * in one bucket).
 */
export const GC_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/**
 * Node runtime metrics of the current runtime conventions (core v1.44.0
 * model/nodejs and model/v8js: `v8js.memory.heap.space.size`, which v1.42.0
 * renamed from `v8js.memory.heap.limit`), windowed on our own interval: upstream resets the event-loop delay
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
  /** Attribute objects by heap space and resource type, built once (both sets are Node's own, small). */
  private readonly spaces = new Map<string, Attributes>();
  private readonly resourceTypes = new Map<string, Attributes>();

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
    const heap = (name: string, description: string) =>
      meter.createObservableUpDownCounter(name, { unit: 'By', description, valueType: ValueType.INT });
    const heapUsed = heap('v8js.memory.heap.used', 'Heap Memory size allocated.');
    const heapSize = heap(
      'v8js.memory.heap.space.size',
      'Total heap memory size pre-allocated for a heap space.',
    );
    const heapAvailable = heap('v8js.memory.heap.space.available_size', 'Heap space available size.');
    const heapPhysical = heap('v8js.memory.heap.space.physical_size', 'Committed size of a heap space.');
    const resources = meter.createObservableGauge('v8js.resource.active', {
      unit: '{resource}',
      description: 'Gauge of the active resources that are currently keeping the event loop alive.',
      valueType: ValueType.INT,
    });
    const gc: Histogram = meter.createHistogram('v8js.gc.duration', {
      unit: 's',
      description: 'Garbage collection duration.',
      advice: { explicitBucketBoundaries: [...GC_DURATION_BUCKETS] },
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
          const attrs = this.spaceAttrs(space.space_name);
          result.observe(heapUsed, space.space_used_size, attrs);
          result.observe(heapSize, space.space_size, attrs);
          result.observe(heapAvailable, space.space_available_size, attrs);
          result.observe(heapPhysical, space.physical_space_size, attrs);
        }
        for (const [type, n] of activeResources()) result.observe(resources, n, this.resourceAttrs(type));
      } catch (err) {
        this.diag.warn(
          'runtime:collect',
          `runtime metrics callback failed: ${(err as Error)?.message ?? err}`,
        );
      }
    };
    const observables = [
      elu,
      eluTime,
      ...Object.values(delays),
      heapUsed,
      heapSize,
      heapAvailable,
      heapPhysical,
      resources,
    ];
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

  private spaceAttrs(name: string): Attributes {
    let a = this.spaces.get(name);
    if (!a) {
      a = Object.freeze({ 'v8js.heap.space.name': name });
      this.spaces.set(name, a);
    }
    return a;
  }

  private resourceAttrs(type: string): Attributes {
    let a = this.resourceTypes.get(type);
    if (a) return a;
    a = Object.freeze({ 'v8js.resource.type': type });
    // Node's resource types are a fixed set; the cap only guards against a surprise.
    if (this.resourceTypes.size < MAX_RESOURCE_TYPES) this.resourceTypes.set(type, a);
    return a;
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
