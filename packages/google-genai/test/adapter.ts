/**
 * How the integration contract (`@tokenmeter/testkit/contract`) drives a
 * `@google/genai` client: the same adapter for every major the peer range admits.
 */
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import { semicolonModelName } from '@tokenmeter/testkit';
import {
  CONTRACT_TOOL,
  type ContractTelemetry,
  type IntegrationAdapter,
  type StreamOutcome,
} from '@tokenmeter/testkit/contract';
import { instrumentGoogleGenAI, isInstrumented, uninstrumentGoogleGenAI } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each major has its own client and option types
type AnyClient = any;
export type GoogleGenAIConstructor = new (options: object) => AnyClient;

/** CONTRACT_TOOL as a Gemini function declaration (its OpenAPI-style schema). */
const LOOKUP = {
  functionDeclarations: [
    {
      name: CONTRACT_TOOL.name,
      description: CONTRACT_TOOL.description,
      parameters: { type: 'OBJECT', properties: { text: { type: 'STRING' } }, required: ['text'] },
    },
  ],
};

const llmOf = (t: ContractTelemetry) =>
  (t.llm as LlmMetrics | undefined) ?? createLlmMetrics({ meterProvider: t.meterProvider });

/** What a chunk's parts carry for the consumer: reply text (not thoughts), or a function call's arguments. */
function outputOf(chunk: { candidates?: { content?: { parts?: Record<string, unknown>[] } }[] }) {
  const texts: string[] = [];
  for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
    if (part.functionCall) texts.push(JSON.stringify((part.functionCall as { args?: unknown }).args));
    else if (typeof part.text === 'string' && part.text !== '') texts.push(part.text);
  }
  return texts;
}

export function googleGenAIAdapter(
  name: string,
  GoogleGenAI: GoogleGenAIConstructor,
): IntegrationAdapter<AnyClient> {
  const plain = (target: { baseURL: string }) =>
    new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: target.baseURL } });
  const instrument = (client: AnyClient, t: ContractTelemetry) =>
    instrumentGoogleGenAI(client, { llm: llmOf(t) });
  return {
    name,
    simulator: 'google',
    // @google/genai refuses `?` and `&` in a model name: it puts the name in the URL path.
    modelName: semicolonModelName,
    client: (target, t) => instrument(plain(target), t),
    async generate(client, model, o = {}) {
      const response = await client.models.generateContent({
        model,
        contents: 'Say hello',
        config: {
          abortSignal: o.signal,
          ...(o.timeoutMs === undefined ? {} : { httpOptions: { timeout: o.timeoutMs } }),
        },
      });
      return response.text;
    },
    async stream(client, model, o = {}): Promise<StreamOutcome> {
      const texts: string[] = [];
      const ac = new AbortController();
      try {
        const stream = await client.models.generateContentStream({
          model,
          contents: 'Say hello',
          config: { abortSignal: ac.signal, ...(o.withTool ? { tools: [LOOKUP] } : {}) },
        });
        for await (const chunk of stream) {
          texts.push(...outputOf(chunk));
          if (texts.length >= (o.stopAfter ?? Number.POSITIVE_INFINITY)) {
            if (o.stopWith !== 'abort') break;
            ac.abort(); // the SDK then throws an AbortError from the stream
          }
        }
      } catch (error) {
        return { texts, error };
      }
      return { texts };
    },
    expects: {
      provider: 'gcp.gemini',
      operation: 'generate_content',
      finishReasons: { stop: 'STOP', length: 'MAX_TOKENS' },
      usage: { cacheRead: true, cacheWrite: false, reasoning: true },
      cutErrorType: 'UND_ERR_SOCKET',
      refusedErrorType: 'ECONNREFUSED',
      breakStops: true,
      abortBeforeResponse: true,
      timeout: true,
      // Gemini sends a function call whole, in one part, and ends the turn with STOP.
      toolCall: { chunks: () => 1, finishReason: 'STOP' },
    },
    patching: { plain, instrument, uninstrument: uninstrumentGoogleGenAI, isInstrumented },
  };
}
