/**
 * `gen_ai.provider.name`, `server.address` and `server.port` from a client's
 * base URL.
 */
import { type ServerEndpoint, serverEndpointOf } from '@tokenmeter/llm/integration';

export interface Endpoint extends ServerEndpoint {
  readonly providerName: string;
}

/** Hosts whose provider is known. Matched on the host name (suffix match for entries starting with `.`). */
const KNOWN_HOSTS: ReadonlyArray<readonly [host: string, provider: string]> = [
  ['api.openai.com', 'openai'],
  ['.openai.azure.com', 'azure.ai.openai'],
  ['.cognitiveservices.azure.com', 'azure.ai.openai'],
  ['.services.ai.azure.com', 'azure.ai.openai'],
  ['.models.ai.azure.com', 'azure.ai.inference'],
  ['.inference.ai.azure.com', 'azure.ai.inference'],
  ['api.groq.com', 'groq'],
  ['api.deepseek.com', 'deepseek'],
  ['api.mistral.ai', 'mistral_ai'],
  ['api.x.ai', 'x_ai'],
  ['api.perplexity.ai', 'perplexity'],
  ['generativelanguage.googleapis.com', 'gcp.gemini'],
];

/** Provider for a host name; `openai` (the API the client speaks) when unknown. */
export function providerForHost(host: string | undefined): string {
  if (host) {
    const h = host.toLowerCase();
    for (const [pattern, provider] of KNOWN_HOSTS) {
      if (pattern.startsWith('.') ? h.endsWith(pattern) : h === pattern) return provider;
    }
  }
  return 'openai';
}

/** Parses a base URL; never throws. */
export function endpointFromBaseURL(baseURL: unknown, isAzureClient = false): Endpoint {
  const { serverAddress, serverPort } = serverEndpointOf(baseURL);
  const providerName = isAzureClient ? 'azure.ai.openai' : providerForHost(serverAddress);
  return { providerName, serverAddress, serverPort };
}
