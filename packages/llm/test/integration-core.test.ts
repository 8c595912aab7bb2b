import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { ClientRequest } from '../src/index.js';
import {
  Call,
  finiteNumber,
  hasContent,
  isAsyncIterable,
  isObject,
  isThenable,
  nonEmptyString,
  observeAsyncIterable,
  observeIterator,
  observeReadableStream,
  observeResult,
  observeStreamInPlace,
  PatchRegistry,
  RunRegistry,
  readTokenUsage,
  runCall,
  telemetryGuard,
  valueAt,
  wrapCall,
} from '../src/integration/index.js';
import { hist, points, type Rig, rig } from './helpers.js';

// The core is exercised end to end by every integration's contract suite
// (real SDKs over HTTP); these tests pin the parts no SDK reaches on its
// own: foreign thenables, plain iterables, callback runs, patch bookkeeping.

const telemetry = telemetryGuard('@tokenmeter/llm-test');

/** Captures diag warnings, every argument of each (a component logger puts its namespace first). */
function captureDiag(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const log = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  const logger: DiagLogger = { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { warnings, restore: () => diag.disable() };
}
const DURATION = 'gen_ai.client.operation.duration';
const TTFC = 'gen_ai.client.operation.time_to_first_chunk';
const TPOC = 'gen_ai.client.operation.time_per_output_chunk';

/** The real clock: wrapCall stamps calls with performance.now(). */
const realRig = () => rig({ now: () => performance.now() });

function start(r: Rig, stream = true): ClientRequest {
  return r.llm.startRequest({ operation: 'chat', provider: 'acme', requestModel: 'm', stream });
}

/** Durations by error.type (`ok` for none), with their counts. */
async function outcomes(r: Rig): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of points(await r.metric(DURATION))) {
    const key = String(p.attributes['error.type'] ?? 'ok');
    out[key] = (out[key] ?? 0) + hist(p).count;
  }
  return out;
}

async function chunks(r: Rig): Promise<{ ttfc: number; tpoc: number }> {
  const count = async (name: string) => points(await r.metric(name)).reduce((a, p) => a + hist(p).count, 0);
  return { ttfc: await count(TTFC), tpoc: await count(TPOC) };
}

async function* generate<T>(items: T[], fail?: Error): AsyncGenerator<T> {
  for (const item of items) yield item;
  if (fail) throw fail;
}

describe('Call', () => {
  it('finalises once: the first of end, fail and abort wins', async () => {
    const r = rig();
    const call = new Call(start(r), telemetry);
    call.item('a');
    call.item('b');
    expect(call.end()).toBe(true);
    expect(call.fail(new Error('late'))).toBe(false);
    expect(call.abort('late')).toBe(false);
    expect(call.done).toBe(true);
    call.chunk();
    expect(await outcomes(r)).toEqual({ ok: 1 });
    expect(await chunks(r)).toEqual({ ttfc: 1, tpoc: 1 });
  });

  it('passes what the provider reported to the handle', async () => {
    const r = rig();
    const call = new Call(start(r, false), telemetry);
    Object.assign(call.info, {
      responseModel: 'm-1',
      inputTokens: 3,
      outputTokens: 4,
      finishReason: 'length',
    });
    call.complete();
    const d = points(await r.metric(DURATION));
    expect(d.map((p) => p.attributes['gen_ai.response.model'])).toEqual(['m-1']);
    const usage = points(await r.metric('gen_ai.client.token.usage'));
    expect(usage.map((p) => [p.attributes['gen_ai.token.type'], hist(p).sum]).sort()).toEqual([
      ['input', 3],
      ['output', 4],
    ]);
    const requests = points(await r.metric('tokenmeter.gen_ai.client.requests'));
    expect(requests.map((p) => p.attributes['tokenmeter.finish_reason'])).toEqual(['length']);
  });

  it('error.type: given, else the subclass, else llm; `aborted` goes the abort way; a throwing classifier falls back to llm', async () => {
    class Classifying extends Call {
      constructor(
        request: ClientRequest,
        private readonly type: () => string | undefined,
      ) {
        super(request, telemetry);
      }
      protected override errorType(): string | undefined {
        return this.type();
      }
    }
    const r = rig();
    new Classifying(start(r), () => 'ignored').fail(new Error('x'), 'given');
    new Classifying(start(r), () => '503').fail(new Error('x'));
    new Classifying(start(r), () => undefined).fail(new RangeError('x'));
    new Classifying(start(r), () => 'aborted').fail(new Error('x'));
    const diag = captureDiag();
    try {
      new Classifying(start(r), () => {
        throw new Error('classifier bug');
      }).fail(new TypeError('x'));
    } finally {
      diag.restore();
    }
    expect(await outcomes(r)).toEqual({ given: 1, '503': 1, RangeError: 1, aborted: 1, TypeError: 1 });
    expect(diag.warnings.some((w) => w.includes('errorType'))).toBe(true);
  });

  it('watch(): aborts when the signal fires, with its reason; a timeout stays timeout; the listener goes with the call', async () => {
    const r = rig();
    const ac = new AbortController();
    const call = new Call(start(r), telemetry);
    call.watch(ac.signal);
    ac.abort();
    expect(call.done).toBe(true);
    const timedOut = new Call(start(r), telemetry);
    timedOut.watch(AbortSignal.abort(new DOMException('t', 'TimeoutError')));
    expect(timedOut.done).toBe(true);
    // An error after the watched signal fired is the abort, not a failure.
    const ac2 = new AbortController();
    const later = new Call(start(r), telemetry);
    later.watch(ac2.signal);
    later.end();
    ac2.abort();
    expect(await outcomes(r)).toEqual({ aborted: 1, timeout: 1, ok: 1 });
  });
});

