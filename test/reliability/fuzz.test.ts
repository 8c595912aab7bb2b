/**
 * 100k+ random calls over every public record API of @tokenmeter/llm, with
 * hostile values (NaN, BigInt, lone surrogates, throwing getters, revoked
 * proxies, circular objects…): no exception escapes, and the exposition still
 * passes `promtool check metrics`.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../packages/setup/test/helpers/promtool.js';

const hostileGetter = Object.defineProperty({}, 'model', {
  enumerable: true,
  get() {
    throw new Error('getter boom');
  },
});
const revoked = Proxy.revocable({}, {});
revoked.revoke();
const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;
const throwingProxy = new Proxy(
  {},
  {
    get() {
      throw new Error('proxy get');
    },
    has() {
      throw new Error('proxy has');
    },
    ownKeys() {
      throw new Error('proxy ownKeys');
    },
  },
);
const badToString = {
  toString() {
    throw new Error('toString');
  },
};

/**
 * Hostile objects travel through fast-check as markers (fast-check itself
 * inspects generated values, which a throwing proxy would break) and are
 * swapped in just before the call.
 */
class Hostile {
  constructor(readonly i: number) {}
}
const HOSTILE: unknown[] = [hostileGetter, revoked.proxy, circular, throwingProxy, badToString];
function real(v: unknown): unknown {
  if (v instanceof Hostile) return HOSTILE[v.i];
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = x instanceof Hostile ? HOSTILE[x.i] : x;
    return out;
  }
  return v;
}

/** Values that break naive code. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 0, max: HOSTILE.length - 1 }).map((i) => new Hostile(i)),
  fc.constantFrom(
    undefined,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    -1,
    0,
    1,
    2 ** 53,
    1e308,
    '',
    '_OTHER',
    'chat',
    'openai',
    'stop',
    true,
    false,
    Symbol('s'),
    () => 1,
    ['stop', 'length'],
    new Date(0),
  ),
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // lone surrogates, control characters
  fc.string({ minLength: 150, maxLength: 300 }), // longer than the 128-char guard
  fc.bigInt(),
);

const KEYS = [
  'operation',
  'provider',
  'requestModel',
  'responseModel',
  'serverAddress',
  'serverPort',
  'stream',
  'startTime',
  'modality',
  'worker',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'cacheWriteInputTokens',
  'reasoningTokens',
  'finishReason',
  'errorType',
  'cache',
  'hit',
  'error',
  'model',
  'durationS',
  'queue',
  'reason',
  'size',
  'paddingRatio',
  'runName',
  'loss',
  'learningRate',
  'gradNorm',
  'batchSize',
  'samples',
  'tokens',
  'forwardS',
  'backwardS',
  'optimizerS',
  'dataS',
  'epoch',
  'heap',
];
/** An options bag: a random subset of every option key, with weird values; or a weird value itself. */
const bag: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), weird, { maxKeys: 8 }) },
  { weight: 1, arbitrary: weird },
);

const API_COUNT = 19;
const call = fc.tuple(fc.integer({ min: 0, max: API_COUNT - 1 }), bag, weird, bag, fc.nat(6));

