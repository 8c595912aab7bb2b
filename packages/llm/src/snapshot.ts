/**
 * snapshot(): totals, recent rates and latency percentiles read from the
 * SDK's own aggregation (a cumulative collection), never from a second
 * bookkeeping path. Rates over a recent window come from a small ring of
 * earlier collections' totals kept per source; percentiles are interpolated
 * in the histogram buckets.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CollectionLike, DataPointLike, MetricDataLike, SnapshotSource } from './collection.js';
import type { Diagnostics } from './diagnostics.js';
import { definition, type InstrumentKey, type SemconvShape } from './instruments.js';
import { histogramQuantile } from './quantile.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_TM_FINISH_REASON,
  ATTR_TM_STAGE,
  ATTR_TM_TRAINING_MODEL,
  ATTR_TM_TRAINING_PHASE,
  ATTR_TM_TRAINING_RUN,
  ATTR_TM_TRAINING_SPLIT,
  METER_NAME,
  OTHER_VALUE,
} from './semconv.js';

/** Values recorded within `LlmSnapshot.windowS`: the same window as the rates. */
export interface WindowLatency {
  count: number;
  sum: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
}

export interface LatencySummary {
  /** Number of recorded values since start. */
  count: number;
  /** Sum of recorded values (seconds) since start. */
  sum: number;
  mean?: number;
  min?: number;
  max?: number;
  /** Percentiles since start. */
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  /**
   * The same over the recent window only (bucket increases since the
   * window's baseline collection, like PromQL's
   * `histogram_quantile(q, rate(x_bucket[w]))`): what a live view should
   * show, since lifetime percentiles stop moving after a while. Undefined
   * when no window could be computed (as for the rates) or the series was reset.
   */
  recent?: WindowLatency;
}

export interface ClientSummary {
  /** Finished calls (successful and failed). */
  requests: number;
  errors: number;
  errorsByType: Record<string, number>;
  finishReasons: Record<string, number>;
  activeRequests: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** Over `LlmSnapshot.windowS`. */
  requestsPerSecond?: number;
  inputTokensPerSecond?: number;
  outputTokensPerSecond?: number;
  duration: LatencySummary;
  timeToFirstChunk: LatencySummary;
  timePerOutputChunk: LatencySummary;
  /** `tokenmeter.gen_ai.client.cost` since start, US dollars (0 while nothing was priced). */
  costUsd: number;
  /** `tokenmeter.gen_ai.client.operation.cost`: the cost of each priced request, in US dollars. */
  costPerRequest: LatencySummary;
}

export interface ServerSummary {
  requests: number;
  errors: number;
  errorsByType: Record<string, number>;
  finishReasons: Record<string, number>;
  activeRequests: number;
  inputTokens: number;
  outputTokens: number;
  requestsPerSecond?: number;
  inputTokensPerSecond?: number;
  outputTokensPerSecond?: number;
  duration: LatencySummary;
  timeToFirstToken: LatencySummary;
  timePerOutputToken: LatencySummary;
  queue: LatencySummary;
  prefill: LatencySummary;
  decode: LatencySummary;
  stages: Record<string, LatencySummary>;
}

export interface TrainingSummary {
  run?: string;
  model?: string;
  steps: number;
  samples: number;
  tokens: number;
  evalSamples: number;
  evalTokens: number;
  stepsPerSecond?: number;
  samplesPerSecond?: number;
  tokensPerSecond?: number;
  loss?: number;
  evalLoss?: number;
  learningRate?: number;
  gradNorm?: number;
  epoch?: number;
  stepDuration: LatencySummary;
  phases: Record<string, LatencySummary>;
}

export interface LlmSnapshot {
  /** False when no source was available or collecting failed (`error` says why); totals are then zero. */
  ok: boolean;
  error?: string;
  /** Wall-clock time of the snapshot, ms since the epoch. */
  time: number;
  semconv: SemconvShape;
  /**
   * Length in seconds of the window the rates were computed over (from an
   * earlier collection of the same source, or from when the LlmMetrics
   * instance was created); undefined when no rate could be computed.
   */
  windowS?: number;
  client: { total: ClientSummary; byModel: Record<string, ClientSummary> };
  server: { total: ServerSummary; byModel: Record<string, ServerSummary> };
  training: TrainingSummary[];
}

