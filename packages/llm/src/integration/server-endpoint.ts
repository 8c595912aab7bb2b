/** `server.address` and `server.port` of a client's base URL. */

export interface ServerEndpoint {
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
}

const NONE: ServerEndpoint = Object.freeze({ serverAddress: undefined, serverPort: undefined });

/**
 * The attributes as the conventions want them: the host name (an IPv6
 * address without its brackets) and the port, explicit or the scheme's
 * default (443 for https, 80 for http). Never throws: anything that is not
 * an absolute URL gives neither, rather than a guess.
 */
export function serverEndpointOf(url: unknown): ServerEndpoint {
  if (typeof url !== 'string' || url === '') return NONE;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return NONE;
  }
  const serverAddress = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
  const serverPort = parsed.port
    ? Number(parsed.port)
    : parsed.protocol === 'https:'
      ? 443
      : parsed.protocol === 'http:'
        ? 80
        : undefined;
  return { serverAddress, serverPort };
}
