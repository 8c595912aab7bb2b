/** `server.address` / `server.port` from an `ollama` client's host. */
import { type ServerEndpoint, serverEndpointOf } from '@tokenmeter/llm/integration';

export type Endpoint = ServerEndpoint;

/**
 * Parses the client's `config.host` (`http://127.0.0.1:11434`; the client
 * normalises it and always includes a port; a bare `host:port` is read as
 * http). Never throws; an empty or unparsable host (proxy mode) leaves the
 * attributes out.
 */
export function endpointFromHost(host: unknown): Endpoint {
  if (typeof host !== 'string' || host === '') return serverEndpointOf(undefined);
  return serverEndpointOf(host.includes('://') ? host : `http://${host}`);
}
