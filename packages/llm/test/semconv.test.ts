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

  it('latest_experimental: every inference call records usage, failed and usage-less ones 0 under modality unknown', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', modality: 'text' })
      .fail(new TypeError('x'));
    const h = await r.metric('gen_ai.client.inference.operation.output_tokens');
    const p = pointWith(h, { ...BASE, 'error.type': 'TypeError' });
    expect(hist(p).count).toBe(1);
    expect(hist(p).sum).toBe(0);
    // The counters carry no error.type; the 0 goes under `unknown`, not the request's `text`.
    const unknown = { ...BASE, 'gen_ai.token.modality': 'unknown' };
    for (const name of [
      'gen_ai.client.inference.usage.input_tokens',
      'gen_ai.client.inference.usage.output_tokens',
      'gen_ai.client.inference.usage.cache_read.input_tokens',
      'gen_ai.client.inference.usage.cache_write.input_tokens',
      'gen_ai.client.inference.usage.reasoning.output_tokens',
    ]) {
      const m = await r.metric(name);
      expect(
        points(m).map((x) => [x.attributes, x.value]),
        name,
      ).toEqual([[unknown, 0]]);
    }
    // A successful call without usage records 0 too (on the histograms, without error.type).
    r.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' }).end();
    expect(
      hist(pointWith(await r.metric('gen_ai.client.inference.operation.input_tokens'), BASE)).count,
    ).toBe(1);
    // Reported usage without a modality: `unknown` as well; the subsets nobody reported are 0.
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .end({ inputTokens: 7, outputTokens: 2 });
    expect(pointWith(await r.metric('gen_ai.client.inference.usage.input_tokens'), unknown)?.value).toBe(7);
    expect(
      pointWith(await r.metric('gen_ai.client.inference.usage.cache_read.input_tokens'), unknown)?.value,
    ).toBe(0);
    // A non-inference operation records only what was reported.
    r.llm.startRequest({ operation: 'embeddings', provider: 'openai', requestModel: 'e' }).end();
    const inputs = points(await r.metric('gen_ai.client.inference.usage.input_tokens'));
    expect(inputs.map((x) => x.attributes['gen_ai.operation.name'])).toEqual(['chat']);
  });

  it('v1.41 keeps the token histogram to reported counts: nothing for a call without usage', async () => {
    const r = rig();
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .fail(new Error('x'));
    r.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' }).end();
    expect(await r.metric('gen_ai.client.token.usage')).toBeUndefined();
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .end({ outputTokens: 3 });
    const usage = points(await r.metric('gen_ai.client.token.usage'));
    expect(usage.map((x) => x.attributes['gen_ai.token.type'])).toEqual(['output']);
  });

  it('openai.response.service_tier: on the spec metrics of provider openai only, in both shapes', async () => {
    for (const semconv of ['v1.41', 'latest_experimental'] as const) {
      const r = rig({ semconv, prices: false });
      r.llm
        .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
        .end({ serviceTier: 'flex', inputTokens: 1, outputTokens: 1 });
      r.llm
        .startRequest({ operation: 'chat', provider: 'anthropic', requestModel: 'c' })
        .end({ serviceTier: 'priority', inputTokens: 1, outputTokens: 1 });
      const dur =
        semconv === 'v1.41' ? 'gen_ai.client.operation.duration' : 'gen_ai.client.inference.duration';
      const usage =
        semconv === 'v1.41' ? 'gen_ai.client.token.usage' : 'gen_ai.client.inference.usage.input_tokens';
      for (const name of [dur, usage]) {
        const tiers = points(await r.metric(name)).map((x) => [
          x.attributes['gen_ai.provider.name'],
          x.attributes['openai.response.service_tier'],
        ]);
        expect(tiers, `${semconv} ${name}`).toEqual(
          expect.arrayContaining([
            ['openai', 'flex'],
            ['anthropic', undefined],
          ]),
        );
      }
      // Our counters keep their attributes: no tier on tokenmeter.gen_ai.client.requests.
      const req = points(await r.metric('tokenmeter.gen_ai.client.requests'));
      expect(req.every((x) => !('openai.response.service_tier' in x.attributes))).toBe(true);
    }
  });

  it('latest_experimental: agent/tool/workflow durations get their own metrics; embeddings keep operation.duration', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    for (const operation of ['invoke_agent', 'execute_tool', 'invoke_workflow', 'embeddings']) {
      r.llm.startRequest({ operation, provider: 'openai', toolName: 'search' }).end();
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

  it('latest_experimental: agent and tool metrics carry the agent, tool and workflow names and no provider or server', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    const common = { provider: 'openai', serverAddress: 'api.openai.com', serverPort: 443 };
    r.llm
      .startRequest({ ...common, operation: 'invoke_agent', agentName: 'Math Tutor', requestModel: 'gpt-4o' })
      .end({ inferenceCalls: 3, toolCalls: 0 });
    r.llm
      .startRequest({
        ...common,
        operation: 'execute_tool',
        agentName: 'Math Tutor',
        toolName: 'calc',
        toolType: 'function',
      })
      .fail(new RangeError('x'));
    r.llm.startRequest({ ...common, operation: 'invoke_workflow', workflowName: 'rag' }).end();
    const attrs = async (name: string) => points(await r.metric(name)).map((x) => x.attributes);
    expect(await attrs('gen_ai.invoke_agent.duration')).toEqual([
      { 'gen_ai.agent.name': 'Math Tutor', 'gen_ai.request.model': 'gpt-4o' },
    ]);
    expect(await attrs('gen_ai.execute_tool.duration')).toEqual([
      {
        'gen_ai.tool.name': 'calc',
        'gen_ai.agent.name': 'Math Tutor',
        'gen_ai.tool.type': 'function',
        'error.type': 'RangeError',
      },
    ]);
    expect(await attrs('gen_ai.invoke_workflow.duration')).toEqual([{ 'gen_ai.workflow.name': 'rag' }]);
    const calls = points(await r.metric('gen_ai.invoke_agent.inference_calls'));
    expect(calls.map((x) => [x.attributes, hist(x).sum, hist(x).count])).toEqual([
      [{ 'gen_ai.agent.name': 'Math Tutor' }, 3, 1],
    ]);
    // 0 is a value, recorded like any other.
    const tools = points(await r.metric('gen_ai.invoke_agent.tool_calls'));
    expect(tools.map((x) => [hist(x).sum, hist(x).count])).toEqual([[0, 1]]);
    // A tool call without a name still carries the required attribute.
    r.llm.startRequest({ operation: 'execute_tool', provider: 'x' }).end();
    const names = (await attrs('gen_ai.execute_tool.duration')).map((a) => a['gen_ai.tool.name']);
    expect(names.sort()).toEqual(['_OTHER', 'calc']);
  });

  it('v1.41 has no agent call counts: the counts passed to end() are not recorded', async () => {
    const r = rig();
    r.llm.startRequest({ operation: 'invoke_agent', provider: 'openai' }).end({ inferenceCalls: 2 });
    expect(await r.names()).not.toContain('gen_ai.invoke_agent.inference_calls');
    const op = points(await r.metric('gen_ai.client.operation.duration'));
    expect(op.map((x) => x.attributes['gen_ai.operation.name'])).toEqual(['invoke_agent']);
  });
});