export interface SnapshotOptions {
  /** Read from this source instead of the one given to createLlmMetrics({ collect }). */
  from?: SnapshotSource;
}

/** Model key used in `byModel` when a series has no model attribute. */
export const UNKNOWN_MODEL = '(unknown)';

// --- histogram accumulation ------------------------------------------------------

class Hist {
  boundaries: readonly number[] | undefined;
  counts: number[] = [];
  count = 0;
  sum = 0;
  min: number | undefined;
  max: number | undefined;

  add(v: unknown, d: Diagnostics): void {
    const h = toExplicit(v);
    if (!h) return;
    if (!this.boundaries) {
      this.boundaries = h.boundaries;
      this.counts = new Array<number>(h.counts.length).fill(0);
    } else if (!sameBoundaries(this.boundaries, h.boundaries)) {
      d.warn('snapshot', 'series of one metric have different bucket boundaries; some were skipped');
      return;
    }
    for (let i = 0; i < h.counts.length; i++) this.counts[i] = (this.counts[i] ?? 0) + (h.counts[i] ?? 0);
    this.count += h.count;
    this.sum += h.sum;
    if (h.min !== undefined) this.min = this.min === undefined ? h.min : Math.min(this.min, h.min);
    if (h.max !== undefined) this.max = this.max === undefined ? h.max : Math.max(this.max, h.max);
  }

  summary(): LatencySummary {
    const s: LatencySummary = { count: this.count, sum: this.sum };
    if (this.count === 0 || !this.boundaries) return s;
    if (this.min !== undefined) s.min = this.min;
    if (this.max !== undefined) s.max = this.max;
    fillPercentiles(s, this.boundaries, this.counts, this.min, this.max);
    return s;
  }

  /** What a later collection needs to compute this histogram's window. */
  state(): HistState | undefined {
    if (this.count === 0 || !this.boundaries) return undefined;
    return { boundaries: this.boundaries, counts: this.counts, count: this.count, sum: this.sum };
  }

  /**
   * The values recorded since `base` was taken. Lifetime min/max still bound
   * the interpolation: every value of the window lies between them.
   * Undefined when the histogram was reset or re-bucketed since `base`.
   */
  since(base: HistState | undefined): WindowLatency | undefined {
    const count = this.count - (base?.count ?? 0);
    const sum = this.sum - (base?.sum ?? 0);
    if (count < 0) return undefined;
    const w: WindowLatency = { count, sum };
    if (count === 0 || !this.boundaries) return w;
    let counts = this.counts;
    if (base) {
      if (!sameBoundaries(base.boundaries, this.boundaries)) return undefined;
      counts = this.counts.map((c, i) => c - (base.counts[i] ?? 0));
      if (counts.some((c) => c < 0)) return undefined;
    }
    fillPercentiles(w, this.boundaries, counts, this.min, this.max);
    return w;
  }
}

