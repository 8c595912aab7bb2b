/** `server.address` / `server.port` from the HTTP request the SDK built. */
import {
  finiteNumber,
  isObject,
  nonEmptyString,
  type ServerEndpoint,
  serverEndpointOf,
} from '@tokenmeter/llm/integration';

/**
 * Reads a smithy `HttpRequest` (`protocol`, `hostname`, `port`): the
 * endpoint the call goes to, the region's
 * (`bedrock-runtime.<region>.amazonaws.com`) or a configured `endpoint`, as
 * `serverEndpointOf()` gives it (IPv6 without brackets, the scheme's
 * default port when none is set; neither without a host). Never throws.
 */
export function endpointOfRequest(request: unknown): ServerEndpoint {
  if (!isObject(request)) return serverEndpointOf(undefined);
  const host = nonEmptyString(request.hostname);
  if (host === undefined) return serverEndpointOf(undefined);
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const port = finiteNumber(request.port);
  const protocol = nonEmptyString(request.protocol) ?? 'https:';
  return serverEndpointOf(`${protocol}//${bracketed}${port === undefined ? '' : `:${port}`}`);
}
