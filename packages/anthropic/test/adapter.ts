/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives an
 * `@anthropic-ai/sdk` client: the same adapter for every version the peer
 * range is tested with.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { instrumentAnthropic, isInstrumented, uninstrumentAnthropic } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each version has its own client and option types
type AnyClient = any;
export type AnthropicConstructor = new (options: object) => AnyClient;

const messages = [{ role: 'user', content: 'Say hello' }];
const LOOKUP = {
  name: CONTRACT_TOOL.name,
  description: CONTRACT_TOOL.description,
  input_schema: CONTRACT_TOOL.parameters,
};

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

export function anthropicAdapter(
  name: string,
  Anthropic: AnthropicConstructor,
): IntegrationAdapter<AnyClient> {
  const plain = (target: { baseURL: string }) =>
    new Anthropic({ apiKey: 'k', baseURL: target.baseURL, maxRetries: 0 });
  const instrument = (client: AnyClient, t: ContractTelemetry) =>
    instrumentAnthropic(client, { llm: llmOf(t) });
  return {
    name,
    simulator: 'anthropic',
    client: (target, t) => instrument(plain(target), t),
    async generate(client, model, o = {}) {
      const message = await client.messages.create(
        { model, max_tokens: 256, messages },
        { signal: o.signal, ...(o.timeoutMs === undefined ? {} : { timeout: o.timeoutMs }) },
      );
      return message.content.map((b: { text?: string }) => b.text ?? '').join('');
    },
    async stream(client, model, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      try {
        const stream = await client.messages.create({
          model,
          max_tokens: 256,
          messages,
          stream: true,
          ...(o.withTool ? { tools: [LOOKUP] } : {}),
        });
        for await (const event of stream) {
          // What the integration counts as an output chunk: a delta with text or
          // argument JSON, or the start of a tool call's block (its id and name).
          let text: string | undefined;
          if (event.type === 'content_block_delta') {
            text = event.delta.type === 'text_delta' ? event.delta.text : event.delta.partial_json;
          } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
            text = '';
          }
          if (text === undefined) continue;
          texts.push(text);
          if (texts.length === o.stopAfter) {
            if (o.stopWith !== 'abort') break;
            stream.controller.abort(); // the SDK then ends the stream quietly
          }
        }
      } catch (error) {
        return { texts, error };
      }
      return { texts };
    },
    expects: {
      provider: 'anthropic',
      finishReasons: { stop: 'end_turn', length: 'max_tokens' },
      usage: { cacheRead: true, cacheWrite: true, reasoning: true, inputAtStart: true },
      cutErrorType: 'APIConnectionError',
      refusedErrorType: 'APIConnectionError',
      breakStops: true,
      abortBeforeResponse: true,
      timeout: true,
      // The tool_use block opens with the call's id and name: that event carries output too.
      toolCall: { chunks: (fragments) => fragments + 1, finishReason: 'tool_use' },
    },
    patching: { plain, instrument, uninstrument: uninstrumentAnthropic, isInstrumented },
  };
}
