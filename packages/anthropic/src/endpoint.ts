/**
 * `gen_ai.provider.name`, `server.address` and `server.port` from a client's
 * base URL.
 */
import { type ServerEndpoint, serverEndpointOf } from '@tokenmeter/llm/integration';

export interface Endpoint extends ServerEndpoint {
  readonly providerName: string;
}

/**
 * The provider serving a host: Claude on Vertex AI (`@anthropic-ai/vertex-sdk`:
 * `*aiplatform.googleapis.com`) and on Amazon Bedrock (`@anthropic-ai/bedrock-sdk`:
 * `bedrock-runtime.*.amazonaws.com`) are the conventions' `gcp.vertex_ai` and
 * `aws.bedrock`; anything else, the API the client speaks, `anthropic`.
 */
export function providerForHost(host: string | undefined): string {
  const h = host?.toLowerCase() ?? '';
  if (h === 'aiplatform.googleapis.com' || h.endsWith('-aiplatform.googleapis.com')) return 'gcp.vertex_ai';
  if (h.startsWith('bedrock-runtime.') && h.endsWith('.amazonaws.com')) return 'aws.bedrock';
  return 'anthropic';
}

/** Parses a base URL; never throws. */
export function endpointFromBaseURL(baseURL: unknown): Endpoint {
  const { serverAddress, serverPort } = serverEndpointOf(baseURL);
  return { providerName: providerForHost(serverAddress), serverAddress, serverPort };
}
