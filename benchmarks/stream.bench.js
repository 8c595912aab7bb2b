// 2. Per-chunk cost of the openai stream wrapper: async iteration over the
// same in-memory chunks through an uninstrumented fake OpenAI client vs the
// same client instrumented by @tokenmeter/openai (which wraps the SDK Stream's
// `iterator()` exactly as for the real SDK). Also llm's `req.chunk()` alone.
import { createNoopMeter } from '@opentelemetry/api';
import { createLlmMetrics } from '@tokenmeter/llm';
import { instrumentOpenAI } from '@tokenmeter/openai';
import { registerMetrics } from '@tokenmeter/setup';
import OpenAI from 'openai';
import { collectOnlyProvider } from './lib/collect-only.js';
import {
  childResult,
  compareAsync,
  compareSync,
  emit,
  fmtNs,
  inChild,
  median,
  pairedDiff,
  QUICK,
} from './lib/harness.js';

const sdkProvider = () => collectOnlyProvider();
const noopProvider = () => ({ getMeter: () => createNoopMeter() });
// What registerMetrics() builds: sync instruments on the bound-series path, one collect-only reader.
const boundProvider = () =>
  registerMetrics({ exporters: [], snapshot: true, setGlobal: false, shutdownOnSignals: false })
    .meterProvider;
const PROVIDERS = { noop: noopProvider, sdk: sdkProvider, bound: boundProvider };

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

/**
 * The real `openai` SDK reading the same chunks as an SSE body from an
 * in-memory `Response` (its own fetch option; no socket): the baseline users
 * actually have, with the SDK's SSE decoding and JSON parsing per chunk.
 */
