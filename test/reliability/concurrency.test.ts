/**
 * 1k concurrent simulated streams recorded through @tokenmeter/llm while
 * scrapers hit the real HTTP endpoint: every scrape succeeds and the final
 * totals are exact.
 */
import { createLlmMetrics } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import { describe, expect, it } from 'vitest';
import { get, sleep, sumSamples } from './helpers.js';

describe('concurrency', () => {
  it('1000 concurrent streams with concurrent scrapes: totals exact, in-flight back to 0', async () => {
    const h = registerMetrics({
      serviceName: 'concurrency',
      exporters: ['prometheus'],
      prometheus: { port: 0 },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    await h.ready;
    const url = h.prometheus?.url ?? '';
    const llm = createLlmMetrics({ meterProvider: h.meterProvider, semconv: 'v1.41' });
    const STREAMS = 1000;
    const CHUNKS = 20;
    let expectedOutput = 0;
    let expectedInput = 0;

    const stream = async (i: number) => {
      const req = llm.startRequest({
        operation: 'chat',
        provider: 'openai',
        requestModel: `model-${i % 10}`,
        serverAddress: 'api.example.com',
        serverPort: 443,
        stream: true,
      });
      for (let c = 0; c < CHUNKS; c++) {
        await (c % 3 === 0 ? sleep(i % 5) : new Promise<void>((r) => setImmediate(r)));
        req.chunk();
      }
      const input = 10 + (i % 7);
      const output = CHUNKS + (i % 3);
      expectedInput += input;
      expectedOutput += output;
      if (i % 10 === 9)
        req.fail(Object.assign(new Error('rate limited'), { status: 429 }), {
          inputTokens: input,
          outputTokens: output,
        });
      else req.end({ inputTokens: input, outputTokens: output, finishReason: 'stop' });
    };

    let scrapes = 0;
    let streaming = true;
    const scraper = async () => {
      while (streaming) {
        const r = await get(url);
        expect(r.status).toBe(200);
        scrapes++;
      }
    };
    const scrapers = Array.from({ length: 4 }, scraper);
    await Promise.all(Array.from({ length: STREAMS }, (_, i) => stream(i)));
    streaming = false;
    await Promise.all(scrapers);
    expect(scrapes).toBeGreaterThan(4);

    const text = (await get(url)).body;
    expect(sumSamples(text, 'gen_ai_client_operation_duration_seconds_count')).toBe(STREAMS);
    expect(sumSamples(text, 'gen_ai_client_operation_duration_seconds_count', 'error_type="429"')).toBe(
      STREAMS / 10,
    );
    expect(sumSamples(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count')).toBe(STREAMS);
    expect(sumSamples(text, 'gen_ai_client_operation_time_per_output_chunk_seconds_count')).toBe(
      STREAMS * (CHUNKS - 1),
    );
    expect(sumSamples(text, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="input"')).toBe(
      expectedInput,
    );
    expect(sumSamples(text, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="output"')).toBe(
      expectedOutput,
    );
    expect(sumSamples(text, 'tokenmeter_gen_ai_client_active_requests')).toBe(0);
    console.log(`concurrency: ${STREAMS} streams × ${CHUNKS} chunks, ${scrapes} concurrent scrapes`);
    await h.shutdown();
  }, 60_000);
});
