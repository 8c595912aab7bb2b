/** `server.address` / `server.port` from an `ollama` client's host. */

export interface Endpoint {
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
}

/**
 * Parses the client's `config.host` (`http://127.0.0.1:11434`; the client
 * normalises it and always includes a port). Never throws; an empty or
 * unparsable host (proxy mode) leaves the attributes out.
 */
export function endpointFromHost(host: unknown): Endpoint {
  if (typeof host !== 'string' || host === '') return { serverAddress: undefined, serverPort: undefined };
  try {
    const url = new URL(host.includes('://') ? host : `http://${host}`);
    const serverAddress = url.hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
    const serverPort = url.port
      ? Number(url.port)
      : url.protocol === 'https:'
        ? 443
        : url.protocol === 'http:'
          ? 80
          : undefined;
    return { serverAddress, serverPort };
  } catch {
    return { serverAddress: undefined, serverPort: undefined };
  }
}