/** A latency histogram's cumulative buckets as of one collection. */
interface HistState {
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

function fillPercentiles(
  into: WindowLatency,
  boundaries: readonly number[],
  counts: readonly number[],
  min: number | undefined,
  max: number | undefined,
): void {
  into.mean = into.sum / into.count;
  into.p50 = histogramQuantile(0.5, boundaries, counts, min, max);
  into.p90 = histogramQuantile(0.9, boundaries, counts, min, max);
  into.p95 = histogramQuantile(0.95, boundaries, counts, min, max);
  into.p99 = histogramQuantile(0.99, boundaries, counts, min, max);
}

interface Explicit {
  boundaries: readonly number[];
  counts: readonly number[];
  count: number;
  sum: number;
  min?: number;
  max?: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Explicit-bucket histogram values as is; exponential ones converted to explicit boundaries. */
function toExplicit(v: unknown): Explicit | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as {
    buckets?: { boundaries?: unknown; counts?: unknown };
    count?: unknown;
    sum?: unknown;
    min?: unknown;
    max?: unknown;
    scale?: unknown;
    zeroCount?: unknown;
    positive?: { offset?: unknown; bucketCounts?: unknown };
  };
  const count = num(o.count) ?? 0;
  const sum = num(o.sum) ?? 0;
  const min = num(o.min);
  const max = num(o.max);
  const extra = { count, sum, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  if (o.buckets && Array.isArray(o.buckets.boundaries) && Array.isArray(o.buckets.counts)) {
    return { boundaries: o.buckets.boundaries as number[], counts: o.buckets.counts as number[], ...extra };
  }
  const scale = num(o.scale);
  if (scale !== undefined && o.positive && Array.isArray(o.positive.bucketCounts)) {
    // Bucket k covers (base^k, base^(k+1)]; the zero bucket goes below the first boundary.
    const base = 2 ** (2 ** -scale);
    const offset = num(o.positive.offset) ?? 0;
    const bc = o.positive.bucketCounts as number[];
    const boundaries: number[] = [];
    for (let k = 0; k <= bc.length; k++) boundaries.push(base ** (offset + k));
    return { boundaries, counts: [num(o.zeroCount) ?? 0, ...bc, 0], ...extra };
  }
  return undefined;
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// --- summaries --------------------------------------------------------------------

interface ClientAcc {
  s: ClientSummary;
  duration: Hist;
  ttfc: Hist;
  tpoc: Hist;
  cost: Hist;
}
interface ServerAcc {
  s: ServerSummary;
  duration: Hist;
  ttft: Hist;
  tpot: Hist;
  queue: Hist;
  prefill: Hist;
  decode: Hist;
  stages: Map<string, Hist>;
}
interface TrainAcc {
  s: TrainingSummary;
  step: Hist;
  phases: Map<string, Hist>;
}

function emptyLatency(): LatencySummary {
  return { count: 0, sum: 0 };
}

function newClient(): ClientAcc {
  return {
    s: {
      requests: 0,
      errors: 0,
      errorsByType: {},
      finishReasons: {},
      activeRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      duration: emptyLatency(),
      timeToFirstChunk: emptyLatency(),
      timePerOutputChunk: emptyLatency(),
      costUsd: 0,
      costPerRequest: emptyLatency(),
    },
    duration: new Hist(),
    ttfc: new Hist(),
    tpoc: new Hist(),
    cost: new Hist(),
  };
}

function newServer(): ServerAcc {
  return {
    s: {
      requests: 0,
      errors: 0,
      errorsByType: {},
      finishReasons: {},
      activeRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      duration: emptyLatency(),
      timeToFirstToken: emptyLatency(),
      timePerOutputToken: emptyLatency(),
      queue: emptyLatency(),
      prefill: emptyLatency(),
      decode: emptyLatency(),
      stages: {},
    },
    duration: new Hist(),
    ttft: new Hist(),
    tpot: new Hist(),
    queue: new Hist(),
    prefill: new Hist(),
    decode: new Hist(),
    stages: new Map(),
  };
}

function str(a: Attributes, key: string): string | undefined {
  const v = a[key];
  return typeof v === 'string' ? v : undefined;
}

function modelOf(a: Attributes): string {
  return str(a, ATTR_GEN_AI_REQUEST_MODEL) ?? str(a, ATTR_GEN_AI_RESPONSE_MODEL) ?? UNKNOWN_MODEL;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

function bump(rec: Record<string, number>, key: string | undefined, by: number): void {
  if (key === undefined) return;
  rec[key] = (rec[key] ?? 0) + by;
}

type MetricHandler = (p: DataPointLike) => void;

/** A summarised histogram and where its window goes, keyed like the rate targets. */
interface LatencyTarget {
  readonly key: string;
  readonly hist: Hist;
  readonly out: LatencySummary;
}

// Keys of the per-source ring: side, then model or run (totals get a key no model can have).
const totalKey = (side: string) => `${side}\u0001`;
const modelKey = (side: string, model: string) => `${side}\u0000${model}\u0000`;
const runKey = (t: { run?: string; model?: string }) => `t\u0000${t.run ?? ''}\u0000${t.model ?? ''}\u0000`;

/**
 * Pure: summarises one collection (rates and windows are added by the
 * Snapshotter, which passes `latencies` to learn every histogram summarised).
 */
export function summarize(
  collection: CollectionLike,
  shape: SemconvShape,
  d: Diagnostics,
  latencies?: LatencyTarget[],
): Pick<LlmSnapshot, 'client' | 'server' | 'training'> {
  const clientTotal = newClient();
  const clientByModel = new Map<string, ClientAcc>();
  const serverTotal = newServer();
  const serverByModel = new Map<string, ServerAcc>();
  const training = new Map<string, TrainAcc>();

  /** Feeds a point to the side's total and to its model's accumulator. */
  const side =
    <A>(total: A, byModel: Map<string, A>, create: () => A) =>
    (p: DataPointLike, f: (acc: A) => void) => {
      f(total);
      f(getOrCreate(byModel, modelOf(p.attributes), create));
    };
  const client = side(clientTotal, clientByModel, newClient);
  const server = side(serverTotal, serverByModel, newServer);
  const train = (p: DataPointLike, f: (acc: TrainAcc) => void) => {
    const run = str(p.attributes, ATTR_TM_TRAINING_RUN);
    const model = str(p.attributes, ATTR_TM_TRAINING_MODEL);
    f(
      getOrCreate(training, `${run ?? ''}\u0000${model ?? ''}`, () => {
        const s: TrainingSummary = {
          steps: 0,
          samples: 0,
          tokens: 0,
          evalSamples: 0,
          evalTokens: 0,
          stepDuration: emptyLatency(),
          phases: {},
        };
        if (run !== undefined) s.run = run;
        if (model !== undefined) s.model = model;
        return { s, step: new Hist(), phases: new Map() };
      }),
    );
  };
  const value = (p: DataPointLike) => num(p.value) ?? 0;
  const hcount = (p: DataPointLike) => num((p.value as { count?: unknown } | null)?.count) ?? 0;
  const hsum = (p: DataPointLike) => num((p.value as { sum?: unknown } | null)?.sum) ?? 0;
  const isEval = (p: DataPointLike) => str(p.attributes, ATTR_TM_TRAINING_SPLIT) === 'eval';

  // Handler builders: each instrument either adds its value to a summary
  // field, keeps its last value, or folds its histogram into an accumulator.
  type Num<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];
  type HistOf<A> = { [K in keyof A]-?: A[K] extends Hist ? K : never }[keyof A];
  const clientAdd =
    (field: Num<ClientSummary>): MetricHandler =>
    (p) =>
      client(p, (a) => {
        a.s[field] += value(p);
      });
  const serverAdd =
    (field: Num<ServerSummary>): MetricHandler =>
    (p) =>
      server(p, (a) => {
        a.s[field] += value(p);
      });
  const clientHist =
    (h: HistOf<ClientAcc>): MetricHandler =>
    (p) =>
      client(p, (a) => a[h].add(p.value, d));
  const serverHist =
    (h: HistOf<ServerAcc>): MetricHandler =>
    (p) =>
      server(p, (a) => a[h].add(p.value, d));
  /** Training counters split by `tokenmeter.training.split`: eval into their own field. */
  const trainAdd =
    (field: 'steps' | 'samples' | 'tokens', evalField?: 'evalSamples' | 'evalTokens'): MetricHandler =>
    (p) =>
      train(p, (a) => {
        a.s[evalField && isEval(p) ? evalField : field] += value(p);
      });
  const trainLast =
    (field: 'loss' | 'learningRate' | 'gradNorm' | 'epoch', evalField?: 'evalLoss'): MetricHandler =>
    (p) =>
      train(p, (a) => {
        a.s[evalField && isEval(p) ? evalField : field] = value(p);
      });
  /** A histogram keyed by one attribute (stage, phase) inside an accumulator's map. */
  const byAttr = (map: Map<string, Hist>, attr: string, p: DataPointLike) =>
    getOrCreate(map, str(p.attributes, attr) ?? OTHER_VALUE, () => new Hist()).add(p.value, d);
  const finishReasons = (p: DataPointLike) => (a: ClientAcc | ServerAcc) =>
    bump(a.s.finishReasons, str(p.attributes, ATTR_TM_FINISH_REASON) ?? 'unknown', value(p));
  const errors = (p: DataPointLike) => (a: ClientAcc | ServerAcc) => {
    a.s.errors += value(p);
    bump(a.s.errorsByType, str(p.attributes, ATTR_ERROR_TYPE) ?? OTHER_VALUE, value(p));
  };

  const clientDuration: MetricHandler = (p) =>
    client(p, (a) => {
      a.s.requests += hcount(p);
      a.duration.add(p.value, d);
    });

  const handlers = new Map<InstrumentKey, MetricHandler>([
    ['clientOperationDuration', clientDuration],
    ['clientInferenceDuration', clientDuration],
    ['invokeWorkflowDuration', clientDuration],
    ['clientTimeToFirstChunk', clientHist('ttfc')],
    ['clientInferenceTimeToFirstChunk', clientHist('ttfc')],
    ['clientTimePerOutputChunk', clientHist('tpoc')],
    ['clientInferenceTimePerOutputChunk', clientHist('tpoc')],
    [
      'clientTokenUsage',
      (p) =>
        client(p, (a) => {
          const t = str(p.attributes, ATTR_GEN_AI_TOKEN_TYPE);
          if (t === 'input') a.s.inputTokens += hsum(p);
          else if (t === 'output') a.s.outputTokens += hsum(p);
        }),
    ],
    ['usageInputTokens', clientAdd('inputTokens')],
    ['usageOutputTokens', clientAdd('outputTokens')],
    ['usageCacheReadInputTokens', clientAdd('cachedInputTokens')],
    ['tmCacheReadInputTokens', clientAdd('cachedInputTokens')],
    ['usageReasoningOutputTokens', clientAdd('reasoningTokens')],
    ['tmReasoningOutputTokens', clientAdd('reasoningTokens')],
    ['clientActiveRequests', clientAdd('activeRequests')],
    ['clientCost', clientAdd('costUsd')],
    ['clientOperationCost', clientHist('cost')],
    ['clientRequests', (p) => client(p, finishReasons(p))],
    ['clientErrors', (p) => client(p, errors(p))],
    [
      'serverRequestDuration',
      (p) =>
        server(p, (a) => {
          a.s.requests += hcount(p);
          a.duration.add(p.value, d);
        }),
    ],
    ['serverTimeToFirstToken', serverHist('ttft')],
    ['serverTimePerOutputToken', serverHist('tpot')],
    ['serverQueueDuration', serverHist('queue')],
    ['serverPrefillDuration', serverHist('prefill')],
    ['serverDecodeDuration', serverHist('decode')],
    ['serverStageDuration', (p) => server(p, (a) => byAttr(a.stages, ATTR_TM_STAGE, p))],
    ['serverInputTokens', serverAdd('inputTokens')],
    ['serverOutputTokens', serverAdd('outputTokens')],
    ['serverActiveRequests', serverAdd('activeRequests')],
    ['serverRequests', (p) => server(p, finishReasons(p))],
    ['serverErrors', (p) => server(p, errors(p))],
    ['trainingSteps', trainAdd('steps')],
    ['trainingSamples', trainAdd('samples', 'evalSamples')],
    ['trainingTokens', trainAdd('tokens', 'evalTokens')],
    ['trainingLoss', trainLast('loss', 'evalLoss')],
    ['trainingLearningRate', trainLast('learningRate')],
    ['trainingGradNorm', trainLast('gradNorm')],
    ['trainingEpoch', trainLast('epoch')],
    ['trainingStepDuration', (p) => train(p, (a) => a.step.add(p.value, d))],
    ['trainingPhaseDuration', (p) => train(p, (a) => byAttr(a.phases, ATTR_TM_TRAINING_PHASE, p))],
  ]);
  const byName = new Map<string, MetricHandler>();
  for (const [key, h] of handlers) {
    const def = definition(key);
    if (def.shapes.includes(shape)) byName.set(def.name, h);
  }

  const rms = Array.isArray(collection.resourceMetrics)
    ? (collection.resourceMetrics as CollectionLike['resourceMetrics'][])
    : [collection.resourceMetrics];
  for (const rm of rms as { scopeMetrics?: unknown }[]) {
    if (!rm || !Array.isArray(rm.scopeMetrics)) continue;
    for (const sm of rm.scopeMetrics as { scope?: { name?: unknown }; metrics?: unknown }[]) {
      // Another instrumentation (OTel contrib's openai) may use the same
      // gen_ai names; mixing them in would double count.
      if (sm?.scope?.name !== METER_NAME || !Array.isArray(sm.metrics)) continue;
      for (const m of sm.metrics as MetricDataLike[]) {
        const h = byName.get(m?.descriptor?.name);
        if (!h || !Array.isArray(m.dataPoints)) continue;
        if (m.aggregationTemporality === 0) {
          d.warn(
            'snapshot',
            'snapshot() needs a cumulative collection; delta points only cover one interval',
          );
        }
        for (const p of m.dataPoints) if (p?.attributes) h(p);
      }
    }
  }

  const summary = (key: string, hist: Hist): LatencySummary => {
    const out = hist.summary();
    latencies?.push({ key, hist, out });
    return out;
  };
  const finishClient = (a: ClientAcc, k: string): ClientSummary => {
    a.s.duration = summary(`${k}duration`, a.duration);
    a.s.timeToFirstChunk = summary(`${k}ttfc`, a.ttfc);
    a.s.timePerOutputChunk = summary(`${k}tpoc`, a.tpoc);
    a.s.costPerRequest = summary(`${k}cost`, a.cost);
    return a.s;
  };
  const finishServer = (a: ServerAcc, k: string): ServerSummary => {
    a.s.duration = summary(`${k}duration`, a.duration);
    a.s.timeToFirstToken = summary(`${k}ttft`, a.ttft);
    a.s.timePerOutputToken = summary(`${k}tpot`, a.tpot);
    a.s.queue = summary(`${k}queue`, a.queue);
    a.s.prefill = summary(`${k}prefill`, a.prefill);
    a.s.decode = summary(`${k}decode`, a.decode);
    for (const [stage, h] of a.stages) a.s.stages[stage] = summary(`${k}stage\u0000${stage}`, h);
    return a.s;
  };
  const clientModels: Record<string, ClientSummary> = {};
  for (const [m, a] of clientByModel) clientModels[m] = finishClient(a, modelKey('c', m));
  const serverModels: Record<string, ServerSummary> = {};
  for (const [m, a] of serverByModel) serverModels[m] = finishServer(a, modelKey('s', m));
  const trainingOut: TrainingSummary[] = [];
  for (const a of training.values()) {
    const k = runKey(a.s);
    a.s.stepDuration = summary(`${k}step`, a.step);
    for (const [phase, h] of a.phases) a.s.phases[phase] = summary(`${k}phase\u0000${phase}`, h);
    trainingOut.push(a.s);
  }
  return {
    client: { total: finishClient(clientTotal, totalKey('c')), byModel: clientModels },
    server: { total: finishServer(serverTotal, totalKey('s')), byModel: serverModels },
    training: trainingOut,
  };
}

// --- rates over a recent window ------------------------------------------------------

interface Sample {
  readonly t: number;
  readonly values: ReadonlyMap<string, number>;
  /** Latency histograms with data, by key: the baselines of the windowed percentiles. */
  readonly hists: ReadonlyMap<string, HistState>;
}

type RateTarget = { key: string; get: () => number; set: (rate: number) => void };

function rateTargets(s: Pick<LlmSnapshot, 'client' | 'server' | 'training'>): RateTarget[] {
  const out: RateTarget[] = [];
  /** A per-second rate of the cumulative `total` field, written to `rate`. */
  const rate = <T extends object>(key: string, o: T, total: keyof T, rateField: keyof T) =>
    out.push({
      key,
      get: () => o[total] as number,
      set: (r) => {
        (o as Record<keyof T, unknown>)[rateField] = r;
      },
    });
  const requests = (prefix: string, c: ClientSummary | ServerSummary) => {
    rate(`${prefix}req`, c, 'requests', 'requestsPerSecond');
    rate(`${prefix}in`, c, 'inputTokens', 'inputTokensPerSecond');
    rate(`${prefix}out`, c, 'outputTokens', 'outputTokensPerSecond');
  };
  requests(totalKey('c'), s.client.total);
  for (const [m, c] of Object.entries(s.client.byModel)) requests(modelKey('c', m), c);
  requests(totalKey('s'), s.server.total);
  for (const [m, c] of Object.entries(s.server.byModel)) requests(modelKey('s', m), c);
  for (const t of s.training) {
    const p = runKey(t);
    rate(`${p}steps`, t, 'steps', 'stepsPerSecond');
    rate(`${p}samples`, t, 'samples', 'samplesPerSecond');
    rate(`${p}tokens`, t, 'tokens', 'tokensPerSecond');
  }
  return out;
}

// Each sample holds every latency histogram's buckets (~16 numbers per model
// and histogram), so the ring is short: the window then starts up to
// windowS / MAX_SAMPLES earlier than asked, and `windowS` says by how much.
const MAX_SAMPLES = 16;

/** Keeps recent totals per source and turns a collection into an LlmSnapshot. */
export class Snapshotter {
  private readonly rings = new WeakMap<object, Sample[]>();

  constructor(
    private readonly shape: SemconvShape,
    private readonly d: Diagnostics,
    private readonly now: () => number,
    /** Rate window in seconds. */
    private readonly windowS: number,
    /** Clock reading when the LlmMetrics instance was created: the zero baseline. */
    private readonly createdAt: number,
  ) {}

  async snapshot(source: SnapshotSource | undefined): Promise<LlmSnapshot> {
    const time = Date.now();
    if (!source)
      return this.empty(time, 'no source: pass createLlmMetrics({ collect }) or snapshot({ from })');
    let collection: CollectionLike;
    try {
      collection =
        typeof source === 'function'
          ? await source()
          : await (source as { collect(): Promise<CollectionLike> | CollectionLike }).collect();
    } catch (err) {
      this.d.warn('snapshot', `collect() failed: ${String(err)}`);
      return this.empty(time, `collect() failed: ${String(err)}`);
    }
    try {
      if (!collection || typeof collection !== 'object' || !('resourceMetrics' in collection)) {
        return this.empty(time, 'collect() returned no resourceMetrics');
      }
      const t = this.now();
      const latencies: LatencyTarget[] = [];
      const s = summarize(collection, this.shape, this.d, latencies);
      const targets = rateTargets(s);
      const ring = this.ring(source);
      const base = this.baseline(ring, t);
      let windowS: number | undefined;
      if (base && t > base.t) {
        windowS = (t - base.t) / 1000;
        for (const r of targets) {
          const delta = r.get() - (base.values.get(r.key) ?? 0);
          // A negative delta means the source was reset: no honest rate.
          if (delta >= 0) r.set(delta / (windowS as number));
        }
        for (const l of latencies) {
          const recent = l.hist.since(base.hists.get(l.key));
          if (recent) l.out.recent = recent;
        }
      }
      this.push(ring, t, targets, latencies);
      const out: LlmSnapshot = { ok: true, time, semconv: this.shape, ...s };
      if (windowS !== undefined) out.windowS = windowS;
      return out;
    } catch (err) {
      this.d.warn('internal-error', `snapshot(): ${String(err)}`);
      return this.empty(time, `snapshot failed: ${String(err)}`);
    }
  }

  private ring(source: object): Sample[] {
    let ring = this.rings.get(source);
    if (!ring) {
      ring = [{ t: this.createdAt, values: new Map(), hists: new Map() }];
      this.rings.set(source, ring);
    }
    return ring;
  }

  /** The newest sample at or before the window start, else the oldest one (a shorter window). */
  private baseline(ring: readonly Sample[], t: number): Sample | undefined {
    const from = t - this.windowS * 1000;
    let base = ring[0];
    for (const s of ring) {
      if (s.t > from) break;
      base = s;
    }
    return base;
  }

  private push(
    ring: Sample[],
    t: number,
    targets: readonly RateTarget[],
    latencies: readonly LatencyTarget[],
  ): void {
    const last = ring[ring.length - 1];
    // Frequent snapshots would fill the ring with near-duplicates.
    if (last && t - last.t < (this.windowS * 1000) / MAX_SAMPLES) return;
    const values = new Map<string, number>();
    for (const r of targets) values.set(r.key, r.get());
    // Each collection's Hist arrays are fresh, so they are kept without a copy.
    const hists = new Map<string, HistState>();
    for (const l of latencies) {
      const state = l.hist.state();
      if (state) hists.set(l.key, state);
    }
    ring.push({ t, values, hists });
    const from = t - this.windowS * 1000;
    // Keep one sample at or before the window start so the window stays full.
    while (ring.length > 1 && (ring[1] as Sample).t <= from) ring.shift();
    while (ring.length > MAX_SAMPLES) ring.shift();
  }

  private empty(time: number, error: string): LlmSnapshot {
    const e = summarize({ resourceMetrics: [] }, this.shape, this.d);
    return { ok: false, error, time, semconv: this.shape, ...e };
  }
}