describe('observeIterator', () => {
  it('reports items, the end, and forwards what the consumer passes', async () => {
    const r = rig();
    const call = new Call(start(r), telemetry);
    const seen: unknown[] = [];
    const source: AsyncIterator<number> = {
      n: 0,
      next(...args: unknown[]) {
        seen.push(args);
        const self = this as unknown as { n: number };
        self.n++;
        return Promise.resolve(
          self.n <= 2 ? { done: false, value: self.n } : { done: true, value: undefined },
        );
      },
    } as unknown as AsyncIterator<number>;
    const it = observeIterator(source, call);
    expect(await it.next()).toEqual({ done: false, value: 1 });
    expect(await it.next('x')).toEqual({ done: false, value: 2 });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(seen).toEqual([[], ['x'], []]);
    expect(call.done).toBe(true);
    expect(await outcomes(r)).toEqual({ ok: 1 });
    expect(await chunks(r)).toEqual({ ttfc: 1, tpoc: 1 });
  });

  it('an error fails the call and still reaches the consumer; return() is an abort', async () => {
    const r = rig();
    const failing = observeIterator(generate([1], new Error('boom')), new Call(start(r), telemetry));
    await failing.next();
    await expect(failing.next()).rejects.toThrow('boom');
    const stopped = observeIterator(generate([1, 2, 3]), new Call(start(r), telemetry));
    for await (const v of stopped) if (v === 1) break;
    expect(await outcomes(r)).toEqual({ Error: 1, aborted: 1 });
  });

  it('a stream that ends quietly after its signal aborted is an abort, not a success', async () => {
    const r = rig();
    const ac = new AbortController();
    const it = observeIterator(generate([1, 2]), new Call(start(r), telemetry), ac.signal);
    await it.next();
    ac.abort(); // an SDK that ends an aborted stream without an error
    await it.next();
    await it.next();
    expect(await outcomes(r)).toEqual({ aborted: 1 });
  });
});

