// 1. One full streamed client request (in-flight +1, TTFT, duration, input and
// output tokens, requests counter, in-flight −1) recorded through
// @tokenmeter/llm vs the same series written with raw OTel SDK calls vs with
// prom-client (same series, same buckets). Same process, interleaved rounds.
import { createLlmMetrics, DURATION_BUCKETS, TOKEN_BUCKETS } from '@tokenmeter/llm';
import client from 'prom-client';
import { collectOnlyProvider } from './lib/collect-only.js';
import {
  childResult,
  compareSync,
  emit,
  fmtNs,
  fmtX,
  inChild,
  median,
  pairedRatio,
  QUICK,
} from './lib/harness.js';

const START = {
  operation: 'chat',
  provider: 'openai',
  requestModel: 'gpt-4o',
  serverAddress: 'api.openai.com',
  serverPort: 443,
  stream: true,
};
const END = { responseModel: 'gpt-4o', inputTokens: 12, outputTokens: 80, finishReason: 'stop' };

function llmVariant(readers, extra = {}) {
  const llm = createLlmMetrics({ meterProvider: collectOnlyProvider(readers), semconv: 'v1.41', ...extra });
  return () => {
    const req = llm.startRequest(START);
    req.chunk();
    req.end(END);
  };
}

/**
 * Requests that outlive the abandon tracker's nursery: each handle ends 1024
 * requests after it started, so every one is still open at its sweep and is
 * registered with the FinalizationRegistry (and unregistered at its end) —
 * the cost a long stream pays once.
 */
function llmLongLivedVariant() {
  const llm = createLlmMetrics({ meterProvider: collectOnlyProvider(1), semconv: 'v1.41' });
  const ring = new Array(1024);
  let i = 0;
  return () => {
    const req = llm.startRequest(START);
    req.chunk();
    const old = ring[i];
    ring[i] = req;
    i = (i + 1) % ring.length;
    old?.end(END);
  };
}

// The same SDK calls llm makes, written by hand.
function rawInstruments() {
  const meter = collectOnlyProvider(1).getMeter('@tokenmeter/llm', '0.1.0');
  return {
    duration: meter.createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    ttfc: meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', {
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      unit: '{token}',
      valueType: 1 /* INT */,
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    }),
    active: meter.createUpDownCounter('tokenmeter.gen_ai.client.active_requests', { unit: '{request}' }),
    requests: meter.createCounter('tokenmeter.gen_ai.client.requests', { unit: '{request}' }),
  };
}

/** Hand-written, attribute objects built inline on every call: what most code looks like. */
function rawInlineVariant() {
  const i = rawInstruments();
  return () => {
    const start = performance.now();
    const base = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'server.address': 'api.openai.com',
      'server.port': 443,
    };
    i.active.add(1, base);
    const first = performance.now();
    i.ttfc.record((first - start) / 1000, base);
    const end = performance.now();
    const node = { ...base, 'gen_ai.response.model': 'gpt-4o' };
    i.duration.record((end - start) / 1000, node);
    i.tokens.record(12, { ...node, 'gen_ai.token.type': 'input' });
    i.tokens.record(80, { ...node, 'gen_ai.token.type': 'output' });
    i.requests.add(1, { ...node, 'tokenmeter.finish_reason': 'stop' });
    i.active.add(-1, base);
  };
}

/** Hand-written with every attribute object built once (the floor of the SDK's record path). */
function rawCachedVariant() {
  const i = rawInstruments();
  const base = Object.freeze({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'server.address': 'api.openai.com',
    'server.port': 443,
  });
  const node = Object.freeze({ ...base, 'gen_ai.response.model': 'gpt-4o' });
  const input = Object.freeze({ ...node, 'gen_ai.token.type': 'input' });
  const output = Object.freeze({ ...node, 'gen_ai.token.type': 'output' });
  const stop = Object.freeze({ ...node, 'tokenmeter.finish_reason': 'stop' });
  return () => {
    const start = performance.now();
    i.active.add(1, base);
    const first = performance.now();
    i.ttfc.record((first - start) / 1000, base);
    const end = performance.now();
    i.duration.record((end - start) / 1000, node);
    i.tokens.record(12, input);
    i.tokens.record(80, output);
    i.requests.add(1, stop);
    i.active.add(-1, base);
  };
}

