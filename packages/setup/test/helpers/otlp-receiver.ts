import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A real OTLP/HTTP metrics receiver for tests: a plain node:http server that
 * decodes each request body — JSON as JSON, protobuf with the generated
 * protobufjs root that @opentelemetry/otlp-transformer 0.57 shipped (installed
 * under an npm alias), i.e. a decoder that is not the code under test.
 */

const require = createRequire(import.meta.url);
type ProtoRoot = {
  opentelemetry: {
    proto: {
      collector: {
        metrics: {
          v1: {
            ExportMetricsServiceRequest: {
              decode(buf: Uint8Array): unknown;
              toObject(msg: unknown, opts: Record<string, unknown>): ExportRequest;
            };
          };
        };
      };
    };
  };
};
const root = require('otlp-transformer-proto-root/build/src/generated/root.js') as ProtoRoot;
const ExportRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

export interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface NumberPoint {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: string | number;
  startTimeUnixNano?: string | number;
  timeUnixNano?: string | number;
}
export interface HistogramPoint {
  attributes?: KeyValue[];
  count: string | number;
  sum?: number;
  bucketCounts: (string | number)[];
  explicitBounds: number[];
}
export interface OtlpMetric {
  name: string;
  unit?: string;
  description?: string;
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic?: boolean };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
}
export interface ExportRequest {
  resourceMetrics: {
    resource?: { attributes: KeyValue[] };
    scopeMetrics: { scope?: { name: string; version?: string }; metrics: OtlpMetric[] }[];
  }[];
}

export interface ReceivedRequest {
  contentType: string;
  encoding: string | undefined;
  headers: IncomingMessage['headers'];
  path: string;
  body: ExportRequest;
}

export interface OtlpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Resolves with the first request that satisfies `predicate` (checks past requests too). */
  waitFor(predicate: (r: ReceivedRequest) => boolean, timeoutMillis?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Wire enum: DELTA = 1, CUMULATIVE = 2. */
export const OTLP_TEMPORALITY = { DELTA: 1, CUMULATIVE: 2 } as const;

export function decodeBody(contentType: string, raw: Buffer): ExportRequest {
  if (contentType.startsWith('application/json')) return JSON.parse(raw.toString('utf8')) as ExportRequest;
  if (contentType.startsWith('application/x-protobuf')) {
    return ExportRequest.toObject(ExportRequest.decode(raw), { longs: String, enums: Number, arrays: true });
  }
  throw new Error(`unexpected content-type ${contentType}`);
}

export async function startOtlpReceiver(
  options: { port?: number; status?: number } = {},
): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { predicate: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      if (encoding === 'gzip') raw = gunzipSync(raw);
      const contentType = req.headers['content-type'] ?? '';
      try {
        const received: ReceivedRequest = {
          contentType,
          encoding,
          headers: req.headers,
          path: req.url ?? '',
          body: decodeBody(contentType, raw),
        };
        requests.push(received);
        for (const w of [...waiters]) {
          if (w.predicate(received)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(received);
          }
        }
        res.writeHead(options.status ?? 200, { 'content-type': contentType });
        res.end(contentType.startsWith('application/json') ? '{}' : undefined);
      } catch (error) {
        res.writeHead(400);
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    waitFor(predicate, timeoutMillis = 10_000) {
      const seen = requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching OTLP request within ${timeoutMillis} ms`)),
          timeoutMillis,
        );
        waiters.push({
          predicate,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** All metrics of a request, flattened across resources and scopes. */
export function metricsOf(body: ExportRequest): OtlpMetric[] {
  return body.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
}

export function findMetric(body: ExportRequest, name: string): OtlpMetric | undefined {
  return metricsOf(body).find((m) => m.name === name);
}

export function attributesOf(kvs: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of kvs ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

export function resourceOf(body: ExportRequest): Record<string, string | number | boolean> {
  return attributesOf(body.resourceMetrics[0]?.resource?.attributes);
}