describe('observeStreamInPlace and observeAsyncIterable', () => {
  it('observes a stream object in place, once, and leaves a second consumption to the source', async () => {
    const r = rig();
    const stream = {
      items: [1, 2, 3],
      [Symbol.asyncIterator]() {
        return generate(this.items);
      },
    };
    const call = new Call(start(r), telemetry);
    expect(observeStreamInPlace(stream, Symbol.asyncIterator, call)).toBe(true);
    expect(observeStreamInPlace(stream, Symbol.asyncIterator, call)).toBe(true); // a no-op
    expect(observeStreamInPlace({}, 'iterator', call)).toBe(false);
    const got: number[] = [];
    for await (const v of stream) got.push(v);
    for await (const v of stream) got.push(v);
    expect(got).toEqual([1, 2, 3, 1, 2, 3]);
    expect(await chunks(r)).toEqual({ ttfc: 1, tpoc: 2 });
    expect(await outcomes(r)).toEqual({ ok: 1 });
  });

  it('an async generator comes back as an iterator (next() still works); another iterable is observed lazily', async () => {
    const r = rig();
    const observed = observeAsyncIterable(generate(['a', 'b']), new Call(start(r), telemetry));
    const gen = observed as unknown as AsyncIterator<string>;
    expect(await gen.next()).toEqual({ done: false, value: 'a' });
    expect(await gen.next()).toEqual({ done: false, value: 'b' });
    expect(await gen.next()).toEqual({ done: true, value: undefined });
    let made = 0;
    const lazy = observeAsyncIterable(
      {
        [Symbol.asyncIterator]() {
          made++;
          return generate([1]);
        },
      },
      new Call(start(r), telemetry),
    );
    expect(made).toBe(0);
    for await (const _ of lazy) {
    }
    expect(await outcomes(r)).toEqual({ ok: 2 });
  });
});

describe('observeReadableStream', () => {
  const source = (items: string[], fail?: Error) =>
    new ReadableStream<string>({
      start(c) {
        for (const i of items) c.enqueue(i);
        if (fail) c.error(fail);
        else c.close();
      },
    });

  it('passes items through and reports them, the end, an error and a cancel', async () => {
    const r = rig();
    const read = async (s: ReadableStream<string>) => {
      const got: string[] = [];
      for await (const v of s) got.push(v);
      return got;
    };
    expect(await read(observeReadableStream(source(['a', 'b']), new Call(start(r), telemetry)))).toEqual([
      'a',
      'b',
    ]);
    await expect(
      read(observeReadableStream(source(['a'], new Error('cut')), new Call(start(r), telemetry))),
    ).rejects.toThrow('cut');
    const cancelled = observeReadableStream(source(['a', 'b']), new Call(start(r), telemetry)).getReader();
    await cancelled.read();
    await cancelled.cancel('enough');
    expect(await outcomes(r)).toEqual({ ok: 1, Error: 1, aborted: 1 });
  });
});

describe('runCall, observeResult and wrapCall', () => {
  class Replacing extends Call {
    override resolved(value: unknown): unknown {
      this.complete();
      return { wrapped: value };
    }
  }

  it('a synchronous value and a native promise are handed to resolved(), whose value the caller gets', async () => {
    const r = rig();
    expect(runCall(new Replacing(start(r, false), telemetry), () => 1)).toEqual({ wrapped: 1 });
    expect(await runCall(new Replacing(start(r, false), telemetry), () => Promise.resolve(2))).toEqual({
      wrapped: 2,
    });
    expect(await outcomes(r)).toEqual({ ok: 2 });
  });

  it('a foreign thenable is returned as is and observed in place; its rejection fails the call', async () => {
    const r = rig();
    class SdkPromise<T> implements PromiseLike<T> {
      constructor(private readonly p: Promise<T>) {}
      extra() {
        return 'kept';
      }
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, like SDK promise classes
      then<A = T, B = never>(
        ok?: ((v: T) => A | PromiseLike<A>) | null,
        ko?: ((e: unknown) => B | PromiseLike<B>) | null,
      ) {
        return this.p.then(ok, ko);
      }
    }
    const ok = new SdkPromise(Promise.resolve(1));
    expect(observeResult(new Replacing(start(r, false), telemetry), ok)).toBe(ok);
    expect(await ok).toBe(1); // in place: a replacement cannot reach this caller
    const ko = new SdkPromise(Promise.reject(new RangeError('no')));
    const returned = observeResult(new Call(start(r, false), telemetry), ko) as SdkPromise<number>;
    expect(returned.extra()).toBe('kept');
    await expect(returned).rejects.toThrow('no');
    await new Promise((res) => setTimeout(res, 0));
    expect(await outcomes(r)).toEqual({ ok: 1, RangeError: 1 });
  });

  it('wrapCall: the clock starts at the call, the starter may rewrite arguments, a throw fails the call and reaches the caller', async () => {
    const r = realRig();
    const calls: unknown[][] = [];
    const original = function (this: unknown, ...args: unknown[]) {
      calls.push([this, ...args]);
      if (args[0] === 'throw') throw new TypeError('sync');
      return args[0];
    };
    let startedAt = 0;
    const wrapped = wrapCall(
      original,
      (_self, args, startTime) => {
        startedAt = startTime;
        if (args[0] === 'rewrite') args[0] = 'rewritten';
        return new Call(r.llm.startRequest({ operation: 'chat', provider: 'acme', startTime }), telemetry);
      },
      telemetry,
    );
    const self = { name: 'client' };
    const before = performance.now();
    expect(wrapped.call(self, 'rewrite')).toBe('rewritten');
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(() => wrapped.call(self, 'throw')).toThrow('sync');
    expect(calls).toEqual([
      [self, 'rewritten'],
      [self, 'throw'],
    ]);
    expect(await outcomes(r)).toEqual({ ok: 1, TypeError: 1 });
  });

  it('wrapCall: a starter that throws leaves the call unmeasured, never broken', async () => {
    const diag = captureDiag();
    try {
      const wrapped = wrapCall(
        (x: number) => x * 2,
        () => {
          throw new Error('starter bug');
        },
        telemetry,
      );
      expect(wrapped(21)).toBe(42);
    } finally {
      diag.restore();
    }
    expect(diag.warnings.some((w) => w.includes('start'))).toBe(true);
  });
});

