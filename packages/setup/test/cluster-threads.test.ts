/**
 * worker_threads: the main thread registers as primary and serves the
 * merge; real threads (test/fixtures/cluster-thread.mjs, the built package)
 * register with `cluster: 'auto'` and record what the test tells them.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsHandle, registerMetrics } from '../src/index.js';
import { requireBuiltSetup } from './helpers/built.js';
import { parseExposition, type Sample } from './helpers/prom-text.js';
import { promtoolCheckMetrics } from './helpers/promtool.js';

const THREAD = new URL('./fixtures/cluster-thread.mjs', import.meta.url);
let telemetry: MetricsHandle | undefined;
const threads: Worker[] = [];

beforeAll(() => requireBuiltSetup());
afterEach(async () => {
  for (const t of threads.splice(0)) await t.terminate();
  await telemetry?.shutdown();
});

async function thread(): Promise<Worker> {
  // Without the test runner's flags: the thread loads the built package, as an application's would.
  const worker = new Worker(THREAD, { execArgv: [] });
  threads.push(worker);
  const [message] = (await once(worker, 'message')) as [{ ready?: boolean }];
  expect(message.ready).toBe(true);
  return worker;
}

async function command(worker: Worker, cmd: Record<string, unknown>): Promise<void> {
  worker.postMessage(cmd);
  await once(worker, 'message');
}

async function scrape(): Promise<Sample[]> {
  const body = (await telemetry?.prometheus?.scrape()) ?? '';
  const lint = promtoolCheckMetrics(body);
  expect(lint.ok, lint.output).toBe(true);
  return parseExposition(body).samples;
}

const total = (samples: Sample[]) =>
  samples.filter((s) => s.name === 'thread_test_requests_total').reduce((a, s) => a + s.value, 0);
const gauges = (samples: Sample[]) =>
  Object.fromEntries(
    samples
      .filter((s) => s.name === 'thread_test_recorded')
      .map((s) => [s.labels.tokenmeter_worker_id, s.value]),
  );

describe('worker_threads', () => {
  it('merges every thread; a terminated thread keeps its totals, a stopped one pushes its last increments', async () => {
    telemetry = registerMetrics({
      cluster: 'primary',
      prometheus: { port: 0 },
      setGlobal: false,
      shutdownOnSignals: false,
      detectResources: false,
    });
    const [a, b, c] = [await thread(), await thread(), await thread()];
    await command(a, { cmd: 'record', n: 3 });
    await command(b, { cmd: 'record', n: 5 });
    await command(c, { cmd: 'record', n: 8 });
    let samples = await scrape();
    expect(total(samples)).toBe(16);
    expect(gauges(samples)).toEqual({
      [`thread-${a.threadId}`]: 3,
      [`thread-${b.threadId}`]: 5,
      [`thread-${c.threadId}`]: 8,
    });

    // Terminated abruptly after it reported: its 3 stay, its gauge goes.
    const aId = a.threadId;
    await a.terminate();
    await new Promise((r) => setImmediate(r));
    samples = await scrape();
    expect(total(samples)).toBe(16);
    expect(Object.keys(gauges(samples))).not.toContain(`thread-${aId}`);

    // Stopped with increments it never reported: shutdown() pushes them.
    await command(b, { cmd: 'record', n: 100 });
    await command(b, { cmd: 'stop' });
    await once(b, 'exit');
    await new Promise((r) => setImmediate(r));
    samples = await scrape();
    expect(total(samples)).toBe(116);
    expect(gauges(samples)).toEqual({ [`thread-${c.threadId}`]: 8 });

    const d = await thread();
    await command(d, { cmd: 'record', n: 1 });
    samples = await scrape();
    expect(total(samples)).toBe(117);
    expect(
      samples.find((s) => s.name === 'thread_test_requests_total' && s.labels.http_route === '/a')?.value,
    ).toBe(2 + 3 + 50 + 4 + 1);
  }, 60_000);
});
