import { totalmem } from 'node:os';
import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DiagOnce } from './diag-once.js';
import { type NetDevCounters, readProcNetDev } from './proc-net-dev.js';

export interface HostGroupsOptions {
  /** system.cpu.*, system.memory.*, system.network.* */
  host: boolean;
  /** process.cpu.*, process.memory.usage */
  process: boolean;
  /** Sampling period shared by utilization windows. */
  intervalMillis: number;
  /** Overridable for tests. @default '/proc/net/dev' */
  procNetDevPath?: string;
}

/** Private reader: the only one that ever collects from the OTel host-metrics instrumentation. */
class SamplingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Kind = 'counter' | 'updown' | 'gauge';
interface Mapping {
  kind: Kind;
  unit: string;
  description: string;
}

/**
 * Output shape per upstream metric: semconv instrument kinds and units, which
 * upstream leaves out (no units on memory, memory as Gauges).
 */
const MAPPINGS: Record<string, Mapping> = {
  'system.cpu.time': { kind: 'counter', unit: 's', description: 'CPU time per logical CPU and mode' },
  'system.cpu.utilization': {
    kind: 'gauge',
    unit: '1',
    description: 'CPU utilization per logical CPU and mode',
  },
  'system.memory.usage': { kind: 'updown', unit: 'By', description: 'Memory in use/free' },
  'system.memory.utilization': { kind: 'gauge', unit: '1', description: 'Fraction of memory in use/free' },
  'process.cpu.time': { kind: 'counter', unit: 's', description: 'Process CPU time' },
  'process.cpu.utilization': {
    kind: 'gauge',
    unit: '1',
    description: 'Process CPU utilization over all CPUs',
  },
  'process.memory.usage': { kind: 'updown', unit: 'By', description: 'Process resident set size' },
};

function fixAttributes(attrs: Attributes): Attributes {
  const out: Attributes = { ...attrs };
  // semconv types cpu.logical_number as int; upstream emits a string.
  if (typeof out['cpu.logical_number'] === 'string')
    out['cpu.logical_number'] = Number(out['cpu.logical_number']);
  return out;
}

function create(meter: Meter, name: string, m: Mapping): Observable {
  const opts = { unit: m.unit, description: m.description };
  if (m.kind === 'counter') return meter.createObservableCounter(name, opts);
  if (m.kind === 'updown') return meter.createObservableUpDownCounter(name, opts);
  return meter.createObservableGauge(name, opts);
}

/**
 * Host and process metrics from `@opentelemetry/instrumentation-host-metrics`,
 * re-timed: upstream computes utilization "since the previous collection by
 * any reader", so an OTLP reader and a scraper split each other's window. We
 * drive it from a private MeterProvider on our own interval and replay the
 * cached points to the user's meter; network comes from /proc/net/dev.
 */
export class HostGroups {
  private readonly provider: MeterProvider;
  private readonly reader = new SamplingReader();
  private readonly instrumentation: HostMetricsInstrumentation;
  private cache = new Map<string, DataPoint<number>[]>();
  private net: NetDevCounters[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private removeCallback: (() => void) | undefined;

  constructor(
    meter: Meter,
    private readonly options: HostGroupsOptions,
    private readonly diag: DiagOnce,
  ) {
    const groups: string[] = [];
    if (options.host) groups.push('system.cpu', 'system.memory');
    if (options.process) groups.push('process.cpu', 'process.memory');
    this.provider = new MeterProvider({ readers: [this.reader] });
    // enabled:false first: the constructor would otherwise register on the global provider.
    this.instrumentation = new HostMetricsInstrumentation({ enabled: false, metricGroups: groups });
    this.instrumentation.setMeterProvider(this.provider);
    this.instrumentation.enable();

    const instruments = new Map<string, Observable>();
    for (const [name, m] of Object.entries(MAPPINGS)) {
      const group = name.split('.').slice(0, 2).join('.');
      if (groups.includes(group)) instruments.set(name, create(meter, name, m));
    }
    const memLimit = options.host
      ? meter.createObservableUpDownCounter('system.memory.limit', {
          unit: 'By',
          description: 'Total memory',
        })
      : undefined;
    const netIo = options.host
      ? meter.createObservableCounter('system.network.io', { unit: 'By', description: 'Bytes sent/received' })
      : undefined;
    const netErrors = options.host
      ? meter.createObservableCounter('system.network.errors', { unit: '{error}', description: 'Errors' })
      : undefined;
    const netDropped = options.host
      ? meter.createObservableCounter('system.network.packet.dropped', {
          unit: '{packet}',
          description: 'Dropped packets',
        })
      : undefined;

    const callback: BatchObservableCallback = (result) => {
      try {
        for (const [name, instrument] of instruments) {
          for (const p of this.cache.get(name) ?? [])
            result.observe(instrument, p.value, fixAttributes(p.attributes));
        }
        if (memLimit) result.observe(memLimit, totalmem());
        for (const n of this.net) {
          const rx = { 'network.interface.name': n.iface, 'network.io.direction': 'receive' };
          const tx = { 'network.interface.name': n.iface, 'network.io.direction': 'transmit' };
          const pairs = [
            [netIo, n.rxBytes, n.txBytes],
            [netErrors, n.rxErrors, n.txErrors],
            [netDropped, n.rxDropped, n.txDropped],
          ] as const;
          for (const [instrument, rxValue, txValue] of pairs) {
            if (!instrument) continue;
            result.observe(instrument, rxValue, rx);
            result.observe(instrument, txValue, tx);
          }
        }
      } catch (err) {
        this.diag.warn('host:collect', `host metrics callback failed: ${(err as Error)?.message ?? err}`);
      }
    };
    const observables = [
      ...instruments.values(),
      ...[memLimit, netIo, netErrors, netDropped].filter((o): o is Observable => o !== undefined),
    ];
    meter.addBatchObservableCallback(callback, observables);
    this.removeCallback = () => meter.removeBatchObservableCallback(callback, observables);
  }

  /** Primes the cache, then samples every intervalMillis. */
  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.intervalMillis);
    this.timer.unref();
  }

  sample(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.doSample()
      .catch((err) =>
        this.diag.warn('host:sample', `host metrics sampling failed: ${(err as Error)?.message ?? err}`),
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async doSample(): Promise<void> {
    const [{ resourceMetrics }, net] = await Promise.all([
      this.reader.collect(),
      this.options.host ? readProcNetDev(this.options.procNetDevPath) : Promise.resolve([]),
    ]);
    const cache = new Map<string, DataPoint<number>[]>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        cache.set(metric.descriptor.name, metric.dataPoints as DataPoint<number>[]);
      }
    }
    this.cache = cache;
    this.net = net;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.removeCallback?.();
    this.removeCallback = undefined;
    this.instrumentation.disable();
    await this.inFlight;
    await this.provider.shutdown().catch(() => {});
  }
}