const SSE = new TextEncoder().encode(
  `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`,
);
function realOpenAI() {
  return new OpenAI({
    apiKey: 'bench',
    baseURL: 'https://api.openai.com/v1',
    maxRetries: 0,
    fetch: async () => new Response(SSE, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
}

/**
 * The least any wrapper must do to time each chunk as the consumer receives
 * it, with nothing recorded: one promise reaction registered on the source's
 * own promise (so it runs before the consumer resumes) and one clock read.
 * Racing it in the same process shows how much of our overhead is this
 * design's floor on the machine at hand and how much is our own code.
 */
const clock = globalThis.performance;
const onError = () => {};

/**
 * `client` with each stream observed by one promise reaction per result,
 * registered on the source's own promise: `perStream()` gives that
 * reaction, once per stream.
 */
function reactingClient(client, perStream) {
  const observe = (stream) => ({
    [Symbol.asyncIterator]() {
      const it = stream[Symbol.asyncIterator]();
      const onResult = perStream();
      return {
        next() {
          const p = it.next();
          p.then(onResult, onError);
          return p;
        },
      };
    },
  });
  return { chat: { completions: { create: (body) => client.chat.completions.create(body).then(observe) } } };
}

let floorSink = 0;
function floorObserved(client) {
  const onResult = (r) => {
    if (!r.done) floorSink += clock.now();
  };
  return reactingClient(client, () => onResult);
}

/**
 * The same floor with the record: one promise reaction per chunk that calls
 * `req.chunk()` (clock read, TTFC/TPOC record) on a handle started per stream,
 * and nothing else: no chunk parsing, no integration code. The least a wrapper
 * that records each chunk as it arrives can cost on the provider given.
 */
function floorRecorded(client, llm) {
  return reactingClient(client, () => {
    const req = llm.startRequest({
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o',
      stream: true,
    });
    return (r) => {
      if (r.done) req.end();
      else req.chunk();
    };
  });
}

const BODY = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] };

/** Streams per round: long enough rounds that JIT tiers and GC timing average out. */
const STREAMS = QUICK ? 5 : 50;

async function consume(client) {
  for (let k = 0; k < STREAMS; k++) {
    const stream = await client.chat.completions.create(BODY);
    let n = 0;
    for await (const c of stream) if (c.choices.length > 0) n++;
    if (n !== CHUNKS) throw new Error(`consumed ${n} of ${CHUNKS}`);
  }
  return CHUNKS * STREAMS;
}

// Two groups, each in its own process: a bare client against the client
// instrumented over (a) a no-op MeterProvider, (b) the SDK. Mixed in one
// process, the SDK variant's garbage and its instruments at our call sites
// (polymorphic inline caches an app with one provider never has) were charged
// to the no-op variant: 187–280 ns there vs ~110 ns alone. Each group still
// races its baseline in the same process, interleaved round by round.
const GROUP = process.env.TOKENMETER_STREAM_GROUP;

async function runGroup(kind) {
  const provider = PROVIDERS[kind.replace(/^real-/, '')];
  const client = kind.startsWith('real') ? realOpenAI : fakeOpenAI;
  const bare = client();
  const instrumented = instrumentOpenAI(client(), {
    llm: createLlmMetrics({ meterProvider: provider(), semconv: 'v1.41' }),
  });
  const opts = QUICK ? { rounds: 5, warmupRounds: 2 } : { rounds: 15, warmupRounds: 5 };
  const floor = floorObserved(client());
  const floorRecord = floorRecorded(
    client(),
    createLlmMetrics({ meterProvider: provider(), semconv: 'v1.41' }),
  );
  const s = await compareAsync(
    [
      { name: 'bare', fn: () => consume(bare) },
      { name: 'wrapped', fn: () => consume(instrumented) },
      ...(kind === 'noop' ? [{ name: 'floor', fn: () => consume(floor) }] : []),
      ...(kind === 'bound' ? [{ name: 'floor-record', fn: () => consume(floorRecord) }] : []),
    ],
    opts,
  );
  if (kind.startsWith('real'))
    return { bare: s.bare.median, wrapped: s.wrapped.median, overhead: pairedDiff(s, 'wrapped', 'bare') };
  if (kind === 'noop' && !(floorSink > 0)) throw new Error('the floor observer saw no chunk');
  const floorFigures =
    kind === 'noop'
      ? { floor: pairedDiff(s, 'floor', 'bare'), aboveFloor: pairedDiff(s, 'wrapped', 'floor') }
      : kind === 'bound'
        ? {
            floorRecord: pairedDiff(s, 'floor-record', 'bare'),
            aboveFloorRecord: pairedDiff(s, 'wrapped', 'floor-record'),
          }
        : {};
  // llm's req.chunk() alone: one handle, many chunks (the first is TTFT, the rest time_per_output_chunk).
  const llm = createLlmMetrics({ meterProvider: provider(), semconv: 'v1.41' });
  const start = () =>
    llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', stream: true });
  let req = start();
  let n = 0;
  const c = compareSync(
    [
      {
        name: 'chunk',
        fn: () => {
          req.chunk();
          if (++n === 10_000) {
            req.end();
            req = start();
            n = 0;
          }
        },
      },
      { name: 'empty', fn: () => {} },
    ],
    QUICK ? { opsPerRound: 5000, rounds: 5 } : { opsPerRound: 50_000, rounds: 15 },
  );
  return {
    bare: s.bare.median,
    wrapped: s.wrapped.median,
    overhead: pairedDiff(s, 'wrapped', 'bare'),
    chunk: c.chunk.median,
    chunkOverhead: pairedDiff(c, 'chunk', 'empty'),
    ...floorFigures,
  };
}

if (GROUP) {
  childResult(await runGroup(GROUP));
} else {
  const group = (kind) => inChild(import.meta.url, { TOKENMETER_STREAM_GROUP: kind });
  // Each group three times, alternating, so a slow minute does not land on one group only.
  const KINDS = ['noop', 'bound', 'sdk', 'real-noop', 'real-bound', 'real-sdk'];
  const runs = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (let i = 0; i < (QUICK ? 1 : 3); i++) for (const k of KINDS) runs[k].push(group(k));
  const med = (k, f) => median(runs[k].map((r) => r[f]));
  // Per kind, the median over processes of every figure its runs reported.
  const medians = (k) => Object.fromEntries(Object.keys(runs[k][0]).map((f) => [f, med(k, f)]));
  const noop = medians('noop');
  const bound = medians('bound');
  const sdk = medians('sdk');
  const realNoop = medians('real-noop');
  const realBound = medians('real-bound');
  const realSdk = medians('real-sdk');
  const spread = (k, f) => runs[k].map((r) => fmtNs(r[f])).join(' / ');
  const pct = (r) => `${((r.overhead / r.bare) * 100).toFixed(1)} %`;
  emit({
    id: 'stream',
    title: '2. Stream wrapper overhead per chunk',
    intro: `A fake OpenAI client whose \`create()\` returns an APIPromise-like object and a Stream-like body with \`iterator()\` (the shape \`@tokenmeter/openai\` wraps in the real SDK), ${CHUNKS} in-memory \`chat.completion.chunk\` objects per stream, consumed with \`for await\`. Per-chunk figures include the request's fixed start/end cost spread over ${CHUNKS} chunks. "No-op provider" = the same code with a no-op MeterProvider: the cost of our wrapper and handle logic without the SDK's record. Each provider kind runs in its own process against a bare client in that same process (interleaved rounds; median of 3 processes per kind), because one app has one provider: mixing both in one process made our call sites polymorphic and charged the SDK variant's garbage to the no-op one.`,
    tables: [
      {
        columns: [
          'variant',
          'median per chunk',
          'bare, same process',
          'overhead per chunk vs bare',
          'overhead per process',
        ],
        rows: [
          [
            'instrumented, no-op MeterProvider (our code only)',
            fmtNs(noop.wrapped),
            fmtNs(noop.bare),
            fmtNs(noop.overhead),
            spread('noop', 'overhead'),
          ],
          [
            'floor: one promise reaction + one clock read per chunk, nothing recorded',
            '—',
            fmtNs(noop.bare),
            fmtNs(noop.floor),
            spread('noop', 'floor'),
          ],
          [
            'our code above that floor (instrumented no-op minus floor, paired rounds)',
            '—',
            '—',
            fmtNs(noop.aboveFloor),
            spread('noop', 'aboveFloor'),
          ],
          [
            'instrumented, `registerMetrics()` provider (bound series)',
            fmtNs(bound.wrapped),
            fmtNs(bound.bare),
            fmtNs(bound.overhead),
            spread('bound', 'overhead'),
          ],
          [
            'floor with the record: one promise reaction calling `req.chunk()` per chunk, `registerMetrics()` provider',
            '—',
            fmtNs(bound.bare),
            fmtNs(bound.floorRecord),
            spread('bound', 'floorRecord'),
          ],
          [
            'our code above that floor (instrumented minus floor, paired rounds)',
            '—',
            '—',
            fmtNs(bound.aboveFloorRecord),
            spread('bound', 'aboveFloorRecord'),
          ],
          [
            'instrumented, stock SDK MeterProvider',
            fmtNs(sdk.wrapped),
            fmtNs(sdk.bare),
            fmtNs(sdk.overhead),
            spread('sdk', 'overhead'),
          ],
          [
            'real `openai` SDK, in-memory SSE body, no-op MeterProvider',
            fmtNs(realNoop.wrapped),
            fmtNs(realNoop.bare),
            `${fmtNs(realNoop.overhead)} (${pct(realNoop)})`,
            spread('real-noop', 'overhead'),
          ],
          [
            'real `openai` SDK, in-memory SSE body, `registerMetrics()` provider (bound series)',
            fmtNs(realBound.wrapped),
            fmtNs(realBound.bare),
            `${fmtNs(realBound.overhead)} (${pct(realBound)})`,
            spread('real-bound', 'overhead'),
          ],
          [
            'real `openai` SDK, in-memory SSE body, stock SDK MeterProvider',
            fmtNs(realSdk.wrapped),
            fmtNs(realSdk.bare),
            `${fmtNs(realSdk.overhead)} (${pct(realSdk)})`,
            spread('real-sdk', 'overhead'),
          ],
          [
            '`req.chunk()` alone, no-op MeterProvider',
            fmtNs(noop.chunk),
            '—',
            fmtNs(noop.chunkOverhead),
            spread('noop', 'chunkOverhead'),
          ],
          [
            '`req.chunk()` alone, `registerMetrics()` provider (bound series)',
            fmtNs(bound.chunk),
            '—',
            fmtNs(bound.chunkOverhead),
            spread('bound', 'chunkOverhead'),
          ],
          [
            '`req.chunk()` alone, stock SDK MeterProvider',
            fmtNs(sdk.chunk),
            '—',
            fmtNs(sdk.chunkOverhead),
            spread('sdk', 'chunkOverhead'),
          ],
        ],
      },
    ],
    notes: [
      "Timing each chunk when the consumer receives it takes two things no wrapper can skip: a promise reaction on the source's own promise, registered first so it runs before the consumer resumes, and a monotonic clock read (`performance.now()`; on this VM `clock_gettime` alone costs ~24 ns in C). The floor row is exactly that and nothing else, raced in the same process; the next row is what our code adds on top: reading the chunk for output, finish reason and usage, the handle's bookkeeping, and the request's start/end spread over the chunks.",
      'Figures move between processes on this VM (per-process column: up to 2× for a process whose JIT inlines differently), which is why each kind runs in three processes and the table shows their median.',
      "Spread seen on 2026-12-06: the no-op group run alone five times back to back, nothing else running, gave 119–247 ns of overhead per chunk and 35–104 ns above the floor. The ±10 ns above held in earlier runs, not on that day; the 62 ns above the floor in that day's earlier table (20 ns on 2026-11-23) lies inside that spread, so these figures do not establish a regression of our code, nor rule one out. The floor with the record, raced from that day on, measured 115, 114, 181 (a run whose bare baseline was 200 ns instead of ~128 ns) and 125 ns in four runs: above 100 ns in each.",
      `${
        bound.floorRecord > 100
          ? 'The ≤ 100 ns target for the wrapper with the record cannot be met by any wrapper that times and records each chunk as it arrives, on this machine: the floor with the record'
          : 'The floor with the record'
      }, one promise reaction that calls \`req.chunk()\` (a clock read, ~45–52 ns on this VM for \`performance.now()\`, \`Date.now()\` or \`process.hrtime()\` alike, and the bound TTFC/TPOC record) and nothing else, raced in the same process, costs ${fmtNs(bound.floorRecord)} by itself. What our code adds on top of it (reading the chunk, the integration's call object) is the row below it. With the no-op provider the target leaves ${fmtNs(Math.max(0, 100 - noop.floor))} above the plain floor (one reaction and a clock read) for reading the chunk and the handle's bookkeeping; ours took ${fmtNs(noop.aboveFloor)}.`,
      "Every chunk after the first is one `gen_ai.client.operation.time_per_output_chunk` record (the spec asks for one record per chunk). On the stock SDK that is one attribute hash plus `Date.now()` per chunk, ~0.6 µs. On the provider `registerMetrics()` builds, the record goes to the request's bound series (found by the frozen attribute set's identity): a few additions, no hash.",
    ],
    targets: [
      {
        name: 'wrapper ≤ 100 ns per chunk (our code, no-op provider)',
        measured: fmtNs(noop.overhead),
        met: noop.overhead <= 100,
      },
      {
        name: 'per-chunk record ≤ 100 ns (`req.chunk()`, `registerMetrics()` provider)',
        measured: fmtNs(bound.chunkOverhead),
        met: bound.chunkOverhead <= 100,
      },
      {
        name: 'wrapper ≤ 100 ns per chunk (with the record, `registerMetrics()` provider)',
        measured: `${fmtNs(bound.overhead)} (the floor of a reaction + \`req.chunk()\` alone: ${fmtNs(bound.floorRecord)})`,
        met: bound.overhead <= 100,
      },
      {
        name: 'wrapper ≤ 100 ns per chunk (with the record, stock SDK provider)',
        measured: `${fmtNs(sdk.overhead)} (the SDK's one spec-required record alone: ${fmtNs(sdk.chunkOverhead)})`,
        met: sdk.overhead <= 100,
      },
    ],
    raw: { noop, bound, sdk, realNoop, realBound, realSdk, runs },
  });
}
