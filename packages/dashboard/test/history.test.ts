import { describe, expect, it } from 'vitest';
import { History } from '../src/history.js';
import {
  createDashboard,
  type DashboardDataWithHistory,
  HISTORY_LIMITS,
  type HistoryData,
  seriesKey,
} from '../src/index.js';
import { appsStoppedAfterEach, recordTraffic } from './helpers.js';

const app = appsStoppedAfterEach();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('History: a bounded ring of charted values', () => {
  it('keeps the newest `points` samples in order, with null where a sample had no value', () => {
    const h = new History(3, 5000);
    h.add(1000, { 'c|requests': 1 });
    h.add(2000, { 'c|requests': 2, 'c|requests|m': 7 });
    h.add(2000, { 'c|requests': 99 }); // not newer: ignored
    h.add(1500, { 'c|requests': 99 }); // older: ignored
    h.add(3000, { 'c|requests': 3 });
    h.add(4000, { 'c|requests': 4 });
    expect(h.size).toBe(3);
    const json: HistoryData = h.toJSON();
    expect(json).toEqual({
      intervalMillis: 5000,
      spanS: 10,
      times: [2000, 3000, 4000],
      columns: { 'c|requests': [2, 3, 4], 'c|requests|m': [7, null, null] },
    });
    h.add(5000, { 'c|requests': 5 });
    // A series with no value left in the window is not sent.
    expect(Object.keys(h.toJSON().columns)).toEqual(['c|requests']);
  });

  it('admits at most HISTORY_LIMITS names per kind and HISTORY_LIMITS.columns series in all', () => {
    const h = new History(4, 1000);
    const values: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      values[seriesKey('c', 'requests', `model-${i}`)] = i;
      values[seriesKey('g', 'utilization', `gpu${i}`)] = 0.5;
    }
    values[seriesKey('c', 'requests')] = 1;
    h.add(1, values);
    const cols = Object.keys(h.toJSON().columns);
    expect(cols.filter((k) => k.startsWith('c|requests|'))).toHaveLength(HISTORY_LIMITS.models);
    expect(cols.filter((k) => k.startsWith('g|'))).toHaveLength(HISTORY_LIMITS.gpus);
    // The first seen are kept; the total always is.
    expect(cols).toContain('c|requests|model-0');
    expect(cols).not.toContain(`c|requests|model-${HISTORY_LIMITS.models}`);
    expect(cols).toContain('c|requests');

    // Many fields of admitted names: the hard bound on series still holds.
    const wide: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) wide[seriesKey('c', `field${i}`)] = i;
    h.add(2, wide);
    expect(h.columnCount).toBe(HISTORY_LIMITS.columns);
  });
});

describe('the server samples history on its own schedule', () => {
  it('keeps sampling without any page open, serves it with ?history=1, and stops on close()', async () => {
    let collections = 0;
    const a = await app({
      dashboard: {
        historyIntervalMillis: 500,
        historySpanS: 60,
        collect: () => {
          collections++;
          return a.handle.collect();
        },
      },
    });
    let round = 0;
    const traffic = setInterval(() => recordTraffic(a.llm, round++), 100);
    try {
      // No HTTP request at all: the samples come from the dashboard's own timer.
      await sleep(2300);
    } finally {
      clearInterval(traffic);
    }
    const h = a.dashboard.history();
    if (!h) throw new Error('no history');
    expect(h.intervalMillis).toBe(500);
    expect(h.spanS).toBe(60);
    expect(h.times.length).toBeGreaterThanOrEqual(3);
    // One collection per sample (one more may be under way).
    expect(collections - h.times.length).toBeGreaterThanOrEqual(0);
    expect(collections - h.times.length).toBeLessThanOrEqual(1);
    for (let i = 1; i < h.times.length; i++) {
      expect((h.times[i] as number) - (h.times[i - 1] as number)).toBeGreaterThanOrEqual(450);
    }
    const requests = h.columns['c|requests'] as number[];
    expect(requests).toHaveLength(h.times.length);
    expect(requests[requests.length - 1]).toBeGreaterThan(requests[0] as number);
    expect(h.columns['c|duration.p95|gpt-4o']?.some((v) => v !== null && v > 0)).toBe(true);
    expect(h.columns['t|loss|sft-1 / llama-3-8b']?.length).toBe(h.times.length);

    // The page's first request asks for the history; later polls do not carry it.
    const first = (await (
      await fetch(`${a.base}dashboard.json?history=1`)
    ).json()) as DashboardDataWithHistory;
    expect(first.ok).toBe(true);
    expect(first.history?.times.length).toBeGreaterThanOrEqual(h.times.length);
    expect(first.history?.columns['c|requests']).toBeDefined();
    const plain = (await (await fetch(`${a.base}dashboard.json`)).json()) as DashboardDataWithHistory;
    expect(plain.history).toBeUndefined();

    a.dashboard.close();
    a.dashboard.close(); // idempotent
    const after = collections;
    await sleep(1200);
    expect(collections).toBe(after);
  });

  it('waits quietly while the LlmMetrics does not exist yet, then samples', async () => {
    let ready = false;
    const a = await app({
      dashboard: { historyIntervalMillis: 500, historySpanS: 60, llm: () => (ready ? a.llm : undefined) },
    });
    await sleep(1200);
    expect(a.dashboard.history()?.times).toEqual([]);
    ready = true;
    await sleep(1200);
    expect(a.dashboard.history()?.times.length).toBeGreaterThanOrEqual(1);
  });

  it('never keeps the process alive: its timer is unref()d', () => {
    const before = timeouts();
    const d = createDashboard({ llm: () => undefined, collect: () => ({ resourceMetrics: [] }) });
    expect(timeouts()).toBe(before);
    d.close();
  });

  it('keeps no history with historyIntervalMillis: 0, and ?history=1 then sends none', async () => {
    let collections = 0;
    const a = await app({
      dashboard: {
        historyIntervalMillis: 0,
        collect: () => {
          collections++;
          return a.handle.collect();
        },
      },
    });
    await sleep(700);
    expect(collections).toBe(0);
    expect(a.dashboard.history()).toBeUndefined();
    const d = (await (await fetch(`${a.base}dashboard.json?history=1`)).json()) as DashboardDataWithHistory;
    expect(d.ok).toBe(true);
    expect(d.history).toBeUndefined();
  });
});
