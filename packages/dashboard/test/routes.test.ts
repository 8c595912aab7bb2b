import { createHash } from 'node:crypto';
import { createLlmMetrics } from '@tokenmeter/llm';
import { describe, expect, it } from 'vitest';
import { createDashboard, type DashboardData, dashboardRoutes } from '../src/index.js';
import { appsStoppedAfterEach, recordTraffic } from './helpers.js';

const app = appsStoppedAfterEach();

const sha256 = (s: string) => `sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}`;

describe('routes on the metrics server (registerMetrics, port 0)', () => {
  it('serves the page at / and /dashboard with a CSP that allows exactly its inline script and style', async () => {
    const { base } = await app();
    for (const path of ['', 'dashboard']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      expect(script.length).toBeGreaterThan(10_000); // uPlot is inside
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(`script-src '${sha256(script)}'`);
      expect(csp).toContain(`style-src '${sha256(style)}'`);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      // The config the page reads: the JSON path and the poll interval.
      const meta = /<meta name="tokenmeter-config" content="([^"]*)">/.exec(html)?.[1] ?? '';
      expect(JSON.parse(meta.replace(/&quot;/g, '"'))).toEqual({
        json: '/dashboard.json',
        intervalMillis: 2000,
        historySpanS: 600,
        historyIntervalMillis: 5000,
      });
      // Self-contained: nothing loaded from elsewhere.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|@import|url\(\s*['"]?https?:/i);
    }
    // /metrics is still there, next to it.
    const metrics = await fetch(`${base}metrics`);
    expect(metrics.status).toBe(200);
  });

  it('serves the JSON next to /metrics, from the same aggregation', async () => {
    const { base, llm, handle } = await app();
    recordTraffic(llm);
    const res = await fetch(`${base}dashboard.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const d = (await res.json()) as DashboardData;
    expect(d.ok).toBe(true);
    expect(d.service).toBe('dashboard-test');
    expect(d.client.total.requests).toBe(4);
    expect(d.models).toContain('gpt-4o-mini');
    // The scrape says the same.
    const text = (await handle.prometheus?.scrape()) ?? '';
    expect(text).toMatch(/gen_ai_client_operation_duration_seconds_count\{[^}]*gpt-4o-mini[^}]*\} 2/);
  });

  it('answers HEAD without a body and 405 to other methods', async () => {
    const { base } = await app();
    for (const path of ['', 'dashboard.json']) {
      const head = await fetch(base + path, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const post = await fetch(base + path, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('has the same auth as /metrics, and the credentials appear nowhere', async () => {
    const token = 'tok-3f1b9c2e-very-secret';
    const { base, llm } = await app({ auth: { bearerToken: token } });
    recordTraffic(llm);
    for (const path of ['', 'dashboard', 'dashboard.json', 'metrics']) {
      expect((await fetch(base + path)).status, path).toBe(401);
      expect((await fetch(base + path, { headers: { authorization: 'Bearer nope' } })).status, path).toBe(
        401,
      );
      const ok = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status, path).toBe(200);
      expect(await ok.text()).not.toContain(token);
    }
    const basic = await app({ auth: { username: 'u', password: 'p4ss' } });
    expect((await fetch(`${basic.base}dashboard.json`)).status).toBe(401);
    const auth = `Basic ${Buffer.from('u:p4ss').toString('base64')}`;
    expect((await fetch(`${basic.base}dashboard.json`, { headers: { authorization: auth } })).status).toBe(
      200,
    );
  });

  it('answers 503 until the LlmMetrics exists, and ok:false when collect() fails', async () => {
    let ready = false;
    const a = await app({
      dashboard: {
        llm: () => (ready ? llmLater : undefined),
        collect: () => {
          if (failing) throw new Error('collector down');
          return a.handle.collect();
        },
      },
    });
    let failing = false;
    const llmLater = createLlmMetrics({ meterProvider: a.handle.meterProvider, env: {} });
    const early = await fetch(`${a.base}dashboard.json`);
    expect(early.status).toBe(503);
    expect(await early.json()).toEqual({ ok: false, error: 'metrics not ready yet' });
    ready = true;
    expect((await fetch(`${a.base}dashboard.json`)).status).toBe(200);
    failing = true;
    const failed = await fetch(`${a.base}dashboard.json`);
    expect(failed.status).toBe(200);
    const d = (await failed.json()) as DashboardData;
    expect(d.ok).toBe(false);
    expect(JSON.stringify(d)).not.toContain('collector down');
  });

  it('a snapshot() that throws answers 500, and the server keeps serving', async () => {
    const a = await app({
      dashboard: {
        llm: {
          snapshot: () => {
            throw new Error('boom');
          },
        },
      },
    });
    const res = await fetch(`${a.base}dashboard.json`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: 'dashboard data failed; see the application log' });
    expect((await fetch(a.base)).status).toBe(200);
  });

  it('concurrent requests share one collection', async () => {
    let collections = 0;
    const a = await app({
      dashboard: {
        collect: async () => {
          collections++;
          await new Promise((r) => setTimeout(r, 30));
          return a.handle.collect();
        },
      },
    });
    const all = await Promise.all([1, 2, 3, 4].map(() => fetch(`${a.base}dashboard.json`)));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(collections).toBe(1);
  });

  it('takes custom paths and interval, and rejects bad options', async () => {
    const { base } = await app({
      dashboard: { pagePaths: ['/ui'], jsonPath: '/ui/data.json', intervalMillis: 750, historySpanS: 60 },
    });
    expect((await fetch(base)).status).toBe(404);
    const html = await (await fetch(`${base}ui`)).text();
    expect(html).toContain('{&quot;json&quot;:&quot;/ui/data.json&quot;,&quot;intervalMillis&quot;:750');
    expect((await fetch(`${base}ui/data.json`)).status).toBe(200);

    const llm = createLlmMetrics({ env: {} });
    const collect = () => ({ resourceMetrics: [] });
    expect(Object.keys(dashboardRoutes({ llm, collect, historyIntervalMillis: 0 }))).toEqual([
      '/',
      '/dashboard',
      '/dashboard.json',
    ]);
    expect(() => createDashboard({ llm, collect, intervalMillis: 10 })).toThrow(/intervalMillis/);
    expect(() => createDashboard({ llm, collect, jsonPath: 'x.json' })).toThrow(/jsonPath/);
    expect(() => createDashboard({ llm, collect, pagePaths: ['ui'] })).toThrow(/pagePaths/);
    expect(() => createDashboard({ llm, collect, historyIntervalMillis: 100 })).toThrow(
      /historyIntervalMillis/,
    );
    expect(() => createDashboard({ llm, collect, historySpanS: 2 })).toThrow(/historySpanS/);
    expect(() => createDashboard({ llm, collect, historySpanS: 86_400 })).toThrow(/at most 1000/);
    // No server history: nothing to bound.
    const none = createDashboard({ llm, collect, historySpanS: 86_400, historyIntervalMillis: 0 });
    expect(none.history()).toBeUndefined();
    none.close();
  });
});
