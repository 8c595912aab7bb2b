import { describe, expect, it } from 'vitest';
import { hist, pointWith, rig } from './helpers.js';

// The GenAI metric table of semantic conventions v1.41.1, written out here by
// hand from the spec (not from our constants), so a drift in our definitions
// fails this test.
const D = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const T = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const F = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const P = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
const DOUBLE = 1;
const INT = 0;

const SPEC = [
  ['gen_ai.client.operation.duration', 's', DOUBLE, D],
  ['gen_ai.client.token.usage', '{token}', INT, T],
  ['gen_ai.client.operation.time_to_first_chunk', 's', DOUBLE, D],
  ['gen_ai.client.operation.time_per_output_chunk', 's', DOUBLE, D],
  ['gen_ai.server.request.duration', 's', DOUBLE, D],
  ['gen_ai.server.time_to_first_token', 's', DOUBLE, F],
  ['gen_ai.server.time_per_output_token', 's', DOUBLE, P],
] as const;

describe('GenAI metrics match the v1.41.1 table', () => {
  it.each(SPEC)(
    '%s: unit %s, value type, advisory buckets, required attributes',
    async (name, unit, valueType, buckets) => {
      const r = rig();
      const req = r.llm.startRequest({
        operation: 'chat',
        provider: 'openai',
        requestModel: 'gpt-4o',
        serverAddress: 'api.openai.com',
        serverPort: 443,
        stream: true,
      });
      r.clock.advance(100);
      req.chunk();
      r.clock.advance(10);
      req.chunk();
      req.end({ responseModel: 'gpt-4o', inputTokens: 5, outputTokens: 2 });
      const srv = r.llm.startServerRequest({ operation: 'chat', provider: 'vllm', requestModel: 'llama' });
      srv.scheduled();
      r.clock.advance(20);
      srv.token();
      r.clock.advance(10);
      srv.token();
      srv.end({ inputTokens: 5, outputTokens: 2, finishReason: 'stop' });

      const m = await r.metric(name);
      expect(m, `${name} was not recorded`).toBeDefined();
      expect(m?.descriptor.unit).toBe(unit);
      expect(m?.descriptor.valueType).toBe(valueType);
      const client = name.startsWith('gen_ai.client.');
      const attrs: Record<string, unknown> = client
        ? {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'server.address': 'api.openai.com',
            'server.port': 443,
          }
        : {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'vllm',
            'gen_ai.request.model': 'llama',
          };
      if (name === 'gen_ai.client.token.usage') attrs['gen_ai.token.type'] = 'input';
      // Recorded at the end, when the response model is known (recommended attribute).
      if (name === 'gen_ai.client.operation.duration' || name === 'gen_ai.client.token.usage') {
        attrs['gen_ai.response.model'] = 'gpt-4o';
      }
      expect(hist(pointWith(m, attrs)).buckets.boundaries).toEqual(buckets);
    },
  );
});