let calls = 0;
/** Runs one random API step; returns nothing, counts every public call made. */
function step(llm: LlmMetrics, [api, ga, gw, gb, n]: [number, unknown, unknown, unknown, number]): void {
  const a = real(ga);
  const w = real(gw);
  const b = real(gb);
  const any = llm as unknown as Record<string, (...args: unknown[]) => unknown>;
  const c = (fn: () => unknown) => {
    calls++;
    fn();
  };
  switch (api) {
    case 0:
    case 1: {
      calls++;
      const req = any.startRequest?.(a) as ReturnType<LlmMetrics['startRequest']>;
      for (let i = 0; i < n; i++) c(() => req.chunk());
      if (api === 0) c(() => req.end(b as never));
      else c(() => req.fail(w, b as never));
      c(() => req.abort(w)); // after the end: ignored
      break;
    }
    case 2: {
      calls++;
      const srv = llm.startServerRequest(a as never);
      c(() => srv.scheduled());
      for (let i = 0; i < n; i++) c(() => srv.token(w as never));
      c(() => srv.stage(w as never, n));
      c(() => srv.stage('tokenize', w as never));
      c(() => srv.time(w as never, () => n));
      c(() => (n % 2 ? srv.end(b as never) : srv.abort(w, b as never)));
      break;
    }
    case 3: {
      calls++;
      const run = llm.training(a as never);
      c(() => run.step(b as never));
      c(() => run.eval(a as never));
      c(() => run.time(w as never, () => n));
      c(() => run.end());
      break;
    }
    case 4:
      c(() => llm.trackOperation(a as never, () => n));
      break;
    case 5:
      c(() => llm.measure(w as never, () => n, b as never));
      break;
    case 6:
      c(() => llm.cacheLookup(a as never));
      break;
    case 7:
      c(() => llm.rateLimitWait(w as never, a as never));
      break;
    case 8:
      c(() => llm.retry(a as never));
      break;
    case 9:
      c(() => llm.modelLoad(a as never));
      break;
    case 10:
      c(() =>
        llm.circuitBreaker(w as never, (['closed', 'open', 'half_open', w][n % 4] ?? w) as never, a as never),
      );
      break;
    case 11:
      c(() => llm.queueWait(w as never, a as never));
      break;
    case 12:
      c(() => llm.queueRejected(a as never));
      break;
    case 13:
      c(() => llm.batch(a as never));
      break;
    case 14:
      c(() => llm.errorType(w));
      break;
    case 15: {
      calls++;
      const stop = llm.observeServer(() => a as never, b as never);
      if (n % 2 === 0) c(() => stop());
      break;
    }
    case 16:
      c(() => llm.startRequest(w as never).end(w as never));
      break;
    case 17:
      c(() => llm.startServerRequest(w as never).fail(w, w as never));
      break;
    default:
      c(() => llm.training(w as never).step(w as never));
  }
}

describe('fuzz: every public record API', () => {
  it('100k+ random calls with hostile values: nothing throws, the scrape stays valid for Prometheus', async () => {
    const h = registerMetrics({
      serviceName: 'fuzz',
      exporters: ['prometheus'],
      prometheus: { server: false },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    const shapes = [
      createLlmMetrics({ meterProvider: h.meterProvider, semconv: 'v1.41' }),
      createLlmMetrics({ meterProvider: h.meterProvider, semconv: 'latest_experimental' }),
      createLlmMetrics({
        meterProvider: h.meterProvider,
        models: { maxDistinct: 5, allow: (v) => v.length < 10 },
      }),
    ];
    // Not stored in the closure below: each generated case runs against one of the three.
    fc.assert(
      fc.property(fc.nat(2), fc.array(call, { minLength: 40, maxLength: 60 }), (which, steps) => {
        const llm = shapes[which] as LlmMetrics;
        for (const s of steps) {
          try {
            step(llm, s);
          } catch (error) {
            // Only the user's own function errors may propagate (measure/time rethrow them); none are thrown here.
            throw new Error(`an exception escaped api #${s[0]}: ${String(error)}`);
          }
        }
      }),
      { numRuns: 1000 },
    );
    expect(calls).toBeGreaterThanOrEqual(100_000);
    console.log(`fuzz: ${calls} public API calls`);

    const text = await h.prometheus?.scrape();
    expect(text).toContain('gen_ai_client_operation_duration_seconds_bucket');
    const check = promtoolCheckMetrics(text ?? '');
    expect(check.ok, check.output).toBe(true);
    await h.shutdown();
  }, 120_000);
});

describe('regressions found by the fuzzer', () => {
  it('measure() with unreadable options, and trackOperation() with a throwing getter, do not throw', async () => {
    const h = registerMetrics({
      exporters: ['prometheus'],
      prometheus: { server: false },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    const llm = createLlmMetrics({ meterProvider: h.meterProvider });
    const dead = Proxy.revocable({}, {});
    dead.revoke();
    expect(llm.measure('m', () => 7, dead.proxy as never)).toBe(7);
    expect(llm.measure('m', () => dead.proxy)).toBe(dead.proxy); // a result whose `then` cannot be read
    expect(llm.trackOperation(hostileGetter as never, () => 8)).toBe(8);
    const text = (await h.prometheus?.scrape()) ?? '';
    expect(text).toContain('tokenmeter_operation_duration_seconds_count');
    await h.shutdown();
  });
});
