import { afterEach, describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, TOKEN_BUCKETS } from '../src/index.js';
import { errorTypeOr, serverEndpointOf } from '../src/integration/index.js';
import { captureDiag, hist, points, pointWith, rig } from './helpers.js';

const BASE = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'server.address': 'api.openai.com',
  'server.port': 443,
};
const START = {
  operation: 'chat',
  provider: 'openai',
  requestModel: 'gpt-4o',
  serverAddress: 'api.openai.com',
  serverPort: 443,
};

afterEach(() => {
  // Tests that capture diag restore it themselves; this keeps others quiet.
});

describe('client request: streaming', () => {
  it('records duration, TTFC, per-chunk times, usage and finish reason with spec names, units, buckets', async () => {
    const r = rig();
    const req = r.llm.startRequest({ ...START, stream: true });
    r.clock.advance(250);
    req.chunk(); // first chunk at 0.25 s
    r.clock.advance(40);
    req.chunk(); // 0.04
    r.clock.advance(60);
    req.chunk(); // 0.06
    r.clock.advance(100);
    req.end({
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 12,
      outputTokens: 3,
      cachedInputTokens: 4,
      reasoningTokens: 1,
      finishReason: 'stop',
    });

    const resp = { ...BASE, 'gen_ai.response.model': 'gpt-4o-2024-08-06' };
    const dur = await r.metric('gen_ai.client.operation.duration');
    expect(dur?.descriptor.unit).toBe('s');
    expect(dur?.descriptor.valueType).toBe(1); // DOUBLE
    expect(points(dur)).toHaveLength(1);
    const dp = hist(pointWith(dur, resp));
    expect(dp.buckets.boundaries).toEqual(DURATION_BUCKETS);
    expect(dp.count).toBe(1);
    expect(dp.sum).toBeCloseTo(0.45, 9);

    const ttfc = await r.metric('gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc?.descriptor.unit).toBe('s');
    const t = hist(pointWith(ttfc, BASE));
    expect(t.count).toBe(1);
    expect(t.sum).toBeCloseTo(0.25, 9);
    expect(t.buckets.boundaries).toEqual(DURATION_BUCKETS);

    const tpoc = await r.metric('gen_ai.client.operation.time_per_output_chunk');
    const c = hist(pointWith(tpoc, BASE));
    expect(c.count).toBe(2);
    expect(c.sum).toBeCloseTo(0.1, 9);
    expect(c.min).toBeCloseTo(0.04, 9);
    expect(c.max).toBeCloseTo(0.06, 9);

    const usage = await r.metric('gen_ai.client.token.usage');
    expect(usage?.descriptor.unit).toBe('{token}');
    expect(usage?.descriptor.valueType).toBe(0); // INT
    const input = hist(pointWith(usage, { ...resp, 'gen_ai.token.type': 'input' }));
    const output = hist(pointWith(usage, { ...resp, 'gen_ai.token.type': 'output' }));
    expect(input.sum).toBe(12);
    expect(output.sum).toBe(3);
    expect(input.buckets.boundaries).toEqual(TOKEN_BUCKETS);

    const cached = await r.metric('tokenmeter.gen_ai.client.usage.cache_read.input_tokens');
    expect(pointWith(cached, resp)?.value).toBe(4);
    const reasoning = await r.metric('tokenmeter.gen_ai.client.usage.reasoning.output_tokens');
    expect(pointWith(reasoning, resp)?.value).toBe(1);

    const reqs = await r.metric('tokenmeter.gen_ai.client.requests');
    expect(pointWith(reqs, { ...resp, 'tokenmeter.finish_reason': 'stop' })?.value).toBe(1);
    const active = await r.metric('tokenmeter.gen_ai.client.active_requests');
    expect(pointWith(active, BASE)?.value).toBe(0);
  });

  it('measures from startTime when a wrapper passes one', async () => {
    const r = rig();
    const t0 = r.clock.t;
    r.clock.advance(500);
    const req = r.llm.startRequest({ ...START, stream: true, startTime: t0 });
    r.clock.advance(100);
    req.chunk();
    req.end();
    const ttfc = hist(points(await r.metric('gen_ai.client.operation.time_to_first_chunk'))[0]);
    expect(ttfc.sum).toBeCloseTo(0.6, 9);
  });

  it('clamps a future startTime to now', async () => {
    const r = rig();
    const req = r.llm.startRequest({ ...START, startTime: r.clock.t + 10_000 });
    r.clock.advance(100);
    req.end();
    const d = hist(points(await r.metric('gen_ai.client.operation.duration'))[0]);
    expect(d.sum).toBeCloseTo(0.1, 9);
  });

  it('measures real time with performance.now() by default (tolerance 40 ms)', async () => {
    const r = rig({ now: undefined });
    const req = r.llm.startRequest({ ...START, stream: true });
    await new Promise((res) => setTimeout(res, 50));
    req.chunk();
    req.end();
    const ttfc = hist(points(await r.metric('gen_ai.client.operation.time_to_first_chunk'))[0]);
    expect(ttfc.sum).toBeGreaterThanOrEqual(0.045);
    expect(ttfc.sum).toBeLessThan(0.09 + 0.04);
  });
});

describe('client request: non-streaming, failures, aborts', () => {
  it('non-streaming calls record no chunk metrics even if chunk() is called', async () => {
    const r = rig();
    const req = r.llm.startRequest({ ...START, stream: false });
    r.clock.advance(300);
    req.chunk();
    req.end({ inputTokens: 5, outputTokens: 7 });
    const names = await r.names();
    expect(names).not.toContain('gen_ai.client.operation.time_to_first_chunk');
    expect(names).not.toContain('gen_ai.client.operation.time_per_output_chunk');
    expect(hist(pointWith(await r.metric('gen_ai.client.operation.duration'), BASE)).sum).toBeCloseTo(0.3, 9);
  });

  it('never invents token usage', async () => {
    const r = rig();
    r.llm.startRequest(START).end({ outputTokens: 9 });
    const usage = await r.metric('gen_ai.client.token.usage');
    expect(points(usage)).toHaveLength(1);
    expect(points(usage)[0]?.attributes['gen_ai.token.type']).toBe('output');
  });

  it('fail() records duration with error.type and reported usage only', async () => {
    const r = rig();
    const req = r.llm.startRequest(START);
    r.clock.advance(200);
    const err = Object.assign(new Error('rate limited'), { status: 429 });
    req.fail(err, { inputTokens: 10 });
    const dur = await r.metric('gen_ai.client.operation.duration');
    expect(hist(pointWith(dur, { ...BASE, 'error.type': '429' })).sum).toBeCloseTo(0.2, 9);
    const usage = await r.metric('gen_ai.client.token.usage');
    expect(points(usage)).toHaveLength(1);
    expect(pointWith(usage, { ...BASE, 'gen_ai.token.type': 'input' })).toBeDefined();
    const errors = await r.metric('tokenmeter.gen_ai.client.errors');
    expect(pointWith(errors, { ...BASE, 'error.type': '429' })?.value).toBe(1);
    expect(await r.metric('tokenmeter.gen_ai.client.requests')).toBeUndefined();
  });

  it('fail() honours an explicit errorType', async () => {
    const r = rig();
    r.llm.startRequest(START).fail(new Error('x'), { errorType: 'invalid_api_key' });
    const dur = await r.metric('gen_ai.client.operation.duration');
    expect(points(dur)[0]?.attributes['error.type']).toBe('invalid_api_key');
  });

  it('abort() records the duration with error.type=aborted (timeout for a TimeoutError)', async () => {
    const r = rig();
    const a = r.llm.startRequest({ ...START, stream: true });
    r.clock.advance(100);
    a.chunk();
    r.clock.advance(100);
    a.abort();
    const b = r.llm.startRequest(START);
    b.abort(new DOMException('t', 'TimeoutError'));
    const dur = await r.metric('gen_ai.client.operation.duration');
    expect(hist(pointWith(dur, { ...BASE, 'error.type': 'aborted' })).sum).toBeCloseTo(0.2, 9);
    expect(hist(pointWith(dur, { ...BASE, 'error.type': 'timeout' })).count).toBe(1);
    // the chunk seen before the abort still counts as the first chunk
    expect(hist(points(await r.metric('gen_ai.client.operation.time_to_first_chunk'))[0]).count).toBe(1);
  });

  it('end twice, fail after end, abort after fail: counted once, one diagnostic', async () => {
    const cap = captureDiag();
    try {
      const r = rig();
      const req = r.llm.startRequest({ ...START, stream: true });
      req.chunk();
      req.end({ outputTokens: 1 });
      req.end({ outputTokens: 1 });
      req.fail(new Error('late'));
      req.abort();
      req.chunk();
      expect(req.ended).toBe(true);
      const dur = await r.metric('gen_ai.client.operation.duration');
      expect(points(dur)).toHaveLength(1);
      expect(hist(points(dur)[0]).count).toBe(1);
      expect(points(await r.metric('gen_ai.client.token.usage'))).toHaveLength(1);
      expect(await r.metric('tokenmeter.gen_ai.client.errors')).toBeUndefined();
      expect(pointWith(await r.metric('tokenmeter.gen_ai.client.active_requests'), BASE)?.value).toBe(0);
      expect(cap.warnings.filter((w) => w.includes('[double-end]'))).toHaveLength(1);
      expect(cap.warnings.filter((w) => w.includes('[after-end]'))).toHaveLength(1);
    } finally {
      cap.restore();
    }
  });

  it('tracks requests in flight', async () => {
    const r = rig();
    const a = r.llm.startRequest(START);
    const b = r.llm.startRequest(START);
    expect(pointWith(await r.metric('tokenmeter.gen_ai.client.active_requests'), BASE)?.value).toBe(2);
    a.end();
    b.fail(new Error('x'));
    expect(pointWith(await r.metric('tokenmeter.gen_ai.client.active_requests'), BASE)?.value).toBe(0);
  });

  it('omits server.port without server.address and missing models', async () => {
    const r = rig();
    r.llm.startRequest({ operation: 'embeddings', provider: 'ollama', serverPort: 11434 }).end();
    const dur = await r.metric('gen_ai.client.operation.duration');
    expect(points(dur)[0]?.attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'ollama',
    });
  });

  it('uses the first finish reason of an array', async () => {
    const r = rig();
    r.llm.startRequest(START).end({ finishReason: ['length', 'stop'] });
    const reqs = await r.metric('tokenmeter.gen_ai.client.requests');
    expect(points(reqs)[0]?.attributes['tokenmeter.finish_reason']).toBe('length');
  });

  it('trackOperation() times agent/tool/workflow executions on the duration histogram', async () => {
    const r = rig();
    const v = r.llm.trackOperation({ operation: 'execute_tool', provider: 'openai' }, () => {
      r.clock.advance(30);
      return 42;
    });
    expect(v).toBe(42);
    await expect(
      r.llm.trackOperation({ operation: 'invoke_agent', provider: 'openai' }, async () => {
        r.clock.advance(70);
        throw new TypeError('boom');
      }),
    ).rejects.toThrow('boom');
    const dur = await r.metric('gen_ai.client.operation.duration');
    const tool = pointWith(dur, {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.provider.name': 'openai',
    });
    expect(hist(tool).sum).toBeCloseTo(0.03, 9);
    const agent = pointWith(dur, {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
      'error.type': 'TypeError',
    });
    expect(hist(agent).sum).toBeCloseTo(0.07, 9);
  });
});

