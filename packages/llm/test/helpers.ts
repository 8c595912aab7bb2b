import { type Attributes, type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import {
  type CollectionResult,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { TestMetricReader } from '@tokenmeter/testkit';
import { createLlmMetrics, type LlmMetrics, type LlmMetricsOptions } from '../src/index.js';

/** A clock the test moves by hand (milliseconds). */
export class FakeClock {
  t = 1000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Rig {
  llm: LlmMetrics;
  reader: TestMetricReader;
  provider: MeterProvider;
  clock: FakeClock;
  collect(): Promise<CollectionResult>;
  metric(name: string): Promise<MetricData | undefined>;
  names(): Promise<string[]>;
}

export function rig(options: Partial<LlmMetricsOptions> = {}, views: ViewOptions[] = []): Rig {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({ readers: [reader], views });
  const clock = new FakeClock();
  const llm = createLlmMetrics({
    meterProvider: provider,
    now: clock.now,
    env: {},
    collect: () => reader.collect(),
    ...options,
  });
  const collect = () => reader.collect();
  return {
    llm,
    reader,
    provider,
    clock,
    collect,
    async metric(name) {
      const r = await collect();
      for (const sm of r.resourceMetrics.scopeMetrics)
        for (const m of sm.metrics) if (m.descriptor.name === name) return m;
      return undefined;
    },
    async names() {
      const r = await collect();
      return r.resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)).sort();
    },
  };
}

export function points(m: MetricData | undefined): DataPoint<unknown>[] {
  return (m?.dataPoints ?? []) as DataPoint<unknown>[];
}

export function hist(p: DataPoint<unknown> | undefined): Histogram {
  if (!p) throw new Error('no data point');
  return p.value as Histogram;
}

/** The single point whose attributes equal `attrs` exactly. */
export function pointWith(m: MetricData | undefined, attrs: Attributes): DataPoint<unknown> | undefined {
  return points(m).find((p) => sameAttrs(p.attributes, attrs));
}

export function sameAttrs(a: Attributes, b: Attributes): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Captures diag warnings. */
export function captureDiag(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const logger: DiagLogger = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { warnings, restore: () => diag.disable() };
}