function promClientVariant() {
  const registry = new client.Registry();
  const req = [
    'gen_ai_operation_name',
    'gen_ai_provider_name',
    'gen_ai_request_model',
    'server_address',
    'server_port',
  ];
  const resp = [...req, 'gen_ai_response_model'];
  const duration = new client.Histogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration.',
    labelNames: resp,
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  const ttfc = new client.Histogram({
    name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    help: 'Time to first chunk.',
    labelNames: req,
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  const tokens = new client.Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'Number of input and output tokens used.',
    labelNames: [...resp, 'gen_ai_token_type'],
    buckets: [...TOKEN_BUCKETS],
    registers: [registry],
  });
  const active = new client.Gauge({
    name: 'tokenmeter_gen_ai_client_active_requests',
    help: 'In-flight requests.',
    labelNames: req,
    registers: [registry],
  });
  const requests = new client.Counter({
    name: 'tokenmeter_gen_ai_client_requests_total',
    help: 'Requests.',
    labelNames: [...resp, 'tokenmeter_finish_reason'],
    registers: [registry],
  });
  return () => {
    const start = performance.now();
    const base = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o',
      server_address: 'api.openai.com',
      server_port: 443,
    };
    active.inc(base);
    const first = performance.now();
    ttfc.observe(base, (first - start) / 1000);
    const end = performance.now();
    const node = { ...base, gen_ai_response_model: 'gpt-4o' };
    duration.observe(node, (end - start) / 1000);
    tokens.observe({ ...node, gen_ai_token_type: 'input' }, 12);
    tokens.observe({ ...node, gen_ai_token_type: 'output' }, 80);
    requests.inc({ ...node, tokenmeter_finish_reason: 'stop' }, 1);
    active.dec(base);
  };
}

const VARIANTS = {
  llm: () => llmVariant(1),
  'llm-long-lived': llmLongLivedVariant,
  'llm-no-gc-tracking': () => llmVariant(1, { trackAbandoned: false }),
  'raw-inline': rawInlineVariant,
  'raw-cached': rawCachedVariant,
  'prom-client': promClientVariant,
  'llm-2-readers': () => llmVariant(2),
};
const NAMES = Object.keys(VARIANTS);
const RUNS = QUICK ? 1 : 3;

if (process.env.TOKENMETER_RECORD_CHILD) {
  // One whole interleaved comparison; the parent repeats it in fresh processes.
  const r = compareSync(
    NAMES.map((name) => ({ name, fn: VARIANTS[name]() })),
    QUICK ? { opsPerRound: 3000, rounds: 5 } : { opsPerRound: 20_000, rounds: 15 },
  );
  childResult(
    Object.fromEntries(
      NAMES.map((n) => [
        n,
        {
          median: r[n].median,
          p25: r[n].p25,
          p75: r[n].p75,
          vsInline: pairedRatio(r, n, 'raw-inline'),
          vsCached: pairedRatio(r, n, 'raw-cached'),
          vsProm: pairedRatio(r, n, 'prom-client'),
        },
      ]),
    ),
  );
  process.exit(0);
}

