/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives a
 * Bedrock runtime client: the same adapter for the newest SDK (HTTP/2 by
 * default) and the oldest the peer range admits (HTTP/1.1).
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { instrumentBedrock, isInstrumented, uninstrumentBedrock } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each SDK version has its own client and command types
type Any = any;

/** The parts of an `@aws-sdk/client-bedrock-runtime` version the adapter uses. */
export interface BedrockSdk {
  BedrockRuntimeClient: new (...args: Any[]) => Any;
  ConverseCommand: new (...args: Any[]) => Any;
  ConverseStreamCommand: new (...args: Any[]) => Any;
}

const messages = [{ role: 'user', content: [{ text: 'Say hello' }] }];
const toolConfig = {
  tools: [
    {
      toolSpec: {
        name: CONTRACT_TOOL.name,
        description: CONTRACT_TOOL.description,
        inputSchema: { json: CONTRACT_TOOL.parameters },
      },
    },
  ],
};

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

/** What differs between the SDK versions the contract runs. */
export interface SdkTraits {
  /** Over HTTP/1.1 the SDK throws a dropped stream's socket error; over HTTP/2 it ends the stream quietly. */
  readonly cutThrown: boolean;
  /** Whether its Converse deserializer keeps `trace.promptRouter` (the routed model), unknown to the oldest. */
  readonly promptRouterTrace: boolean;
}

export function bedrockAdapter(name: string, sdk: BedrockSdk, traits: SdkTraits): IntegrationAdapter<Any> {
  const { cutThrown } = traits;
  const plain = (target: { baseURL: string }) =>
    new sdk.BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: target.baseURL,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
  const instrument = (client: Any, t: ContractTelemetry) => instrumentBedrock(client, { llm: llmOf(t) });
  return {
    name,
    simulator: 'bedrock',
    client: (target, t) => instrument(plain(target), t),
    async generate(client, modelId, o = {}) {
      // A timeout the standard way: an AbortSignal that fires after it.
      const abortSignal = o.timeoutMs !== undefined ? AbortSignal.timeout(o.timeoutMs) : o.signal;
      const out = await client.send(new sdk.ConverseCommand({ modelId, messages }), { abortSignal });
      return out.output.message.content.map((b: { text?: string }) => b.text ?? '').join('');
    },
    async stream(client, modelId, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      const ac = new AbortController();
      try {
        const out = await client.send(
          new sdk.ConverseStreamCommand({ modelId, messages, ...(o.withTool ? { toolConfig } : {}) }),
          { abortSignal: ac.signal },
        );
        for await (const event of out.stream) {
          // What the integration counts as an output chunk: a text or tool input delta, a tool call's start.
          const delta = event.contentBlockDelta?.delta;
          const start = event.contentBlockStart?.start?.toolUse;
          const piece = start ? start.name : (delta?.text ?? delta?.toolUse?.input);
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
      provider: 'aws.bedrock',
      responseModelInResult: traits.promptRouterTrace,
      finishReasons: { stop: 'end_turn', length: 'max_tokens' },
      httpErrorType: (status) =>
        ({ 429: 'ThrottlingException', 500: 'InternalServerException' })[status] ?? String(status),
      usage: { cacheRead: true, cacheWrite: true, reasoning: false },
      // Over HTTP/2 the SDK ends a dropped stream quietly; over HTTP/1.1 it throws the socket's error.
      cutErrorType: cutThrown ? 'ECONNRESET' : 'incomplete_stream',
      cutThrown,
      refusedErrorType: 'ECONNREFUSED',
      breakStops: true,
      abortBeforeResponse: true,
      timeout: true,
      // The tool's id and name open the block (a contentBlockStart), then one delta per fragment.
      toolCall: { chunks: (fragments) => fragments + 1, finishReason: 'tool_use' },
    },
    patching: { plain, instrument, uninstrument: uninstrumentBedrock, isInstrumented },
  };
}
