import { describe, expect, it } from 'vitest';
import { errorType } from '../src/index.js';
import { hist, points, pointWith, rig } from './helpers.js';

describe('errorType()', () => {
  it('maps errors to the documented low-cardinality values', () => {
    expect(errorType(new DOMException('x', 'AbortError'))).toBe('aborted');
    expect(errorType(new DOMException('x', 'TimeoutError'))).toBe('timeout');
    expect(errorType(Object.assign(new Error('x'), { status: 429 }))).toBe('429');
    expect(errorType({ statusCode: 503 })).toBe('503');
    expect(errorType(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    expect(errorType(new RateLimitError())).toBe('RateLimitError');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType('boom')).toBe('_OTHER');
    expect(errorType(undefined)).toBe('_OTHER');
    expect(errorType({})).toBe('_OTHER');
    expect(errorType({ name: 'has spaces in it' })).toBe('_OTHER');
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('nope');
        },
      },
    );
    expect(errorType(hostile)).toBe('_OTHER');
  });
});

describe('extras', () => {
  it('measure() times sync, async and throwing functions and keeps the returned promise', async () => {
    const r = rig();
    expect(
      r.llm.measure('embed', () => {
        r.clock.advance(5);
        return 1;
      }),
    ).toBe(1);
    const p = Promise.resolve(2);
    const got = r.llm.measure('rerank', () => {
      r.clock.advance(7);
      return p;
    });
    expect(got).toBe(p);
    await got;
    expect(() =>
      r.llm.measure('bad', () => {
        throw new RangeError('x');
      }),
    ).toThrow(RangeError);
    await expect(r.llm.measure('bad-async', async () => Promise.reject(new TypeError('y')))).rejects.toThrow(
      TypeError,
    );
    await new Promise((res) => setTimeout(res, 0));
    const m = await r.metric('tokenmeter.operation.duration');
    expect(m?.descriptor.unit).toBe('s');
    expect(hist(pointWith(m, { 'tokenmeter.operation.name': 'embed' })).sum).toBeCloseTo(0.005, 9);
    expect(hist(pointWith(m, { 'tokenmeter.operation.name': 'rerank' })).sum).toBeCloseTo(0.007, 9);
    expect(pointWith(m, { 'tokenmeter.operation.name': 'bad', 'error.type': 'RangeError' })).toBeDefined();
    expect(
      pointWith(m, { 'tokenmeter.operation.name': 'bad-async', 'error.type': 'TypeError' }),
    ).toBeDefined();
  });

  it('measure(..., { heap: true }) records the heap delta', async () => {
    const r = rig();
    r.llm.measure('alloc', () => new Array(100_000).fill(1), { heap: true });
    const m = await r.metric('tokenmeter.operation.heap.delta');
    expect(m?.descriptor.unit).toBe('By');
    expect(typeof points(m)[0]?.value).toBe('number');
  });

  it('cache, rate-limit, retries, model load, circuit breaker, queue', async () => {
    const r = rig();
    const { llm } = r;
    llm.cacheLookup({ cache: 'semantic', hit: true, provider: 'openai' });
    llm.cacheLookup({ cache: 'semantic', hit: false, provider: 'openai' });
    llm.cacheLookup({ hit: true });
    llm.rateLimitWait(1.5, { provider: 'openai', serverAddress: 'api.openai.com', serverPort: 443 });
    llm.retry({ provider: 'openai', error: Object.assign(new Error(), { status: 429 }) });
    llm.modelLoad({ provider: 'vllm', model: 'llama', durationS: 42 });
    llm.modelLoad({ provider: 'vllm', model: 'llama', durationS: 3, error: new RangeError('oom') });
    llm.circuitBreaker('openai', 'open', { provider: 'openai' });
    llm.queueWait(0.3, { queue: 'gateway' });
    llm.queueRejected({ queue: 'gateway', reason: 'full' });

    const cache = await r.metric('tokenmeter.gen_ai.cache.requests');
    expect(
      pointWith(cache, {
        'tokenmeter.cache.kind': 'semantic',
        'tokenmeter.cache.result': 'hit',
        'gen_ai.provider.name': 'openai',
      })?.value,
    ).toBe(1);
    expect(
      pointWith(cache, { 'tokenmeter.cache.kind': 'prompt', 'tokenmeter.cache.result': 'hit' })?.value,
    ).toBe(1);
    const wait = await r.metric('tokenmeter.gen_ai.client.rate_limit.wait.duration');
    expect(
      hist(
        pointWith(wait, {
          'gen_ai.provider.name': 'openai',
          'server.address': 'api.openai.com',
          'server.port': 443,
        }),
      ).sum,
    ).toBe(1.5);
    expect(
      pointWith(await r.metric('tokenmeter.gen_ai.client.retries'), {
        'gen_ai.provider.name': 'openai',
        'error.type': '429',
      })?.value,
    ).toBe(1);
    const load = await r.metric('tokenmeter.gen_ai.model.load.duration');
    expect(
      hist(pointWith(load, { 'gen_ai.provider.name': 'vllm', 'gen_ai.request.model': 'llama' })).sum,
    ).toBe(42);
    expect(
      pointWith(load, {
        'gen_ai.provider.name': 'vllm',
        'gen_ai.request.model': 'llama',
        'error.type': 'RangeError',
      }),
    ).toBeDefined();
    const cb = await r.metric('tokenmeter.gen_ai.client.circuit_breaker.state');
    const state = (s: string) =>
      pointWith(cb, {
        'tokenmeter.circuit_breaker.name': 'openai',
        'tokenmeter.circuit_breaker.state': s,
        'gen_ai.provider.name': 'openai',
      })?.value;
    expect([state('closed'), state('open'), state('half_open')]).toEqual([0, 1, 0]);
    llm.circuitBreaker('openai', 'half_open', { provider: 'openai' });
    const cb2 = await r.metric('tokenmeter.gen_ai.client.circuit_breaker.state');
    expect(
      pointWith(cb2, {
        'tokenmeter.circuit_breaker.name': 'openai',
        'tokenmeter.circuit_breaker.state': 'half_open',
        'gen_ai.provider.name': 'openai',
      })?.value,
    ).toBe(1);
    expect(
      hist(
        pointWith(await r.metric('tokenmeter.gen_ai.queue.wait.duration'), {
          'tokenmeter.queue.name': 'gateway',
        }),
      ).sum,
    ).toBe(0.3);
    expect(
      pointWith(await r.metric('tokenmeter.gen_ai.queue.rejections'), {
        'tokenmeter.queue.name': 'gateway',
        'error.type': 'full',
      })?.value,
    ).toBe(1);
  });
});