const runs = Array.from({ length: RUNS }, () => inChild(import.meta.url, { TOKENMETER_RECORD_CHILD: '1' }));
const med = (n, f) => median(runs.map((x) => x[n][f]));
const perRun = (n, f) => runs.map((x) => fmtX(x[n][f])).join(' / ');
const vsRawInline = med('llm', 'vsInline');
const vsRawCached = med('llm', 'vsCached');
const vsProm = med('llm', 'vsProm');
const label = {
  llm: '`@tokenmeter/llm` (default: abandoned-handle tracking on)',
  'llm-long-lived': '`@tokenmeter/llm`, requests outliving the nursery (each handle registered)',
  'llm-no-gc-tracking': '`@tokenmeter/llm`, `trackAbandoned: false`',
  'raw-inline': 'raw OTel SDK, attribute objects built per call',
  'raw-cached': 'raw OTel SDK, attribute objects built once (SDK floor)',
  'prom-client': 'prom-client 15 (same series and buckets)',
  'llm-2-readers': '`@tokenmeter/llm`, provider with 2 readers (e.g. Prometheus + OTLP)',
};
emit({
  id: 'record',
  title: '1. One client request recorded (7 measurements)',
  intro: `One streamed request: in-flight +1, time to first chunk, duration, input and output tokens, the requests counter, in-flight −1 — 7 SDK calls (5 series). Each variant writes the same series with the same buckets to its own provider/registry with one collect-only cumulative reader. All variants race in one process, interleaved round by round (ratio = median of per-round ratios); that whole comparison runs in ${RUNS} fresh processes and the table gives the median over them, with each process's ratio listed, because which variant V8 optimizes best shifts from process to process.`,
  tables: [
    {
      columns: ['variant', 'median per request', 'p25–p75', 'vs raw SDK (inline attrs)', 'per process'],
      rows: NAMES.map((n) => [
        label[n],
        fmtNs(med(n, 'median')),
        `${fmtNs(med(n, 'p25'))} – ${fmtNs(med(n, 'p75'))}`,
        fmtX(med(n, 'vsInline')),
        perRun(n, 'vsInline'),
      ]),
    },
  ],
  notes: [
    "Where the time goes (V8 CPU profile of the llm variant alone, Node 24, 3M requests): the SDK's `hashAttributes` (sort keys + `JSON.stringify`, once per record per reader) ~52%, its `HashMap.get` ~24%, `SyncInstrument._record` (incl. `Date.now()`) ~12%, GC ~5%; all of `@tokenmeter/llm` (handle, attribute-set cache lookups, guards, validation, 3 clock reads) ~5%. With a no-op MeterProvider a whole request through llm costs ~0.3 µs, 0.12 µs of it the three `performance.now()` reads that the raw variants make too.",
    "Most of the gap to raw calls was not in our own functions' self time (a whole request with a no-op provider costs ~0.3 µs) but showed up as the SDK's `hashAttributes`/`HashMap.get` running 10–20% slower per record when called from llm. Two causes were ours and are fixed: the instrument tables were V8 dictionary-mode objects (a hash lookup on every record), and startRequest() resolved five values through guards and the attribute-set tree on every call (it now reuses its last resolution while the values repeat). Together they took llm from 1.15–1.17× to the figure above; a minimal hand-written handle class (start/chunk/end methods, same records) measures 1.01–1.05×.",
    'Never-ended handles are released through a FinalizationRegistry, but a registry entry costs ~0.2–0.8 µs per request, so a new handle waits in a nursery of 256 and only handles still open at its sweep (when full, or after 1 s) are registered. Requests shorter than that never touch the registry; long ones pay once: compare the long-lived and `trackAbandoned: false` rows.',
    'The SDK record path is the floor: every OTel record hashes its attribute set, which prom-client does not do (it hashes a sorted label-value string), so ≤ 1.0× prom-client is not reachable through the OTel API.',
    'Each extra reader (e.g. Prometheus + OTLP, or OTLP alone, which adds the snapshot reader) hashes every record again: see the 2-reader row.',
  ],
  targets: [
    { name: 'llm ≤ 1.1× raw SDK (inline attributes)', measured: fmtX(vsRawInline), met: vsRawInline <= 1.1 },
    {
      name: 'llm ≤ 1.1× raw SDK (cached attributes, the floor)',
      measured: fmtX(vsRawCached),
      met: vsRawCached <= 1.1,
    },
    { name: 'llm ≤ 1.0× prom-client', measured: fmtX(vsProm), met: vsProm <= 1.0 },
  ],
  raw: runs,
});
