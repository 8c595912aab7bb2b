/**
 * A real node:cluster application (test/fixtures/cluster-app.mjs, the built
 * package): a primary with 4 workers, scraped over HTTP. The expected values
 * are what the test told each worker to record, computed here; every body
 * must pass `promtool check metrics`, and no counter may ever go down from
 * one scrape to the next, whatever happens to the workers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltSetup, SETUP_PACKAGE_DIR } from './helpers/built.js';
import { parseExposition, type Sample } from './helpers/prom-text.js';
import { promtoolCheckMetrics } from './helpers/promtool.js';

const APP = fileURLToPath(new URL('./fixtures/cluster-app.mjs', import.meta.url));
const BUCKETS = [0.1, 1, 10];
/** The fixture records value i % 4 of these on route i % 2 (`/a`, `/b`). */
const VALUES = [0.05, 0.5, 5, 50];
const PRIMARY_REQUESTS = 5; // the primary's own counter, on route /a

type Event = Record<string, unknown> & { event: string };

class ClusterApp {
  readonly child: ChildProcess;
  stderr = '';
  private readonly events: Event[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [APP], {
      cwd: SETUP_PACKAGE_DIR,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.events.push(JSON.parse(line) as Event);
      for (const check of this.waiting) check();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  /** The next event that matches, consumed. */
  next(match: Partial<Event>): Promise<Event> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error(`no ${JSON.stringify(match)} event; stderr:\n${this.stderr}`));
      }, 20_000);
      const check = () => {
        const i = this.events.findIndex((e) => Object.entries(match).every(([k, v]) => e[k] === v));
        if (i < 0) return;
        const [event] = this.events.splice(i, 1);
        this.waiting.delete(check);
        clearTimeout(timer);
        resolve(event as Event);
      };
      this.waiting.add(check);
      check();
    });
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  async record(slot: number, n: number): Promise<void> {
    this.send({ cmd: 'record', slot, n });
    await this.next({ event: 'recorded', slot });
  }
}

/** What the workers were told to record, and what the scrape must say. */
class Expected {
  /** Live workers' recorded totals by cluster worker id, for gauges and the up-down counter. */
  readonly live = new Map<string, number>();
  readonly requests = { '/a': PRIMARY_REQUESTS, '/b': 0 };
  /** Observation counts per route and value index. */
  readonly observed = { '/a': [0, 0, 0, 0], '/b': [0, 0, 0, 0] };

  record(id: string, n: number): void {
    for (let i = 0; i < n; i++) {
      const route = i % 2 === 0 ? '/a' : '/b';
      this.requests[route]++;
      (this.observed[route][i % VALUES.length] as number)++;
    }
    this.live.set(id, (this.live.get(id) ?? 0) + n);
  }

  /** Checks a parsed scrape against everything recorded so far. */
  check(samples: Sample[]): void {
    const value = (name: string, labels: Record<string, string>) =>
      samples.find(
        (s) =>
          s.name === name &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
          Object.keys(s.labels).filter((k) => !k.startsWith('otel_scope')).length ===
            Object.keys(labels).length,
      )?.value;
    for (const route of ['/a', '/b'] as const) {
      const requests = this.requests[route];
      expect(value('cluster_test_requests_total', { http_route: route }), route).toBe(requests || undefined);
      const counts = this.observed[route];
      const total = counts.reduce((a, b) => a + b, 0);
      const hist = 'cluster_test_latency_seconds';
      if (total === 0) continue;
      expect(value(`${hist}_count`, { http_route: route })).toBe(total);
      const sum = counts.reduce((a, c, k) => a + c * (VALUES[k] as number), 0);
      expect(value(`${hist}_sum`, { http_route: route })).toBeCloseTo(sum, 9);
      for (const le of BUCKETS) {
        const below = counts.reduce((a, c, k) => a + ((VALUES[k] as number) <= le ? c : 0), 0);
        expect(value(`${hist}_bucket`, { http_route: route, le: String(le) }), `le=${le}`).toBe(below);
      }
    }
    // Gauges: one series per live process (the primary's own is "primary"), none for the dead.
    const gauges = samples.filter((s) => s.name === 'cluster_test_recorded');
    const byWorker = Object.fromEntries(gauges.map((s) => [s.labels.tokenmeter_worker_id, s.value]));
    expect(byWorker).toEqual({ primary: PRIMARY_REQUESTS, ...Object.fromEntries(this.live) });
    // The up-down counter: the sum over live workers.
    const open = [...this.live.values()].reduce((a, b) => a + b, 0);
    if (open > 0) expect(value('cluster_test_inflight', {})).toBe(open);
  }
}

