/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives an
 * `openai` client: the same adapter for every major the peer range admits.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { instrumentOpenAI, isInstrumented, uninstrumentOpenAI } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each major has its own client and option types
type AnyClient = any;
export type OpenAIConstructor = new (options: object) => AnyClient;

const messages = [{ role: 'user', content: 'Say hello' }];
const LOOKUP = { type: 'function', function: CONTRACT_TOOL };

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

export function openAiAdapter(name: string, OpenAI: OpenAIConstructor): IntegrationAdapter<AnyClient> {
  const plain = (target: { baseURL: string }) =>
    new OpenAI({ apiKey: 'k', baseURL: target.baseURL, maxRetries: 0 });
  const instrument = (client: AnyClient, t: ContractTelemetry) => instrumentOpenAI(client, { llm: llmOf(t) });
  return {
    name,
    simulator: 'openai',
    client: (target, t) => instrument(plain(target), t),
    async generate(client, model, o = {}) {
      const res = await client.chat.completions.create(
        { model, messages },
        { signal: o.signal, ...(o.timeoutMs === undefined ? {} : { timeout: o.timeoutMs }) },
      );
      return res.choices[0].message.content;
    },
    async stream(client, model, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      try {
        const stream = await client.chat.completions.create({
          model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(o.withTool ? { tools: [LOOKUP] } : {}),
        });
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta;
          const call = delta?.tool_calls?.[0];
          // What the integration counts as an output chunk: content, or a tool call's delta.
          if (!call && !delta?.content) continue;
          texts.push(call ? (call.function?.arguments ?? '') : delta.content);
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
      provider: 'openai',
      usage: { cacheRead: true, cacheWrite: false, reasoning: true },
      cutErrorType: 'APIConnectionError',
      refusedErrorType: 'APIConnectionError',
      breakStops: true,
      abortBeforeResponse: true,
      timeout: true,
      // The call's id and name come first, with empty arguments: that delta carries output too.
      toolCall: { chunks: (fragments) => fragments + 1, finishReason: 'tool_calls' },
    },
    patching: { plain, instrument, uninstrument: uninstrumentOpenAI, isInstrumented },
  };
}
