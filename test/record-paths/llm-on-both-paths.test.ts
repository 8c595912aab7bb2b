// @tokenmeter/llm must export exactly the same data whether its instruments
// are the stock SDK's or the bound-series ones of the provider registerMetrics()
// builds: same names, kinds, units, attribute sets, values and buckets, for any
// mix of streamed and plain requests, failures, aborts and server requests.
import {
  type MeterProvider as ApiMeterProvider,
  type Attributes,
  DiagLogLevel,
  diag,
} from '@opentelemetry/api';
import {
  DataPointType,
  type Histogram,
  MeterProvider,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { createLlmMetrics } from '@tokenmeter/llm';
import { bindMeterProvider, createBoundMeterProvider, registerMetrics } from '@tokenmeter/setup';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

function normalize(rm: ResourceMetrics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (sm.scope.name !== '@tokenmeter/llm') continue;
      const points: Record<string, unknown> = {};
      for (const p of m.dataPoints) {
        const key = JSON.stringify(
          Object.keys(p.attributes)
            .sort()
            .map((k) => [k, (p.attributes as Attributes)[k]]),
        );
        const v = p.value as number | Histogram;
        points[key] =
          typeof v === 'number'
            ? v
            : {
                count: v.count,
                sum: v.sum,
                min: v.min,
                max: v.max,
                counts: [...v.buckets.counts],
                bounds: [...v.buckets.boundaries],
              };
      }
      out[m.descriptor.name] = {
        unit: m.descriptor.unit,
        type: m.dataPointType,
        monotonic: m.dataPointType === DataPointType.SUM ? m.isMonotonic : undefined,
        points,
      };
    }
  }
  return out;
}

type Step =
  | {
      kind: 'client';
      model: number;
      stream: boolean;
      chunks: number;
      gapMs: number;
      outcome: 'end' | 'fail' | 'abort';
      tokens: number;
    }
  | { kind: 'server'; model: number; outcome: 'end' | 'fail'; tokens: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('client' as const),
    model: fc.nat(15),
    stream: fc.boolean(),
    chunks: fc.nat(6),
    // Multiples of 1/8 s: exact in binary, so sums do not depend on the order they were added in.
    gapMs: fc.nat(16).map((n) => n * 125),
    outcome: fc.constantFrom('end' as const, 'fail' as const, 'abort' as const),
    tokens: fc.nat(5000),
  }),
  fc.record({
    kind: fc.constant('server' as const),
    model: fc.nat(15),
    outcome: fc.constantFrom('end' as const, 'fail' as const),
    tokens: fc.nat(5000),
  }),
);

// Sixteen models: more children per attribute set than llm keeps in its short
// array (8), so lookups through its Map are exercised too.
const MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'llama3.2:3b',
  'claude-sonnet-4',
  ...Array.from({ length: 12 }, (_, i) => `model-${i}`),
];

function drive(steps: readonly Step[], meterProvider: ApiMeterProvider): void {
  let t = 1000;
  const llm = createLlmMetrics({ meterProvider, now: () => t, semconv: 'v1.41' });
  for (const s of steps) {
    const model = MODELS[s.model] as string;
    if (s.kind === 'server') {
      const req = llm.startServerRequest({
        operation: 'chat',
        provider: 'vllm',
        requestModel: model,
        serverAddress: 'gpu-1',
        serverPort: 8000,
      });
      t += 125;
      req.scheduled();
      t += 250;
      req.token();
      t += 500;
      req.token(s.tokens % 7);
      req.stage('prefill', 0.25);
      if (s.outcome === 'end')
        req.end({ inputTokens: s.tokens, outputTokens: s.tokens + 1, finishReason: 'stop' });
      else req.fail(new Error('boom'));
      continue;
    }
    const req = llm.startRequest({
      operation: 'chat',
      provider: 'openai',
      requestModel: model,
      serverAddress: 'api.openai.com',
      serverPort: 443,
      stream: s.stream,
    });
    for (let i = 0; i < s.chunks; i++) {
      t += s.gapMs;
      req.chunk();
    }
    t += 125;
    if (s.outcome === 'end')
      req.end({
        responseModel: model,
        inputTokens: s.tokens,
        outputTokens: 2 * s.tokens,
        finishReason: 'stop',
      });
    else if (s.outcome === 'fail') req.fail(Object.assign(new Error('rate limited'), { status: 429 }));
    else req.abort();
  }
}

describe('@tokenmeter/llm on the bound-series path and on the stock SDK', () => {
  afterEach(() => diag.disable());

  it('exports the same data for any workload', async () => {
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.NONE);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const reader = new TestMetricReader();
        const stock = new MeterProvider({ readers: [reader] });
        const handle = registerMetrics({
          exporters: [],
          snapshot: true,
          setGlobal: false,
          shutdownOnSignals: false,
        });
        // The same path on a provider whose reader the application built itself.
        let ownReader: TestMetricReader | undefined;
        const own = createBoundMeterProvider({
          readers: [(metricProducers) => (ownReader = new TestMetricReader({ metricProducers }))],
        });
        // And on a stock provider bound after it was built (as NodeSDK builds it).
        const laterReader = new TestMetricReader();
        const later = new MeterProvider({ readers: [laterReader] });
        try {
          drive(steps, stock);
          drive(steps, handle.meterProvider);
          drive(steps, own);
          drive(steps, bindMeterProvider(later));
          const [a, b, c, d] = await Promise.all([
            reader.collect(),
            handle.collect(),
            ownReader?.collect(),
            laterReader.collect(),
          ]);
          expect(normalize(b.resourceMetrics)).toEqual(normalize(a.resourceMetrics));
          expect(c && normalize(c.resourceMetrics)).toEqual(normalize(a.resourceMetrics));
          expect(normalize(d.resourceMetrics)).toEqual(normalize(a.resourceMetrics));
        } finally {
          await Promise.all([handle.shutdown(), own.shutdown(), stock.shutdown(), later.shutdown()]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
