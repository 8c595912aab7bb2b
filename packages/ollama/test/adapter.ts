/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives an
 * `ollama` client: the same adapter for every release the peer range admits.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { instrumentOllama, isInstrumented, uninstrumentOllama } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each release has its own client and option types
type AnyClient = any;
export type OllamaConstructor = new (options: { host: string }) => AnyClient;

const messages = [{ role: 'user', content: 'Say hello' }];
const LOOKUP = { type: 'function', function: CONTRACT_TOOL };

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

export function ollamaAdapter(name: string, Ollama: OllamaConstructor): IntegrationAdapter<AnyClient> {
  const plain = (target: { url: string }) => new Ollama({ host: target.url });
  const instrument = (client: AnyClient, t: ContractTelemetry) =>
    instrumentOllama(client, { llm: llmOf(t), meterProvider: t.meterProvider });
  return {
    name,
    simulator: 'ollama',
    client: (target, t) => instrument(plain(target), t),
    async generate(client, model) {
      return (await client.chat({ model, messages })).message.content;
    },
    async stream(client, model, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      try {
        const stream = await client.chat({
          model,
          messages,
          stream: true,
          ...(o.withTool ? { tools: [LOOKUP] } : {}),
        });
        for await (const part of stream) {
          const m = part.message;
          // What the integration counts as an output chunk: content or a tool call.
          const piece = m?.tool_calls?.length ? JSON.stringify(m.tool_calls) : m?.content;
          if (!piece) continue;
          texts.push(piece);
          if (texts.length === o.stopAfter) {
            if (o.stopWith !== 'abort') break;
            stream.abort(); // the next read throws the client's AbortError
          }
        }
      } catch (error) {
        return { texts, error };
      }
      return { texts };
    },
    expects: {
      provider: 'ollama',
      usage: { cacheRead: false, cacheWrite: false, reasoning: false },
      cutErrorType: 'UND_ERR_SOCKET',
      refusedErrorType: 'ECONNREFUSED',
      breakStops: true,
      // The client has no abort for a call before its response, nor a timeout.
      abortBeforeResponse: false,
      timeout: false,
      // Ollama sends a tool call whole, in one object; done_reason stays `stop`.
      toolCall: { chunks: () => 1, finishReason: 'stop' },
    },
    patching: { plain, instrument, uninstrument: uninstrumentOllama, isInstrumented },
  };
}