describe('a call nothing ends', () => {
  it('is not kept alive by the core: when its unread stream is collected, llm counts it abandoned', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const r = realRig();
    class Streaming extends Call {
      override resolved(value: unknown): unknown {
        return observeAsyncIterable(value as AsyncIterable<unknown>, this);
      }
    }
    const sdk = { stream: async () => generate([1, 2, 3]) };
    const patches = new PatchRegistry(Symbol('test.abandon'));
    patches.patch(
      sdk,
      (p) =>
        p.method(sdk, 'stream', (original) =>
          wrapCall(original, () => new Streaming(start(r), telemetry), telemetry),
        ),
      telemetry,
    );
    await (async () => {
      const stream = await sdk.stream();
      expect(isAsyncIterable(stream)).toBe(true); // returned, never read
    })();
    const abandoned = async () =>
      points(await r.metric('tokenmeter.gen_ai.client.errors')).find(
        (p) => p.attributes['error.type'] === 'abandoned',
      )?.value;
    // Handles wait in llm's nursery for up to a second before the finalization registry sees them.
    for (let i = 0; i < 100 && (await abandoned()) === undefined; i++) {
      gc();
      await new Promise((res) => setTimeout(res, 40));
    }
    expect(await abandoned()).toBe(1);
    expect(await outcomes(r)).toEqual({});
  });
});

