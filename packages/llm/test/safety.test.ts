import type { Attributes, MeterProvider } from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLlmMetrics, INSTRUMENTS, type InstrumentDefinition } from '../src/index.js';
import { captureDiag, rig } from './helpers.js';

const anything = fc.oneof(
  fc.anything(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0, 1.5, 2 ** 60, 10n),
  fc.string({ maxLength: 300 }),
);
const maybeNum = fc.oneof(fc.double(), fc.integer(), anything);
const bag = fc.record(
  {
    operation: anything,
    provider: anything,
    requestModel: anything,
    responseModel: anything,
    serverAddress: anything,
    serverPort: maybeNum,
    stream: fc.oneof(fc.boolean(), anything),
    startTime: maybeNum,
    inputTokens: maybeNum,
    outputTokens: maybeNum,
    cachedInputTokens: maybeNum,
    reasoningTokens: maybeNum,
    finishReason: anything,
    errorType: anything,
    worker: anything,
    loss: maybeNum,
    learningRate: maybeNum,
    durationS: maybeNum,
    forwardS: maybeNum,
    samples: maybeNum,
    tokens: maybeNum,
    epoch: maybeNum,
    size: maybeNum,
    paddingRatio: maybeNum,
    hit: anything,
    modality: anything,
  },
  { requiredKeys: [] },
);

const DEFS = new Map((INSTRUMENTS as readonly InstrumentDefinition[]).map((d) => [d.name, d]));

/** Every recorded value is a finite number (or a histogram of them) and every attribute key is documented. */
async function assertClean(r: ReturnType<typeof rig>): Promise<void> {
  const res = await r.collect();
  for (const sm of res.resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      const def = DEFS.get(m.descriptor.name);
      expect(def, m.descriptor.name).toBeDefined();
      for (const p of m.dataPoints) {
        for (const [k, v] of Object.entries(p.attributes)) {
          expect(def?.attributes, `${m.descriptor.name} ${k}`).toContain(k);
          expect(['string', 'number']).toContain(typeof v);
          if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(128);
        }
        const v = p.value as number | { sum: number; count: number };
        if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
        else {
          expect(Number.isFinite(v.sum)).toBe(true);
          expect(v.sum).toBeGreaterThanOrEqual(0);
        }
      }
    }
  }
}

