import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, TPOT_BUCKETS, TTFT_BUCKETS } from '../src/index.js';
import { hist, points, pointWith, rig } from './helpers.js';

const BASE = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'vllm',
  'gen_ai.request.model': 'llama-3-8b',
  'tokenmeter.worker.id': 'gpu-0',
};
const START = { operation: 'chat', provider: 'vllm', requestModel: 'llama-3-8b', worker: 'gpu-0' };

describe('server request lifecycle', () => {
  it('derives queue, prefill, TTFT, decode, inter-token and TPOT (vLLM phases, spec TPOT)', async () => {
    const r = rig();
    const srv = r.llm.startServerRequest(START);
    r.clock.advance(100); // queued 0.1 s
    srv.scheduled();
    r.clock.advance(200); // prefill 0.2 s
    srv.token(); // first token at 0.3 s
    r.clock.advance(20);
    srv.token();
    r.clock.advance(30);
    srv.token();
    r.clock.advance(50);
    srv.stage('detokenize', 0.004);
    srv.end({ inputTokens: 100, finishReason: 'length' });

    const dur = hist(pointWith(await r.metric('gen_ai.server.request.duration'), BASE));
    expect(dur.sum).toBeCloseTo(0.4, 9);
    expect(dur.buckets.boundaries).toEqual(DURATION_BUCKETS);
    const ttftM = await r.metric('gen_ai.server.time_to_first_token');
    expect(ttftM?.descriptor.unit).toBe('s');
    const ttft = hist(pointWith(ttftM, BASE));
    expect(ttft.sum).toBeCloseTo(0.3, 9);
    expect(ttft.buckets.boundaries).toEqual(TTFT_BUCKETS);
    const tpot = hist(pointWith(await r.metric('gen_ai.server.time_per_output_token'), BASE));
    // (0.4 − 0.3) / (3 − 1)
    expect(tpot.sum).toBeCloseTo(0.05, 9);
    expect(tpot.buckets.boundaries).toEqual(TPOT_BUCKETS);
    expect(hist(pointWith(await r.metric('tokenmeter.gen_ai.server.queue.duration'), BASE)).sum).toBeCloseTo(
      0.1,
      9,
    );
    expect(
      hist(pointWith(await r.metric('tokenmeter.gen_ai.server.prefill.duration'), BASE)).sum,
    ).toBeCloseTo(0.2, 9);
    expect(hist(pointWith(await r.metric('tokenmeter.gen_ai.server.decode.duration'), BASE)).sum).toBeCloseTo(
      0.05,
      9,
    );
    const itl = hist(pointWith(await r.metric('tokenmeter.gen_ai.server.inter_token_latency'), BASE));
    expect(itl.count).toBe(2);
    expect(itl.sum).toBeCloseTo(0.05, 9);
    const stage = hist(
      pointWith(await r.metric('tokenmeter.gen_ai.server.stage.duration'), {
        ...BASE,
        'tokenmeter.stage': 'detokenize',
      }),
    );
    expect(stage.sum).toBeCloseTo(0.004, 9);
    expect(pointWith(await r.metric('tokenmeter.gen_ai.server.usage.input_tokens'), BASE)?.value).toBe(100);
    // output tokens counted from token() marks when not given
    expect(pointWith(await r.metric('tokenmeter.gen_ai.server.usage.output_tokens'), BASE)?.value).toBe(3);
    expect(
      pointWith(await r.metric('tokenmeter.gen_ai.server.requests'), {
        ...BASE,
        'tokenmeter.finish_reason': 'length',
      })?.value,
    ).toBe(1);
    expect(pointWith(await r.metric('tokenmeter.gen_ai.server.active_requests'), BASE)?.value).toBe(0);
  });

  it('uses the given output token count for TPOT', async () => {
    const r = rig();
    const srv = r.llm.startServerRequest(START);
    r.clock.advance(100);
    srv.token();
    r.clock.advance(900);
    srv.end({ outputTokens: 10 });
    const tpot = hist(points(await r.metric('gen_ai.server.time_per_output_token'))[0]);
    expect(tpot.sum).toBeCloseTo(0.1, 9);
  });

  it('a failed request records duration with error.type but no TTFT/TPOT', async () => {
    const r = rig();
    const srv = r.llm.startServerRequest(START);
    srv.token();
    r.clock.advance(100);
    srv.fail(new RangeError('oom'));
    srv.end();
    const dur = await r.metric('gen_ai.server.request.duration');
    expect(points(dur)).toHaveLength(1);
    expect(points(dur)[0]?.attributes['error.type']).toBe('RangeError');
    expect(await r.metric('gen_ai.server.time_to_first_token')).toBeUndefined();
    expect(await r.metric('gen_ai.server.time_per_output_token')).toBeUndefined();
    expect(
      pointWith(await r.metric('tokenmeter.gen_ai.server.errors'), { ...BASE, 'error.type': 'RangeError' })
        ?.value,
    ).toBe(1);
  });

  it('time() measures a stage around sync and async functions', async () => {
    const r = rig();
    const srv = r.llm.startServerRequest(START);
    const v = srv.time('tokenize', () => {
      r.clock.advance(2);
      return 'ids';
    });
    expect(v).toBe('ids');
    await srv.time('serialize', async () => {
      r.clock.advance(3);
    });
    srv.end();
    const m = await r.metric('tokenmeter.gen_ai.server.stage.duration');
    expect(hist(pointWith(m, { ...BASE, 'tokenmeter.stage': 'tokenize' })).sum).toBeCloseTo(0.002, 9);
    expect(hist(pointWith(m, { ...BASE, 'tokenmeter.stage': 'serialize' })).sum).toBeCloseTo(0.003, 9);
  });

  it('batch() records batch size and padding ratio', async () => {
    const r = rig();
    r.llm.batch({
      provider: 'vllm',
      requestModel: 'llama-3-8b',
      worker: 'gpu-0',
      size: 12,
      paddingRatio: 0.25,
    });
    r.llm.batch({ size: -1, paddingRatio: 1.5 });
    const attrs = {
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'llama-3-8b',
      'tokenmeter.worker.id': 'gpu-0',
    };
    const size = await r.metric('tokenmeter.gen_ai.server.batch.size');
    expect(points(size)).toHaveLength(1);
    expect(hist(pointWith(size, attrs)).sum).toBe(12);
    const pad = await r.metric('tokenmeter.gen_ai.server.batch.padding_ratio');
    expect(points(pad)).toHaveLength(1);
    expect(hist(pointWith(pad, attrs)).sum).toBe(0.25);
  });

  it('observeServer() feeds queue depth, running requests and KV-cache usage; unregisters', async () => {
    const r = rig();
    let calls = 0;
    const stop = r.llm.observeServer(
      () => {
        calls++;
        return { waiting: 3, running: 8, kvCacheUsage: 0.42 };
      },
      { provider: 'vllm', requestModel: 'llama-3-8b', worker: 'gpu-0' },
    );
    r.llm.observeServer(() => {
      throw new Error('user bug');
    });
    const attrs = {
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'llama-3-8b',
      'tokenmeter.worker.id': 'gpu-0',
    };
    expect(pointWith(await r.metric('tokenmeter.gen_ai.server.waiting_requests'), attrs)?.value).toBe(3);
    expect(calls).toBe(1);
    expect(pointWith(await r.metric('tokenmeter.gen_ai.server.running_requests'), attrs)?.value).toBe(8);
    const kv = await r.metric('tokenmeter.gen_ai.server.kv_cache.usage');
    expect(kv?.descriptor.unit).toBe('1');
    expect(pointWith(kv, attrs)?.value).toBe(0.42);
    stop();
    const before = calls;
    await r.collect();
    expect(calls).toBe(before);
  });
});

