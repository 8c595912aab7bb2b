import { describe, expect, it } from 'vitest';
import { createLlmMetrics } from '../src/index.js';
import { hist, points, pointWith, rig } from './helpers.js';

const BASE = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
};

describe('semconv shape selection', () => {
  it('defaults to v1.41 and switches with OTEL_SEMCONV_STABILITY_OPT_IN', () => {
    expect(createLlmMetrics({ env: {} }).semconv).toBe('v1.41');
    expect(
      createLlmMetrics({ env: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http, gen_ai_latest_experimental' } })
        .semconv,
    ).toBe('latest_experimental');
    expect(
      createLlmMetrics({
        env: { OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental' },
        semconv: 'v1.41',
      }).semconv,
    ).toBe('v1.41');
  });

  it('latest_experimental: inference names, usage counters with modality, per-call histograms', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    const req = r.llm.startRequest({
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o',
      stream: true,
      modality: 'text',
    });
    r.clock.advance(100);
    req.chunk();
    r.clock.advance(10);
    req.chunk();
    req.end({
      inputTokens: 5,
      outputTokens: 2,
      cachedInputTokens: 1,
      cacheWriteInputTokens: 3,
      reasoningTokens: 1,
    });
    const names = await r.names();
    expect(names).toContain('gen_ai.client.inference.duration');
    expect(names).toContain('gen_ai.client.inference.time_to_first_chunk');
    expect(names).toContain('gen_ai.client.inference.time_per_output_chunk');
    expect(names).not.toContain('gen_ai.client.operation.duration');
    expect(names).not.toContain('gen_ai.client.token.usage');
    expect(names).not.toContain('tokenmeter.gen_ai.client.usage.cache_read.input_tokens');
    const m = { ...BASE, 'gen_ai.token.modality': 'text' };
    expect(pointWith(await r.metric('gen_ai.client.inference.usage.input_tokens'), m)?.value).toBe(5);
    expect(pointWith(await r.metric('gen_ai.client.inference.usage.output_tokens'), m)?.value).toBe(2);
    expect(pointWith(await r.metric('gen_ai.client.inference.usage.cache_read.input_tokens'), m)?.value).toBe(
      1,
    );
    expect(
      pointWith(await r.metric('gen_ai.client.inference.usage.cache_write.input_tokens'), m)?.value,
    ).toBe(3);
    expect(pointWith(await r.metric('gen_ai.client.inference.usage.reasoning.output_tokens'), m)?.value).toBe(
      1,
    );
    expect(hist(pointWith(await r.metric('gen_ai.client.inference.operation.input_tokens'), BASE)).sum).toBe(
      5,
    );
    const s = await r.llm.snapshot();
    expect(s.client.total.inputTokens).toBe(5);
    expect(s.client.total.requests).toBe(1);
  });

  it('latest_experimental: failed inference calls record 0 on the per-call histograms; modality defaults to unknown', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .fail(new TypeError('x'));
    const h = await r.metric('gen_ai.client.inference.operation.output_tokens');
    const p = pointWith(h, { ...BASE, 'error.type': 'TypeError' });
    expect(hist(p).count).toBe(1);
    expect(hist(p).sum).toBe(0);
    expect(await r.metric('gen_ai.client.inference.usage.output_tokens')).toBeUndefined();
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .end({ inputTokens: 1 });
    const u = await r.metric('gen_ai.client.inference.usage.input_tokens');
    expect(points(u)[0]?.attributes['gen_ai.token.modality']).toBe('unknown');
  });

  it('latest_experimental: agent/tool/workflow durations get their own metrics; embeddings keep operation.duration', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    for (const operation of ['invoke_agent', 'execute_tool', 'invoke_workflow', 'embeddings']) {
      r.llm.startRequest({ operation, provider: 'openai' }).end();
    }
    const names = await r.names();
    expect(names).toEqual(
      expect.arrayContaining([
        'gen_ai.invoke_agent.duration',
        'gen_ai.execute_tool.duration',
        'gen_ai.invoke_workflow.duration',
        'gen_ai.client.operation.duration',
      ]),
    );
    const op = await r.metric('gen_ai.client.operation.duration');
    expect(points(op).map((p) => p.attributes['gen_ai.operation.name'])).toEqual(['embeddings']);
  });
});
