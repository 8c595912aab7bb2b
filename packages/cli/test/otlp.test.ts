import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposition, type FakeServer, startServer } from '../../scrape/test/helpers/fake-server.js';
import { vllmExposition } from '../../scrape/test/helpers/server-fixtures.js';
import { waitFor } from '../../scrape/test/helpers/tools.js';
import { cli } from './helpers.js';

interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: {
    dataPoints: { explicitBounds: number[]; bucketCounts: string[]; attributes: { key: string }[] }[];
  };
  sum?: { isMonotonic: boolean };
}

describe('tokenmeter scrape --otlp', () => {
  let vllm: FakeServer;
  const bodies: { resourceMetrics: { resource: unknown; scopeMetrics: { metrics: OtlpMetric[] }[] }[] }[] =
    [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      if (req.url === '/v1/metrics') bodies.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let receiverUrl = '';
  beforeAll(async () => {
    vllm = await startServer(exposition(() => vllmExposition(2)));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await vllm.close();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  it('pushes bridged metrics over OTLP (protocol from OTEL_EXPORTER_OTLP_PROTOCOL) with buckets and semconv copies', async () => {
    // The OTLP stack honours the standard variables, as applications' does.
    const s = cli(['scrape', vllm.url, '--otlp', receiverUrl, '--interval', '300ms', '--quiet'], {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    await waitFor('an OTLP export with data', async () =>
      bodies.some((b) => b.resourceMetrics[0]?.scopeMetrics.some((sm) => sm.metrics.length > 4))
        ? true
        : undefined,
    );
    s.child.kill('SIGINT');
    expect((await s.exit).code).toBe(0);
    const metrics = bodies
      .flatMap((b) => b.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)))
      .filter((m) => m.name);
    const e2e = metrics.find((m) => m.name === 'vllm:e2e_request_latency_seconds');
    expect(e2e?.unit).toBe('s');
    expect(e2e?.histogram?.dataPoints[0]?.explicitBounds).toContain(7680);
    expect(metrics.find((m) => m.name === 'vllm:prompt_tokens')?.sum?.isMonotonic).toBe(true);
    expect(metrics.some((m) => m.name === 'gen_ai.server.request.duration')).toBe(true);
    const rm = bodies[0]?.resourceMetrics[0]?.resource as {
      attributes: { key: string; value: { stringValue?: string } }[];
    };
    expect(rm.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'tokenmeter' } });
  });
});
