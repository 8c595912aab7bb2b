/**
 * `gen_ai.provider.name` of a `GoogleGenAI` client (the backend it was made
 * for), and the base URL its `server.address` and `server.port` come from.
 */
import { isObject } from '@tokenmeter/llm/integration';

/** The Gemini Developer API (`generativelanguage.googleapis.com`). */
export const PROVIDER_GEMINI = 'gcp.gemini';
/** Vertex AI (`*aiplatform.googleapis.com`): a client made with `vertexai: true`. */
export const PROVIDER_VERTEX_AI = 'gcp.vertex_ai';

/** The provider a client speaks to: `gcp.vertex_ai` in Vertex AI mode, else `gcp.gemini`. */
export function providerOf(client: unknown): string {
  return isObject(client) && client.vertexai === true ? PROVIDER_VERTEX_AI : PROVIDER_GEMINI;
}

/**
 * The base URL requests go to: the client's (`httpOptions.baseUrl`, or the
 * endpoint the SDK chose for its backend and region). Undefined when the SDK
 * does not say.
 */
export function baseUrlOf(client: unknown): unknown {
  const apiClient = isObject(client) ? client.apiClient : undefined;
  if (!isObject(apiClient) || typeof apiClient.getBaseUrl !== 'function') return undefined;
  try {
    return apiClient.getBaseUrl();
  } catch {
    // The SDK throws when its HTTP options are not set up.
    return undefined;
  }
}