describe('server request identity', () => {
  it('reuses the last resolution only while every field repeats, the worker included', async () => {
    const r = rig();
    const opts = { ...START };
    const run = () => r.llm.startServerRequest(opts).end({ outputTokens: 1 });
    run();
    run();
    opts.worker = 'gpu-1'; // only the worker changes
    run();
    opts.requestModel = 'llama-3-70b';
    run();
    opts.worker = 'gpu-0';
    opts.requestModel = 'llama-3-8b';
    run(); // back to the first identity
    const dur = await r.metric('gen_ai.server.request.duration');
    expect(hist(pointWith(dur, BASE)).count).toBe(3);
    expect(hist(pointWith(dur, { ...BASE, 'tokenmeter.worker.id': 'gpu-1' })).count).toBe(1);
    const big = { ...BASE, 'tokenmeter.worker.id': 'gpu-1', 'gen_ai.request.model': 'llama-3-70b' };
    expect(hist(pointWith(dur, big)).count).toBe(1);
    expect(points(dur)).toHaveLength(3);
  });

  it('client and server identities do not overwrite each other', async () => {
    const r = rig();
    const client = { operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' };
    for (let i = 0; i < 2; i++) {
      r.llm.startServerRequest(START).end({ outputTokens: 1 });
      r.llm.startRequest(client).end({ outputTokens: 1 });
    }
    expect(hist(pointWith(await r.metric('gen_ai.server.request.duration'), BASE)).count).toBe(2);
    const clientBase = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    };
    expect(hist(pointWith(await r.metric('gen_ai.client.operation.duration'), clientBase)).count).toBe(2);
  });
});
