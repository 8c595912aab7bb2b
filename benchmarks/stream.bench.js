// 2. Per-chunk cost of the openai stream wrapper: async iteration over the
// same in-memory chunks through an uninstrumented fake OpenAI client vs the
// same client instrumented by @tokenmeter/openai (which wraps the SDK Stream's
// `iterator()` exactly as for the real SDK). Also llm's `req.chunk()` alone.
import { createNoopMeter } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createLlmMetrics } from '@tokenmeter/llm';
import { instrumentOpenAI } from '@tokenmeter/openai';
import { compareAsync, compareSync, emit, fmtNs, pairedDiff, QUICK } from './lib/harness.js';

class CollectOnlyReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}
const sdkProvider = () => new MeterProvider({ readers: [new CollectOnlyReader()] });
const noopProvider = () => ({ getMeter: () => createNoopMeter() });

const CHUNKS = QUICK ? 200 : 1000;
const chunks = Array.from({ length: CHUNKS }, (_, i) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, delta: { content: `tok${i}` }, finish_reason: i === CHUNKS - 1 ? 'stop' : null }],
}));

/**
 * A stand-in for the `openai` package's shapes: `create()` returns an
 * APIPromise-like object (responsePromise, parseResponse, asResponse, then)
 * whose parsed body is a Stream-like object with `iterator()` and a controller.
 */
function fakeOpenAI() {
  const completions = {
    create(_body) {
      const stream = {
        controller: new AbortController(),
        async *iterator() {
          for (const c of chunks) yield c;
        },
        [Symbol.asyncIterator]() {
          return this.iterator();
        },
      };
      return {
        responsePromise: Promise.resolve({ ok: true }),
        async parseResponse() {
          return stream;
        },
        async asResponse() {
          return this.responsePromise;
        },
        // biome-ignore lint/suspicious/noThenProperty: it is a thenable on purpose, like the SDK's APIPromise
        then(onFulfilled, onRejected) {
          return this.responsePromise.then(() => this.parseResponse()).then(onFulfilled, onRejected);
        },
      };
    },
  };
  return { baseURL: 'https://api.openai.com/v1', chat: { completions } };
}

const BODY = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] };

async function consume(client) {
  const stream = await client.chat.completions.create(BODY);
  let n = 0;
  for await (const c of stream) if (c.choices.length > 0) n++;
  if (n !== CHUNKS) throw new Error(`consumed ${n} of ${CHUNKS}`);
  return CHUNKS;
}

const bare = fakeOpenAI();
const instrumented = instrumentOpenAI(fakeOpenAI(), {
  llm: createLlmMetrics({ meterProvider: sdkProvider(), semconv: 'v1.41' }),
});
const instrumentedNoop = instrumentOpenAI(fakeOpenAI(), {
  llm: createLlmMetrics({ meterProvider: noopProvider(), semconv: 'v1.41' }),
});

const opts = QUICK ? { rounds: 5, warmupRounds: 2 } : { rounds: 21, warmupRounds: 5 };
const s = await compareAsync(
  [
    { name: 'bare', fn: () => consume(bare) },
    { name: 'wrapped', fn: () => consume(instrumented) },
    { name: 'wrapped-noop', fn: () => consume(instrumentedNoop) },
  ],
  opts,
);

// llm's req.chunk() alone: one handle, many chunks (the first is TTFT, the rest time_per_output_chunk).
function chunkLoop(provider) {
  const llm = createLlmMetrics({ meterProvider: provider, semconv: 'v1.41' });
  let req = llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', stream: true });
  let n = 0;
  return () => {
    req.chunk();
    if (++n === 10_000) {
      req.end();
      req = llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', stream: true });
      n = 0;
    }
  };
}
const c = compareSync(
  [
    { name: 'chunk-sdk', fn: chunkLoop(sdkProvider()) },
    { name: 'chunk-noop', fn: chunkLoop(noopProvider()) },
    { name: 'empty', fn: () => {} },
  ],
  QUICK ? { opsPerRound: 5000, rounds: 5 } : { opsPerRound: 50_000, rounds: 15 },
);

const perChunkWrapped = pairedDiff(s, 'wrapped', 'bare');
const perChunkNoop = pairedDiff(s, 'wrapped-noop', 'bare');
emit({
  id: 'stream',
  title: '2. Stream wrapper overhead per chunk',
  intro: `A fake OpenAI client whose \`create()\` returns an APIPromise-like object and a Stream-like body with \`iterator()\` (the shape \`@tokenmeter/openai\` wraps in the real SDK), ${CHUNKS} in-memory \`chat.completion.chunk\` objects per stream, consumed with \`for await\`. Per-chunk figures include the request's fixed start/end cost spread over ${CHUNKS} chunks. "No-op provider" = the same code with a no-op MeterProvider: the cost of our wrapper and handle logic without the SDK's record.`,
  tables: [
    {
      columns: ['variant', 'median per chunk', 'overhead per chunk vs bare'],
      rows: [
        ['bare async iteration (uninstrumented client)', fmtNs(s.bare.median), '—'],
        ['instrumented, SDK MeterProvider', fmtNs(s.wrapped.median), fmtNs(perChunkWrapped)],
        [
          'instrumented, no-op MeterProvider (our code only)',
          fmtNs(s['wrapped-noop'].median),
          fmtNs(perChunkNoop),
        ],
        [
          '`req.chunk()` alone, SDK MeterProvider',
          fmtNs(c['chunk-sdk'].median),
          fmtNs(pairedDiff(c, 'chunk-sdk', 'empty')),
        ],
        [
          '`req.chunk()` alone, no-op MeterProvider',
          fmtNs(c['chunk-noop'].median),
          fmtNs(pairedDiff(c, 'chunk-noop', 'empty')),
        ],
      ],
    },
  ],
  notes: [
    'Every chunk after the first is one `gen_ai.client.operation.time_per_output_chunk` record (the spec asks for one record per chunk); in the SDK that is one attribute hash plus `Date.now()` per chunk, which is most of the instrumented cost.',
  ],
  targets: [
    {
      name: 'wrapper ≤ 100 ns per chunk (with the SDK record)',
      measured: fmtNs(perChunkWrapped),
      met: perChunkWrapped <= 100,
    },
    {
      name: 'wrapper ≤ 100 ns per chunk (our code, no-op provider)',
      measured: fmtNs(perChunkNoop),
      met: perChunkNoop <= 100,
    },
  ],
  raw: {
    bare: s.bare.median,
    wrapped: s.wrapped.median,
    wrappedNoop: s['wrapped-noop'].median,
    chunkSdk: c['chunk-sdk'].median,
    chunkNoop: c['chunk-noop'].median,
  },
});
