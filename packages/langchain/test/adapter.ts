/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives
 * LangChain through the callback handler: a `ChatOpenAI` against the OpenAI
 * simulator, the same adapter for every `@langchain/openai` (and so
 * `@langchain/core`) major the tests install.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { TokenmeterCallbackHandler } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each major has its own model and message types
type Any = any;
export type ChatOpenAIConstructor = new (fields: object) => Any;

/** A model factory: the contract picks the model name per call; the handler goes with every call. */
export interface LangChainClient {
  model(name: string): Any;
  readonly handler: TokenmeterCallbackHandler;
}

const lookup = { type: 'function', function: CONTRACT_TOOL };
const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

export function langChainAdapter(
  name: string,
  ChatOpenAI: ChatOpenAIConstructor,
): IntegrationAdapter<LangChainClient> {
  return {
    name,
    simulator: 'openai',
    client(target, t) {
      // Callbacks do not say where a model sends its requests: the server attributes are configured.
      const handler = new TokenmeterCallbackHandler({
        llm: llmOf(t),
        serverAddress: '127.0.0.1',
        serverPort: target.port,
      });
      return {
        handler,
        model: (model) =>
          new ChatOpenAI({ model, apiKey: 'k', configuration: { baseURL: target.baseURL }, maxRetries: 0 }),
      };
    },
    async generate(client, model, o = {}) {
      const res = await client.model(model).invoke('Say hello', {
        callbacks: [client.handler],
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
      });
      return String(res.content);
    },
    async stream(client, model, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      const ac = new AbortController();
      const m = o.withTool ? client.model(model).bindTools([lookup]) : client.model(model);
      try {
        const stream = await m.stream('Say hello', { callbacks: [client.handler], signal: ac.signal });
        for await (const chunk of stream) {
          // What the handler counts as an output chunk: text, or a tool call chunk with a name or arguments.
          const call = chunk.tool_call_chunks?.[0];
          const piece = call ? call.args || call.name : chunk.content;
          if (!piece) continue;
          texts.push(piece);
          if (texts.length === o.stopAfter) {
            if (o.stopWith !== 'abort') break;
            ac.abort();
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
      // The socket codes under what the openai SDK throws (fetch's TypeError: terminated, APIConnectionError).
      cutErrorType: 'UND_ERR_SOCKET',
      refusedErrorType: 'ECONNREFUSED',
      // LangChain calls no handler when the application stops reading a stream.
      breakStops: 'unreported',
      abortBeforeResponse: true,
      timeout: true,
      toolCall: { chunks: (fragments) => fragments + 1, finishReason: 'tool_calls' },
    },
  };
}
