/** Why a fetch failed; `retryable` says whether another attempt could help. */
export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'too_large' | 'http' | 'network' | 'aborted',
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface FetchExpositionOptions {
  /** Whole-request deadline, body included. @default 10000 */
  timeoutMillis?: number;
  /** Largest decoded body accepted; bigger responses are cut off and fail. @default 16 MiB */
  maxBytes?: number;
  headers?: Record<string, string>;
  /** Cancels the request (e.g. on shutdown). */
  signal?: AbortSignal;
}

export interface FetchedExposition {
  body: string;
  contentType: string | null;
  status: number;
  bytes: number;
}

// OpenMetrics first: it carries units, `_created` and exemplars that Prometheus text drops.
const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/**
 * GETs an exposition with bounded time and size. The size bound applies to the
 * decoded body, so a gzip bomb is cut off as early as a plain huge body.
 */
export async function fetchExposition(
  url: string,
  options: FetchExpositionOptions = {},
): Promise<FetchedExposition> {
  const timeoutMillis = options.timeoutMillis ?? 10_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const timeout = AbortSignal.timeout(timeoutMillis);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const why = (error: unknown): ScrapeError => {
    if (options.signal?.aborted) return new ScrapeError('scrape cancelled', 'aborted', false);
    if (timeout.aborted) return new ScrapeError(`timed out after ${timeoutMillis} ms`, 'timeout', true);
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    return new ScrapeError(`request failed: ${detail}`, 'network', true);
  };
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: ACCEPT, 'accept-encoding': 'gzip', ...options.headers },
      signal,
      redirect: 'follow',
    });
  } catch (error) {
    throw why(error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    // 429 and 5xx can pass; other 4xx (wrong path, auth) will not fix themselves.
    const retryable = response.status === 429 || response.status >= 500;
    throw new ScrapeError(
      `HTTP ${response.status} ${response.statusText}`,
      'http',
      retryable,
      response.status,
    );
  }
  const declared = Number(response.headers.get('content-length'));
  const encoded = response.headers.get('content-encoding');
  if (!encoded && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new ScrapeError(
      `response of ${declared} bytes exceeds the ${maxBytes}-byte limit`,
      'too_large',
      false,
    );
  }
  const decoder = new TextDecoder();
  let body = '';
  let bytes = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new ScrapeError(`response exceeds the ${maxBytes}-byte limit`, 'too_large', false);
        }
        body += decoder.decode(value, { stream: true });
      }
      body += decoder.decode();
    }
  } catch (error) {
    if (error instanceof ScrapeError) throw error;
    throw why(error);
  }
  return { body, contentType: response.headers.get('content-type'), status: response.status, bytes };
}
