import { createLlmMetrics } from '@tokenmeter/llm';
import { type MetricsHandle, registerMetrics } from '@tokenmeter/setup';
import { afterEach, describe, expect, it } from 'vitest';
import { type DashboardData, mountDashboard } from '../src/index.js';
import { recordTraffic } from './helpers.js';

const handles: MetricsHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.shutdown()));
});

function register(options: Parameters<typeof registerMetrics>[0] = {}): MetricsHandle {
  const h = registerMetrics({
    serviceName: 'mounted',
    setGlobal: false,
    shutdownOnSignals: false,
    detectResources: false,
    env: {},
    ...options,
    prometheus: { port: 0, ...options.prometheus },
  });
  handles.push(h);
  return h;
}

describe('mountDashboard()', () => {
  it('one line after createLlmMetrics(): page and JSON on the running metrics server, with its auth', async () => {
    const telemetry = register({ prometheus: { auth: { bearerToken: 'secret' } } });
    const base = new URL('/', String(await telemetry.prometheus?.ready));
    const llm = createLlmMetrics({ meterProvider: telemetry.meterProvider, env: {} });
    const dashboard = mountDashboard(telemetry, { llm });
    expect(dashboard.served).toBe(true);
    recordTraffic(llm);

    const auth = { authorization: 'Bearer secret' };
    expect((await fetch(new URL('/dashboard.json', base))).status).toBe(401);
    const page = await fetch(base, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const json = await fetch(new URL('/dashboard.json', base), { headers: auth });
    expect(json.status).toBe(200);
    const data = (await json.json()) as DashboardData;
    expect(data).toMatchObject({ schema: 'tokenmeter.dashboard/v1', ok: true, service: 'mounted' });
    // Read from the handle's own collect(): the four client requests recorded through llm.
    expect(data.client.total.requests).toBe(4);
    expect((await fetch(new URL('/metrics', base), { headers: auth })).status).toBe(200);
  });

  it('served is false when the registration runs no metrics server', () => {
    const telemetry = register({ prometheus: { server: false } });
    const llm = createLlmMetrics({ meterProvider: telemetry.meterProvider, env: {} });
    expect(mountDashboard(telemetry, { llm }).served).toBe(false);
  });

  it('a path the server already serves is a configuration error', () => {
    const telemetry = register({ prometheus: { routes: { '/dashboard.json': (_req, res) => res.end() } } });
    const llm = createLlmMetrics({ meterProvider: telemetry.meterProvider, env: {} });
    expect(() => mountDashboard(telemetry, { llm })).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
  });
});
