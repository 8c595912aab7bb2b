import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { diag, metrics as metricsApi } from '@opentelemetry/api';
import { detectResources, hostDetector } from '@opentelemetry/resources';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, MetricsServerError } from '../src/errors.js';
import { type MetricsHandle, registerMetrics } from '../src/register-metrics.js';
import { captureErrors } from './helpers/diag.js';
import { get } from './helpers/http.js';
import { promtoolCheckMetrics } from './helpers/promtool.js';

const D = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const handles: MetricsHandle[] = [];

function register(options: Parameters<typeof registerMetrics>[0] = {}): MetricsHandle {
  const h = registerMetrics({
    env: {},
    setGlobal: false,
    shutdownOnSignals: false,
    ...options,
    prometheus: { port: 0, ...options.prometheus },
  });
  handles.push(h);
  return h;
}

afterEach(async () => {
  await Promise.allSettled(handles.splice(0).map((h) => h.shutdown()));
});

function recordSample(h: MetricsHandle): void {
  const meter = h.meterProvider.getMeter('test-scope', '1.2.3');
  meter
    .createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      description: 'GenAI operation duration.',
      advice: { explicitBucketBoundaries: D },
    })
    .record(0.5, { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' });
  meter.createCounter('app.requests', { unit: '{request}' }).add(3, { route: '/chat' });
}

describe('Prometheus endpoint (own server)', () => {
  it('serves a scrape that promtool accepts, with spec names, buckets and target_info', async () => {
    const h = register({ serviceName: 'chat-api' });
    recordSample(h);
    const url = await h.prometheus?.ready;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(h.prometheus?.url).toBe(url);

    const res = await get(url as string);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = res.body.toString();
    const check = promtoolCheckMetrics(body);
    expect(check.ok, check.output).toBe(true);

    // Names per the OTel→Prometheus compatibility spec: unit suffix, _total on counters.
    expect(body).toContain('# TYPE gen_ai_client_operation_duration_seconds histogram');
    const bucket = (le: string) =>
      new RegExp(`^gen_ai_client_operation_duration_seconds_bucket\\{[^}]*le="${le}"[^}]*\\} (\\d+)$`, 'm');
    expect(body).toMatch(bucket('0.32'));
    expect(body.match(bucket('0.32'))?.[1]).toBe('0');
    expect(body.match(bucket('0.64'))?.[1]).toBe('1');
    expect(body.match(bucket('\\+Inf'))?.[1]).toBe('1');
    expect(body).toMatch(
      /^gen_ai_client_operation_duration_seconds_sum\{[^}]*gen_ai_operation_name="chat"[^}]*\} 0\.5$/m,
    );
    expect(body).toMatch(/^app_requests_total\{[^}]*route="\/chat"[^}]*\} 3$/m);
    expect(body).toMatch(/otel_scope_name="test-scope"/);
    expect(body).toMatch(/^target_info\{[^}]*service_name="chat-api"[^}]*\} 1$/m);
    expect(body).not.toMatch(/process_command_args|process_command_line/);
  });

  it('target_info carries the detected attributes that arrive asynchronously, and reading them logs no error', async () => {
    // What the SDK's own host detector finds here, once settled: host.id comes as a promise.
    const detected = detectResources({ detectors: [hostDetector] });
    await detected.waitForAsyncAttributes?.();
    const hostId = detected.attributes['host.id'];
    const errors = captureErrors();
    try {
      const h = register({ serviceName: 'chat-api' });
      const url = (await h.prometheus?.ready) as string;
      for (const accept of ['text/plain', 'application/openmetrics-text; version=1.0.0']) {
        const body = (await get(url, { accept })).body.toString();
        const targetInfo = body.split('\n').find((l) => l.startsWith('target_info{')) ?? '';
        expect(targetInfo).toMatch(/service_name="chat-api"/);
        if (typeof hostId === 'string') expect(targetInfo).toContain(`host_id="${hostId}"`);
        else expect(targetInfo).not.toContain('host_id=');
      }
      // Before, the resource never settled: every scrape read it unsettled and the SDK logged this.
      expect(errors.filter((e) => e.includes('async attributes'))).toEqual([]);
    } finally {
      diag.disable();
    }
  });

  it('serves /healthz, 404 elsewhere, 405 for POST, HEAD without a body', async () => {
    const h = register();
    const url = (await h.prometheus?.ready) as string;
    const base = url.replace(/\/metrics$/, '');
    const health = await get(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body.toString()).toBe('ok\n');
    expect((await get(`${base}/other`)).status).toBe(404);
    expect((await get(url, {}, 'POST')).status).toBe(405);
    const head = await get(url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('gzips when the scraper asks for it', async () => {
    const h = register();
    const meter = h.meterProvider.getMeter('big');
    const c = meter.createCounter('series');
    for (let i = 0; i < 100; i++) c.add(1, { i });
    const url = (await h.prometheus?.ready) as string;
    const res = await get(url, { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    const body = gunzipSync(res.body).toString();
    expect(body.match(/^series_total\{/gm)?.length).toBe(100);
  });

  it('port in use: ready rejects with a typed error, the app keeps running, nothing is thrown', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const h = register({ prometheus: { port } });
      const error = await h.ready.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MetricsServerError);
      expect((error as MetricsServerError).code).toBe('EADDRINUSE');
      expect((error as MetricsServerError).port).toBe(port);
      expect((error as Error).message).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
      expect(h.prometheus?.url).toBeUndefined();
      // Recording and in-process scrapes keep working.
      h.meterProvider.getMeter('m').createCounter('still_working').add(1);
      expect(await h.prometheus?.scrape()).toMatch(/^still_working_total\{[^}]*\} 1$/m);
    } finally {
      blocker.close();
    }
  });

  it('requires credentials when auth is set (bearer and basic)', async () => {
    const bearer = register({ prometheus: { auth: { bearerToken: 's3cret' } } });
    const url = (await bearer.prometheus?.ready) as string;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(url, { authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await get(url.replace('/metrics', '/healthz'))).status).toBe(401);

    const basic = register({ prometheus: { auth: { username: 'prom', password: 'pw' } } });
    const url2 = (await basic.prometheus?.ready) as string;
    expect((await get(url2)).status).toBe(401);
    const token = Buffer.from('prom:pw').toString('base64');
    expect((await get(url2, { authorization: `Basic ${token}` })).status).toBe(200);
  });

  it('refuses credentials that would let anyone in, without printing the secret', () => {
    const refused = (auth: unknown): ConfigurationError => {
      try {
        register({ prometheus: { auth: auth as { bearerToken: string } } });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return error as ConfigurationError;
      }
      throw new Error(`auth ${JSON.stringify(auth)} was accepted`);
    };
    // An empty token or password would match a request that sends an empty one.
    expect(refused({ bearerToken: '' }).message).toContain(
      'Invalid prometheus.auth="{ bearerToken: <empty string> }"',
    );
    expect(refused({ username: 'prom', password: '' }).setting).toBe('prometheus.auth');
    // Basic auth splits user and password at the first ':'.
    expect(refused({ username: 'a:b', password: 'pw' }).setting).toBe('prometheus.auth');
    expect(refused({}).setting).toBe('prometheus.auth');
    // An unset environment variable is no token.
    expect(refused({ bearerToken: undefined }).setting).toBe('prometheus.auth');
    expect(
      register({ prometheus: { auth: { bearerToken: 't', username: undefined } as never } }),
    ).toBeDefined();
    expect(refused('s3cret').message).not.toContain('s3cret');
    const mixed = refused({ bearerToken: 'tok-123', username: 'u', password: 'hunter2' });
    expect(mixed.message).not.toMatch(/tok-123|hunter2/);
    expect(handles).toHaveLength(1);
  });
});