describe('safety: never throws, never records garbage', () => {
  it('the whole public API survives arbitrary input (fast-check)', async () => {
    const cap = captureDiag();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(20), bag, anything), { maxLength: 25 }), async (ops) => {
          const r = rig();
          const { llm } = r;
          const reqs = [llm.startRequest({ operation: 'chat', provider: 'openai', stream: true })];
          const srvs = [llm.startServerRequest({ operation: 'chat', provider: 'vllm' })];
          const run = llm.training({ runName: 'r' });
          const call = (f: () => unknown) => expect(f).not.toThrow();
          for (const [op, b, x] of ops) {
            const o = b as never;
            const req = reqs[reqs.length - 1]!;
            const srv = srvs[srvs.length - 1]!;
            switch (op) {
              case 0:
                call(() => reqs.push(llm.startRequest(o)));
                break;
              case 1:
                call(() => req.chunk());
                break;
              case 2:
                call(() => req.end(o));
                break;
              case 3:
                call(() => req.fail(x, o));
                break;
              case 4:
                call(() => req.abort(x, o));
                break;
              case 5:
                call(() => srvs.push(llm.startServerRequest(o)));
                break;
              case 6:
                call(() => {
                  srv.scheduled();
                  srv.token(x as never);
                });
                break;
              case 7:
                call(() => srv.stage(x as never, (b as { durationS?: never }).durationS as never));
                break;
              case 8:
                call(() => srv.end(o));
                break;
              case 9:
                call(() => srv.fail(x, o));
                break;
              case 10:
                call(() => run.step(o));
                break;
              case 11:
                call(() => run.eval(o));
                break;
              case 12:
                call(() => llm.batch(o));
                break;
              case 13:
                call(() => llm.cacheLookup(o));
                break;
              case 14:
                call(() => {
                  llm.rateLimitWait(x as never, o);
                  llm.queueWait(x as never, o);
                });
                break;
              case 15:
                call(() => {
                  llm.retry(o);
                  llm.queueRejected(o);
                  llm.modelLoad(o);
                });
                break;
              case 16:
                call(() => llm.circuitBreaker(x as never, x as never, o));
                break;
              case 17:
                call(() => llm.errorType(x));
                break;
              case 18:
                call(() => llm.training(o).step(o));
                break;
              case 19:
                call(() => llm.observeServer(() => o as never, o));
                break;
              default:
                call(() => llm.measure(x as never, () => x));
                break;
            }
          }
          await assertClean(r);
          const s = await llm.snapshot();
          expect(s.ok).toBe(true);
        }),
        { numRuns: 150 },
      );
    } finally {
      cap.restore();
    }
  });

  it('createLlmMetrics survives garbage options', () => {
    fc.assert(
      fc.property(anything, (x) => {
        expect(() =>
          createLlmMetrics(x as never)
            .startRequest({ operation: 'chat', provider: 'p' })
            .end(),
        ).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('emits one diagnostic per kind of problem, not per call', () => {
    const cap = captureDiag();
    try {
      const { llm } = rig();
      for (let i = 0; i < 100; i++) {
        llm
          .startRequest({ operation: 'chat', provider: 'p' })
          .end({ inputTokens: -i - 1, outputTokens: Number.NaN });
      }
      expect(cap.warnings.filter((w) => w.includes('[invalid-token-count]'))).toHaveLength(1);
      expect(cap.warnings.length).toBeLessThanOrEqual(2);
    } finally {
      cap.restore();
    }
  });
});

describe('cardinality guard', () => {
  it('caps distinct model names and folds the rest into _OTHER', async () => {
    const r = rig({ models: { maxDistinct: 5 } });
    for (let i = 0; i < 50; i++)
      r.llm.startRequest({ operation: 'chat', provider: 'p', requestModel: `m-${i}` }).end();
    const models = new Set(
      (await r.metric('gen_ai.client.operation.duration'))?.dataPoints.map(
        (p) => p.attributes['gen_ai.request.model'],
      ),
    );
    expect(models.size).toBe(6);
    expect(models.has('_OTHER')).toBe(true);
    expect(models.has('m-0')).toBe(true);
    expect(models.has('m-5')).toBe(false);
  });

  it('truncates long values, applies allow-list and normaliser', async () => {
    const r = rig({
      models: {
        allow: ['gpt-4o', 'x'.repeat(128)],
        normalize: (m) => m.replace(/-\d{4}-\d{2}-\d{2}$/, ''),
      },
    });
    r.llm.startRequest({ operation: 'chat', provider: 'p', requestModel: 'gpt-4o-2024-08-06' }).end();
    r.llm.startRequest({ operation: 'chat', provider: 'p', requestModel: 'evil' }).end();
    r.llm.startRequest({ operation: 'chat', provider: 'p', requestModel: 'x'.repeat(10_000) }).end();
    const models = (await r.metric('gen_ai.client.operation.duration'))?.dataPoints
      .map((p) => p.attributes['gen_ai.request.model'])
      .sort();
    expect(models).toEqual(['_OTHER', 'gpt-4o', 'x'.repeat(128)]);
  });

  it('bounds other user-controlled values (provider, finish reason, error type)', async () => {
    const r = rig({ maxDistinctValues: 3 });
    for (let i = 0; i < 20; i++) {
      r.llm
        .startRequest({ operation: 'chat', provider: `p${i}` })
        .fail(Object.assign(new Error(), { code: `E_CODE_${i}` }));
    }
    const pts = (await r.metric('gen_ai.client.operation.duration'))?.dataPoints ?? [];
    expect(new Set(pts.map((p) => p.attributes['gen_ai.provider.name'])).size).toBe(4);
    expect(new Set(pts.map((p) => p.attributes['error.type'])).size).toBeLessThanOrEqual(4);
  });
});

describe('hot path', () => {
  /** A fake provider that records the attribute objects handed to instruments. */
  function spyProvider() {
    const seen: { name: string; attrs: Attributes | undefined }[] = [];
    const instrument = (name: string) => ({
      record: (_v: number, attrs?: Attributes) => seen.push({ name, attrs }),
      add: (_v: number, attrs?: Attributes) => seen.push({ name, attrs }),
      addCallback() {},
      removeCallback() {},
    });
    const meter = {
      createHistogram: instrument,
      createCounter: instrument,
      createUpDownCounter: instrument,
      createGauge: instrument,
      createObservableGauge: instrument,
      createObservableCounter: instrument,
      createObservableUpDownCounter: instrument,
      addBatchObservableCallback() {},
      removeBatchObservableCallback() {},
    };
    const provider = { getMeter: () => meter } as unknown as MeterProvider;
    return { provider, seen };
  }

  it('reuses one frozen attributes object per tuple across chunks and requests', () => {
    const { provider, seen } = spyProvider();
    const llm = createLlmMetrics({ meterProvider: provider, env: {} });
    for (let n = 0; n < 3; n++) {
      const req = llm.startRequest({
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o',
        stream: true,
      });
      for (let i = 0; i < 5; i++) req.chunk();
      req.end({ responseModel: 'gpt-4o', outputTokens: 5 });
    }
    const chunkAttrs = seen
      .filter((s) => s.name === 'gen_ai.client.operation.time_per_output_chunk')
      .map((s) => s.attrs);
    expect(chunkAttrs).toHaveLength(12);
    expect(new Set(chunkAttrs).size).toBe(1);
    expect(Object.isFrozen(chunkAttrs[0])).toBe(true);
    const durAttrs = seen.filter((s) => s.name === 'gen_ai.client.operation.duration').map((s) => s.attrs);
    expect(new Set(durAttrs).size).toBe(1);
  });
});

describe('privacy', () => {
  it('the only attribute keys any instrument can carry are the documented ones (no prompt/user slots)', () => {
    const keys = new Set((INSTRUMENTS as readonly InstrumentDefinition[]).flatMap((d) => [...d.attributes]));
    // MCP's gen_ai.prompt.name names a prompt template (low cardinality), never its text.
    keys.delete('gen_ai.prompt.name');
    for (const k of keys)
      expect(k).not.toMatch(/prompt|completion|content|message|user|input\.text|output\.text/i);
  });

  it('unknown option keys (prompt, user) are never recorded', async () => {
    const r = rig();
    r.llm
      .startRequest({ operation: 'chat', provider: 'p', prompt: 'secret', user: 'u1' } as never)
      .end({ completion: 'secret answer', userId: 'u1' } as never);
    await assertClean(r);
    const text = JSON.stringify(await r.collect(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(text).not.toContain('secret');
    expect(text).not.toContain('u1');
  });
});