describe('client request: usage the provider did not report', () => {
  it('counts tokenmeter.gen_ai.client.usage.missing instead of guessing, only for successful calls without counts', async () => {
    const r = rig();
    r.llm.startRequest({ ...START, stream: true }).end({ finishReason: 'stop' });
    r.llm.startRequest({ ...START, stream: true }).end({ inputTokens: 3, outputTokens: 2 });
    r.llm.startRequest({ ...START, stream: false }).end({ inputTokens: 5 }); // embeddings report input only
    r.llm.startRequest({ ...START, stream: true }).fail(new Error('boom'));
    const missing = await r.metric('tokenmeter.gen_ai.client.usage.missing');
    expect(missing?.descriptor.unit).toBe('{request}');
    expect(points(missing).reduce((a, p) => a + (p.value as number), 0)).toBe(1);
    const tokens = await r.metric('gen_ai.client.token.usage');
    expect(points(tokens).reduce((a, p) => a + (p.value as { count: number }).count, 0)).toBe(3);
  });
});

describe('client request: timings the server reported', () => {
  it('records end({ serverTimings }) on the reported.* histograms with the request attributes, dropping garbage', async () => {
    const r = rig();
    r.llm.startRequest({ ...START, stream: false }).end({
      responseModel: 'gpt-4o',
      inputTokens: 1,
      serverTimings: { totalS: 0.5, prefillS: 0.05, decodeS: Number.NaN },
    });
    const attrs = { ...BASE, 'gen_ai.response.model': 'gpt-4o' };
    const total = await r.metric('tokenmeter.gen_ai.client.reported.server.duration');
    expect(total?.descriptor.unit).toBe('s');
    expect(hist(pointWith(total, attrs)).sum).toBe(0.5);
    const prefill = await r.metric('tokenmeter.gen_ai.client.reported.prefill.duration');
    expect(hist(pointWith(prefill, attrs)).sum).toBe(0.05);
    const decode = await r.metric('tokenmeter.gen_ai.client.reported.decode.duration');
    expect(points(decode)).toHaveLength(0);
  });
});