describe('PatchRegistry', () => {
  it('patches own properties on this instance only, once, and restores own and inherited methods', () => {
    const patches = new PatchRegistry(Symbol('test.patches'));
    class Sdk {
      inherited() {
        return 'proto';
      }
    }
    const client = Object.assign(new Sdk(), {
      own() {
        return 'own';
      },
      nested: { create: () => 'nested' },
    });
    const other = new Sdk();
    const tag = (original: (...a: never[]) => unknown) => () => `wrapped ${String(original())}`;
    expect(
      patches.patch(
        client,
        (p) => {
          p.method(client, 'inherited', tag);
          p.method(client, 'own', tag);
          p.method(client.nested, 'create', tag);
          p.method(client, 'missing', tag);
          p.method(undefined, 'create', tag);
        },
        telemetry,
      ),
    ).toBe(true);
    expect(patches.patch(client, () => expect.unreachable(), telemetry)).toBe(false);
    expect([client.inherited(), client.own(), client.nested.create(), other.inherited()]).toEqual([
      'wrapped proto',
      'wrapped own',
      'wrapped nested',
      'proto',
    ]);
    expect(Object.keys(client)).toEqual(['own', 'nested']); // as enumerable as before
    expect(patches.isPatched(client)).toBe(true);
    expect(patches.unpatch(client)).toBe(true);
    expect(patches.isPatched(client)).toBe(false);
    expect(Object.hasOwn(client, 'inherited')).toBe(false);
    expect([client.inherited(), client.own(), client.nested.create()]).toEqual(['proto', 'own', 'nested']);
    expect(Object.keys(client)).toEqual(['own', 'nested']);
    expect(patches.unpatch(client)).toBe(false);
    expect(patches.patch(null, () => {}, telemetry)).toBe(false);
  });

  it('a failure while patching is reported; what was patched stays undoable', () => {
    const patches = new PatchRegistry(Symbol('test.patches'));
    const client = { a: () => 'a' };
    const diag = captureDiag();
    try {
      patches.patch(
        client,
        (p) => {
          p.method(client, 'a', () => () => 'wrapped');
          throw new Error('patch bug');
        },
        telemetry,
      );
    } finally {
      diag.restore();
    }
    expect(diag.warnings.some((w) => w.includes('patch'))).toBe(true);
    expect(client.a()).toBe('wrapped');
    patches.unpatch(client);
    expect(client.a()).toBe('a');
  });
});

describe('RunRegistry', () => {
  it('keeps open runs by id, hands them out to end, and lets the oldest go beyond maxOpen', async () => {
    const r = rig();
    const runs = new RunRegistry({ maxOpen: 2 });
    runs.start('a', new Call(start(r), telemetry));
    runs.start('b', new Call(start(r), telemetry));
    runs.get('b')?.chunk();
    runs.start('c', new Call(start(r), telemetry));
    expect(runs.size).toBe(2);
    expect(runs.get('a')).toBeUndefined(); // let go: llm's garbage-collection net counts it as abandoned
    runs.take('b')?.end();
    runs.take('c')?.fail(new TypeError('x'));
    expect(runs.take('c')).toBeUndefined();
    expect(runs.size).toBe(0);
    expect(await outcomes(r)).toEqual({ ok: 1, TypeError: 1 });
    expect(new RunRegistry({ maxOpen: -1 }).size).toBe(0);
  });
});

describe('payload helpers', () => {
  it('readTokenUsage reads fields by path, as reported, replacing earlier counts', () => {
    const into = { inputTokens: 1, outputTokens: 1 } as Record<string, unknown>;
    readTokenUsage(
      { in: 5, details: { cached: 2 }, out: 'n/a' },
      {
        inputTokens: 'in',
        cachedInputTokens: ['details', 'cached'],
        outputTokens: 'out',
        reasoningTokens: ['x', 'y'],
      },
      into,
    );
    expect(into).toEqual({
      inputTokens: 5,
      cachedInputTokens: 2,
      outputTokens: undefined,
      reasoningTokens: undefined,
    });
    readTokenUsage(null, { inputTokens: 'in' }, into);
    expect(into.inputTokens).toBe(5);
    expect(valueAt({ a: { b: 1 } }, ['a', 'b'])).toBe(1);
    expect(valueAt({ a: 1 }, ['a', 'b'])).toBeUndefined();
  });

  it('type guards', () => {
    expect([isObject({}), isObject(null), isObject('x')]).toEqual([true, false, false]);
    // biome-ignore lint/suspicious/noThenProperty: a non-callable `then` is what is being checked
    const notThenable = { then: 1 };
    expect([isThenable(Promise.resolve()), isThenable(notThenable), isThenable(undefined)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isAsyncIterable(generate([])), isAsyncIterable([])]).toEqual([true, false]);
    expect([nonEmptyString('a'), nonEmptyString(''), nonEmptyString(1)]).toEqual(['a', undefined, undefined]);
    expect([finiteNumber(1.5), finiteNumber(Number.NaN), finiteNumber('1')]).toEqual([
      1.5,
      undefined,
      undefined,
    ]);
    expect([
      hasContent('a'),
      hasContent(''),
      hasContent([]),
      hasContent([1]),
      hasContent({}),
      hasContent(0),
    ]).toEqual([true, false, false, true, true, false]);
  });
});