/** Scrapes, checks the body with promtool and that no counter went down since the last scrape. */
class Scraper {
  private last = new Map<string, number>();
  constructor(private readonly url: string) {}

  async scrape(): Promise<Sample[]> {
    const res = await fetch(this.url);
    expect(res.status).toBe(200);
    const body = await res.text();
    const lint = promtoolCheckMetrics(body);
    expect(lint.ok, lint.output).toBe(true);
    const { samples } = parseExposition(body);
    const now = new Map<string, number>();
    for (const s of samples) {
      if (!/_total$|_count$|_bucket$|_sum$/.test(s.name)) continue;
      const key = `${s.name}${JSON.stringify(s.labels)}`;
      expect(s.value, `${key} went down`).toBeGreaterThanOrEqual(this.last.get(key) ?? 0);
      now.set(key, s.value);
    }
    for (const [key, v] of this.last) expect(now.get(key), `${key} disappeared`).toBeGreaterThanOrEqual(v);
    this.last = now;
    return samples;
  }
}

const apps: ClusterApp[] = [];
beforeAll(() => requireBuiltSetup());
afterEach(() => {
  for (const app of apps.splice(0)) app.child.kill('SIGKILL');
});

async function start(env: Record<string, string> = {}) {
  const app = new ClusterApp({ WORKERS: '4', ...env });
  apps.push(app);
  const ready = await app.next({ event: 'ready' });
  const ids = new Map((ready.ids as [number, number][]).map(([slot, id]) => [slot, String(id)]));
  return { app, ids, scraper: new Scraper(ready.url as string) };
}