describe('extra routes on the metrics server', () => {
  it('serves them next to /metrics with the same auth; a throwing route answers 500', async () => {
    const h = register({
      prometheus: {
        auth: { bearerToken: 't' },
        routes: {
          '/dashboard': (_req, res) => {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end('<h1>hi</h1>');
          },
          '/broken': () => {
            throw new Error('bug');
          },
        },
      },
    });
    const base = String(await h.prometheus?.ready).replace(/\/metrics$/, '');
    expect((await get(`${base}/dashboard`)).status).toBe(401);
    const ok = await get(`${base}/dashboard`, { authorization: 'Bearer t' });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('<h1>hi</h1>');
    expect((await get(`${base}/broken`, { authorization: 'Bearer t' })).status).toBe(500);
    expect((await get(`${base}/metrics`, { authorization: 'Bearer t' })).status).toBe(200);
  });

  it('rejects a route that shadows /metrics', () => {
    expect(() => register({ prometheus: { routes: { '/metrics': () => {} } } })).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
  });
});

describe('addRoute() after registration', () => {
  const hello: Parameters<MetricsHandle['addRoute']>[1] = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('late');
  };

  it('serves a route added after the server listens, with the same auth', async () => {
    const h = register({ prometheus: { auth: { username: 'u', password: 'p' } } });
    const base = String(await h.prometheus?.ready).replace(/\/metrics$/, '');
    const basic = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
    expect((await get(`${base}/late`, basic)).status).toBe(404);
    expect(h.addRoute('/late', hello)).toBe(true);
    expect((await get(`${base}/late`)).status).toBe(401);
    const ok = await get(`${base}/late?x=1`, basic);
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('late');
  });

  it('a route added before the server listens is served once it does', async () => {
    const h = register();
    expect(h.addRoute('/early', hello)).toBe(true);
    const base = String(await h.prometheus?.ready).replace(/\/metrics$/, '');
    expect((await get(`${base}/early`)).body.toString()).toBe('late');
  });

  it('throws a ConfigurationError for a path that is taken or could never match', () => {
    const h = register({ prometheus: { healthPath: '/live', routes: { '/x': hello } } });
    h.addRoute('/y', hello);
    for (const path of ['/metrics', '/live', '/x', '/y', 'no-slash', '/a?b=1', '/a#b', '/a b', '']) {
      expect(() => h.addRoute(path, hello), path).toThrowError(
        expect.objectContaining({ name: 'ConfigurationError', setting: `addRoute("${path}")` }),
      );
    }
    expect(() => h.addRoute('/z', 'not a handler' as never)).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
  });

  it('returns false when no metrics server runs: server: false, prometheus off, after shutdown', async () => {
    expect(register({ prometheus: { server: false } }).addRoute('/a', hello)).toBe(false);
    expect(register({ exporters: ['none'] }).addRoute('/a', hello)).toBe(false);
    const h = register();
    const base = String(await h.prometheus?.ready).replace(/\/metrics$/, '');
    await h.shutdown();
    expect(h.addRoute('/a', hello)).toBe(false);
    await expect(get(`${base}/a`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('Prometheus handler mounted on an existing server', () => {
  it('serves the scrape from the application server, no own server started', async () => {
    const h = register({ prometheus: { server: false } });
    expect(await h.prometheus?.ready).toBeUndefined();
    expect(h.prometheus?.url).toBeUndefined();
    recordSample(h);
    const app = createServer((req, res) => {
      if (req.url === '/internal/metrics') return h.prometheus?.handler(req, res);
      res.writeHead(200);
      res.end('app');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    try {
      const port = (app.address() as AddressInfo).port;
      const res = await get(`http://127.0.0.1:${port}/internal/metrics`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('gen_ai_client_operation_duration_seconds_count');
      expect((await get(`http://127.0.0.1:${port}/`)).body.toString()).toBe('app');
    } finally {
      app.close();
    }
  });
});

describe('cardinality', () => {
  it('caps series per metric at the limit (N-1 real + overflow), views without a limit included', async () => {
    const h = register({
      cardinalityLimit: 5,
      views: [{ instrumentName: 'viewed', name: 'viewed_renamed' }],
    });
    const meter = h.meterProvider.getMeter('m');
    const plain = meter.createCounter('plain');
    const viewed = meter.createCounter('viewed');
    for (let i = 0; i < 20; i++) {
      plain.add(1, { model: `m${i}` });
      viewed.add(1, { model: `m${i}` });
    }
    const body = (await h.prometheus?.scrape()) as string;
    for (const name of ['plain_total', 'viewed_renamed_total']) {
      const lines = body.split('\n').filter((l) => l.startsWith(`${name}{`));
      expect(lines).toHaveLength(5);
      const overflow = lines.find((l) => l.includes('otel_metric_overflow="true"'));
      expect(overflow).toBeDefined();
      expect(overflow?.endsWith(' 16')).toBe(true);
    }
  });
});

describe('scrape timeout', () => {
  it('a hung observable callback costs its own data, not the scrape', async () => {
    const h = register({ prometheus: { scrapeTimeoutMillis: 200 } });
    const meter = h.meterProvider.getMeter('m');
    meter.createObservableGauge('hung').addCallback(() => new Promise<void>(() => {}));
    meter.createCounter('fine').add(2);
    const started = performance.now();
    const body = (await h.prometheus?.scrape()) as string;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(body).toMatch(/^fine_total\{[^}]*\} 2$/m);
    expect(body).not.toMatch(/^hung/m);
  });
});

describe('registration lifecycle', () => {
  it('global: registers the provider, a second call returns the same handle, shutdown twice is one shutdown', async () => {
    const h = registerMetrics({ env: {}, shutdownOnSignals: false, prometheus: { port: 0 } });
    handles.push(h);
    await h.ready;
    metricsApi.getMeter('via-global').createCounter('global_counter').add(7);
    expect(await h.prometheus?.scrape()).toMatch(/^global_counter_total\{[^}]*\} 7$/m);

    const again = registerMetrics({ env: {}, shutdownOnSignals: false, prometheus: { port: 0 } });
    expect(again).toBe(h);

    const first = h.shutdown();
    expect(h.shutdown()).toBe(first);
    await first;
    expect(h.isShutdown).toBe(true);
    // The server is gone and the global was released.
    await expect(get(h.prometheus?.url as string)).rejects.toThrow();

    const fresh = registerMetrics({ env: {}, shutdownOnSignals: false, prometheus: { port: 0 } });
    handles.push(fresh);
    expect(fresh).not.toBe(h);
    await fresh.ready;
    metricsApi.getMeter('via-global').createCounter('after_restart').add(1);
    expect(await fresh.prometheus?.scrape()).toContain('after_restart_total');
  });

  it('OTEL_SDK_DISABLED=true: no exporters, no server, nothing recorded, calls still safe', async () => {
    const h = registerMetrics({ env: { OTEL_SDK_DISABLED: 'true' } });
    handles.push(h);
    expect(h.disabled).toBe(true);
    expect(h.exporters).toEqual([]);
    expect(h.prometheus).toBeUndefined();
    await h.ready;
    h.meterProvider.getMeter('m').createCounter('x').add(1);
    const { resourceMetrics } = await h.collect();
    expect(resourceMetrics.scopeMetrics).toEqual([]);
    await h.forceFlush();
    await h.shutdown();
  });

  it('collect() reads cumulative data without an exporter when snapshot: true', async () => {
    const h = register({ exporters: ['none'], snapshot: true });
    const c = h.meterProvider.getMeter('m').createCounter('c');
    c.add(2);
    await h.collect();
    c.add(3);
    const { resourceMetrics } = await h.collect();
    const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
    expect(metric?.descriptor.name).toBe('c');
    expect(metric?.dataPoints[0]?.value).toBe(5);
    // Without a Prometheus reader and without snapshot: nothing to read, no second aggregation.
    const lean = register({ exporters: ['none'] });
    lean.meterProvider.getMeter('m').createCounter('c').add(1);
    expect((await lean.collect()).resourceMetrics.scopeMetrics).toEqual([]);
  });
});

describe('console exporter and several exporters at once', () => {
  it('prometheus + console: the scrape and the console dump carry the same data', async () => {
    const dir = vi.spyOn(console, 'dir').mockImplementation(() => {});
    try {
      const h = register({ exporters: ['prometheus', 'console'], console: { intervalMillis: 3_600_000 } });
      expect(h.exporters).toEqual(['prometheus', 'console']);
      h.meterProvider.getMeter('m').createCounter('both').add(9);
      await h.forceFlush();
      const dumped = dir.mock.calls.map(
        (c) => c[0] as { descriptor?: { name: string }; dataPoints?: { value: number }[] },
      );
      const both = dumped.find((d) => d.descriptor?.name === 'both');
      expect(both?.dataPoints?.[0]?.value).toBe(9);
      expect(await h.prometheus?.scrape()).toMatch(/^both_total\{[^}]*\} 9$/m);
    } finally {
      dir.mockRestore();
    }
  });
});