describe('client request: the last resolved identity is reused only while it repeats', () => {
  it('gives every identity its own series, whatever order they come in and even when one options object is mutated', async () => {
    const r = rig();
    const opts = { ...START };
    const run = () => r.llm.startRequest(opts).end({ responseModel: 'gpt-4o', outputTokens: 1 });
    run();
    run(); // repeat: the reused set
    opts.requestModel = 'gpt-4o-mini'; // the same object, mutated
    run();
    opts.requestModel = 'gpt-4o';
    run(); // back to the first identity
    opts.serverPort = 8443;
    run();
    opts.serverAddress = 'eu.api.openai.com';
    run();
    opts.provider = 'azure.ai.openai';
    run();
    opts.operation = 'text_completion';
    run();
    const dur = await r.metric('gen_ai.client.operation.duration');
    const resp = { 'gen_ai.response.model': 'gpt-4o' };
    const count = (attrs: Record<string, string | number>) =>
      hist(pointWith(dur, { ...attrs, ...resp })).count;
    expect(count(BASE)).toBe(3);
    expect(count({ ...BASE, 'gen_ai.request.model': 'gpt-4o-mini' })).toBe(1);
    expect(count({ ...BASE, 'server.port': 8443 })).toBe(1);
    expect(count({ ...BASE, 'server.port': 8443, 'server.address': 'eu.api.openai.com' })).toBe(1);
    const azure = {
      ...BASE,
      'server.port': 8443,
      'server.address': 'eu.api.openai.com',
      'gen_ai.provider.name': 'azure.ai.openai',
    };
    expect(count(azure)).toBe(1);
    expect(count({ ...azure, 'gen_ai.operation.name': 'text_completion' })).toBe(1);
    expect(points(dur)).toHaveLength(6);
    // in-flight went +1/−1 on the same set each time: every series is back to 0
    for (const p of points(await r.metric('tokenmeter.gen_ai.client.active_requests')))
      expect(p.value).toBe(0);
  });

  it('does not reuse a resolution that dropped a bad value: the next clean request gets its full set', async () => {
    const cap = captureDiag();
    try {
      const r = rig();
      const bad = { ...START, serverPort: 70_000 };
      r.llm.startRequest(bad).end({ outputTokens: 1 });
      r.llm.startRequest(bad).end({ outputTokens: 1 });
      r.llm.startRequest(START).end({ outputTokens: 1 });
      const dur = await r.metric('gen_ai.client.operation.duration');
      const { 'server.port': _dropped, ...noPort } = BASE;
      expect(hist(pointWith(dur, noPort)).count).toBe(2);
      expect(hist(pointWith(dur, BASE)).count).toBe(1);
      expect(cap.warnings.filter((w) => w.includes('serverPort'))).toHaveLength(1);
    } finally {
      cap.restore();
    }
  });
});