describe('node:cluster, 4 real workers', () => {
  it('totals are exact and never step back while workers are killed, replaced and stopped', async () => {
    const { app, ids, scraper } = await start();
    const expected = new Expected();
    expected.check(await scraper.scrape());

    const counts = [10, 21, 32, 43];
    for (const [i, n] of counts.entries()) {
      await app.record(i + 1, n);
      expected.record(ids.get(i + 1) as string, n);
    }
    expected.check(await scraper.scrape());

    // SIGKILL after it reported: its totals stay, its gauge and its open requests go.
    app.send({ cmd: 'kill', slot: 2, signal: 'SIGKILL' });
    await app.next({ event: 'exited', slot: 2, signal: 'SIGKILL' });
    expected.live.delete(ids.get(2) as string);
    expected.check(await scraper.scrape());

    // Its replacement is a new worker id whose counts start at 0.
    app.send({ cmd: 'fork', slot: 2 });
    const forked = await app.next({ event: 'forked', slot: 2 });
    ids.set(2, String(forked.id));
    await app.record(2, 7);
    expected.record(String(forked.id), 7);
    expected.check(await scraper.scrape());

    // SIGTERM with unreported increments: the worker pushes its final state before it exits.
    await app.record(3, 11);
    expected.record(ids.get(3) as string, 11);
    app.send({ cmd: 'kill', slot: 3, signal: 'SIGTERM' });
    const exited = await app.next({ event: 'exited', slot: 3 });
    expect(exited.signal).toBe('SIGTERM');
    expected.live.delete(ids.get(3) as string);
    expected.check(await scraper.scrape());
    expected.check(await scraper.scrape());
    expect(app.stderr).not.toMatch(/tokenmeter/);
  }, 60_000);

  it("a worker merges its own threads before it answers; a thread that ends leaves its counts in the worker's", async () => {
    const { app, ids, scraper } = await start({ WORKERS: '2' });
    const expected = new Expected();
    await app.record(1, 4);
    expected.record(ids.get(1) as string, 4);
    app.send({ cmd: 'thread', slot: 1, n: 9 });
    const { threadId } = await app.next({ event: 'thread', slot: 1 });
    // Nine more requests on worker 1's own series, split over the routes as a worker splits them.
    expected.requests['/a'] += 5;
    expected.requests['/b'] += 4;
    let samples = await scraper.scrape();
    expected.check(samples);
    const threadGauge = (s: Sample[]) =>
      s.find((x) => x.name === 'thread_test_recorded')?.labels.tokenmeter_worker_id;
    expect(threadGauge(samples)).toBe(`${ids.get(1)}/thread-${threadId}`);
    app.send({ cmd: 'end-thread', slot: 1 });
    await app.next({ event: 'thread-ended', slot: 1 });
    for (let i = 0; i < 2; i++) {
      samples = await scraper.scrape();
      expected.check(samples);
      expect(threadGauge(samples)).toBeUndefined();
    }
    expect(app.stderr).not.toMatch(/tokenmeter/);
  }, 60_000);

  it('a worker that hangs costs each scrape its timeout, counts at its last state, and is named once', async () => {
    const { app, ids, scraper } = await start({ CLUSTER_TIMEOUT_MS: '500' });
    const expected = new Expected();
    for (const slot of [1, 2, 3, 4]) {
      await app.record(slot, 4);
      expected.record(ids.get(slot) as string, 4);
    }
    expected.check(await scraper.scrape());
    app.send({ cmd: 'hang', slot: 1, ms: 4000 });
    await app.next({ event: 'recorded', slot: 1 });
    await new Promise((r) => setTimeout(r, 50)); // its loop is blocked from here on
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      expected.check(await scraper.scrape());
      expect(performance.now() - t0).toBeLessThan(3000);
    }
    const said = app.stderr.split('\n').filter((l) => l.includes('tokenmeter'));
    expect(said).toEqual([
      `tokenmeter: cluster worker ${ids.get(1)} did not answer within 500 ms; its last reported state is served`,
    ]);
  }, 60_000);

  it('workers that send garbage: one diagnostic each, their data skipped, the scrape unharmed', async () => {
    const { app, ids, scraper } = await start();
    const expected = new Expected();
    for (const slot of [1, 2, 3, 4]) {
      await app.record(slot, 6);
      expected.record(ids.get(slot) as string, 6);
    }
    const kinds = ['wrong-types', 'negative-counter', 'huge', 'not-an-object'];
    const bad = new Map<string, string>();
    for (const [i, kind] of kinds.entries()) {
      app.send({ cmd: 'fork', slot: 10 + i, garbage: kind });
      const forked = await app.next({ event: 'forked', slot: 10 + i });
      bad.set(String(forked.id), kind);
    }
    for (let i = 0; i < 3; i++) {
      const samples = await scraper.scrape();
      expected.check(samples);
      expect(samples.some((s) => s.name.startsWith('cluster_test_huge'))).toBe(false);
    }
    const said = app.stderr.split('\n').filter((l) => l.includes('tokenmeter'));
    expect(said).toHaveLength(kinds.length);
    for (const id of bad.keys()) {
      expect(
        said.filter((l) => l.startsWith(`tokenmeter: cluster worker ${id} sent a malformed collection (`)),
      ).toHaveLength(1);
    }
    expect(said.find((l) => l.includes(`worker ${[...bad].find(([, k]) => k === 'huge')?.[0]} `))).toMatch(
      /more than 100000 definitions/,
    );
  }, 60_000);
});