describe('serverEndpointOf', () => {
  it('gives the host and the explicit or default port, and nothing for what is not an absolute URL', () => {
    expect(serverEndpointOf('https://api.example.com/v1')).toEqual({
      serverAddress: 'api.example.com',
      serverPort: 443,
    });
    expect(serverEndpointOf('http://localhost/v1')).toEqual({ serverAddress: 'localhost', serverPort: 80 });
    expect(serverEndpointOf('http://[::1]:8000/v1')).toEqual({ serverAddress: '::1', serverPort: 8000 });
    expect(serverEndpointOf('unix:/tmp/socket')).toEqual({ serverAddress: undefined, serverPort: undefined });
    for (const bad of ['', 'api.example.com', 42, undefined])
      expect(serverEndpointOf(bad)).toEqual({ serverAddress: undefined, serverPort: undefined });
  });
});

describe('errorTypeOr', () => {
  it("is the classifier's answer, or _OTHER when it gives nothing or throws", () => {
    const err = new Error('x');
    expect(errorTypeOr(err, () => 'RateLimitError')).toBe('RateLimitError');
    expect(errorTypeOr(err, () => '')).toBe('_OTHER');
    expect(errorTypeOr(err, () => 42 as unknown as string)).toBe('_OTHER');
    expect(
      errorTypeOr(err, () => {
        throw new Error('broken classifier');
      }),
    ).toBe('_OTHER');
    expect(errorTypeOr(err, undefined)).toBe('_OTHER');
  });
});
