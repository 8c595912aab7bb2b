/**
 * The page in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): against the running quickstart demo (needs `pnpm build`),
 * opened late (TOKENMETER_LATE_OPEN_S seconds after the demo starts, 21 by
 * default), and against in-test apps with two (simulated) GPUs, without GPUs,
 * with a cost counter, and with the page's clock driven by Playwright.
 *
 * The screenshot goes to docs/dashboard.png when that file is missing or
 * TOKENMETER_UPDATE_SCREENSHOT=1 is set, else to a temporary directory (so a
 * test run does not rewrite a committed image). For the docs, open it later:
 * TOKENMETER_UPDATE_SCREENSHOT=1 TOKENMETER_LATE_OPEN_S=300.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardData } from '../src/index.js';
import { PAGE_SCRIPT_SHA256 } from '../src/page-assets.js';
import { type App, pricedRequests, recordTraffic, startApp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const DEMO = fileURLToPath(new URL('../../../examples/quickstart/dist/main.js', import.meta.url));
const DOCS_PNG = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
/** How long after the demo starts the page is opened: the server's history is what it draws first. */
const LATE_OPEN_S = Number(process.env.TOKENMETER_LATE_OPEN_S ?? 21);
const demoBuilt = existsSync(DEMO) && readFileSync(DEMO, 'utf8').includes('@tokenmeter/dashboard');

if (!haveChromium) {
  console.warn(
    `\n*** SKIPPING the dashboard browser tests: ${CHROMIUM} is missing (apt-get install chromium). CI installs it. ***\n`,
  );
}
if (haveChromium && !demoBuilt) {
  console.warn(
    `\n*** SKIPPING the dashboard test against the demo: ${DEMO} is not built with the dashboard (run pnpm build). ***\n`,
  );
}

/** The panels a demo with traffic and a training loop must fill. */
const DATA_PANELS = ['requests', 'duration', 'ttft', 'tokens', 'inflight', 'loss', 'step'];

let context: BrowserContext | undefined;
let userDataDir: string | undefined;

async function open(
  url: string,
  before?: (page: Page) => Promise<void>,
): Promise<{ page: Page; problems: string[]; foreign: string[] }> {
  if (!context) throw new Error('no browser');
  const page = await context.newPage();
  await before?.(page);
  const problems: string[] = [];
  const foreign: string[] = [];
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Failed loads are reported by the response listener, with their URL.
    if (m.text().startsWith('Failed to load resource')) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) foreign.push(r.url());
  });
  await page.goto(url);
  return { page, problems, foreign };
}

/**
 * The page's document, typed just enough: this file is type-checked without the DOM library.
 * Callbacks run in the page (as functions: its CSP forbids evaluating strings), so each one
 * reaches the document through globalThis itself.
 */
interface MiniElement {
  dataset: Record<string, string | undefined>;
}
interface MiniDocument {
  body: MiniElement;
  getElementById(id: string): MiniElement | null;
}

async function waitForData(page: Page, updates: number, panels: string[]): Promise<void> {
  await page.waitForFunction(
    ([n, ids]) => {
      const d = (globalThis as unknown as { document: MiniDocument }).document;
      return (
        Number(d.body.dataset.updates) >= n &&
        ids.every((id) => d.getElementById(`panel-${id}`)?.dataset.state === 'data')
      );
    },
    [updates, panels] as const,
    { timeout: 45_000, polling: 200 },
  );
}

/** Waits until element `id` has `data-state` = `value`. */
const until = (page: Page, id: string, value: string) =>
  page.waitForFunction(
    ([i, v]) =>
      (globalThis as unknown as { document: MiniDocument }).document.getElementById(i)?.dataset.state === v,
    [id, value] as const,
    { polling: 100 },
  );

/**
 * Replaces the page's clock (its Date and timers) with Playwright's, paused: the page
 * polls once on load, and after that only when the test runs the clock forward.
 */
const pausedClock = async (page: Page) => {
  const t0 = Date.UTC(2030, 0, 1);
  await page.clock.install({ time: t0 });
  await page.clock.pauseAt(t0 + 1000);
};

/** Waits until the page has drawn `n` snapshots. */
const updated = (page: Page, n: number) =>
  page.waitForFunction(
    (k) => Number((globalThis as unknown as { document: MiniDocument }).document.body.dataset.updates) >= k,
    n,
    { polling: 50, timeout: 30_000 },
  );

/**
 * For each canvas under `selector`: the fraction of its pixel columns where the chart's
 * first colour (#2563eb) is drawn. Read from the rendered pixels, like a screenshot:
 * a line through the whole history covers most of the width, one or two points almost none.
 */
const lineCoverage = (page: Page, selector: string) =>
  page.$$eval(`${selector} canvas`, (canvases) =>
    canvases.map((c) => {
      const canvas = c as unknown as {
        width: number;
        height: number;
        getContext(t: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const { width, height } = canvas;
      const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
      let columns = 0;
      for (let x = 0; x < width; x++) {
        for (let y = 0; y < height; y++) {
          const i = 4 * (y * width + x);
          const [r, g, b] = [px[i] as number, px[i + 1] as number, px[i + 2] as number];
          if (Math.abs(r - 0x25) + Math.abs(g - 0x63) + Math.abs(b - 0xeb) < 90) {
            columns++;
            break;
          }
        }
      }
      return columns / width;
    }),
  );

/** The newest values in a panel's legend, by series label. */
const legend = (page: Page, id: string) =>
  page.$$eval(`#panel-${id} .u-legend .u-series`, (rows) =>
    Object.fromEntries(
      rows.map((r) => [
        r.querySelector('.u-label')?.textContent ?? '',
        r.querySelector('.u-value')?.textContent ?? '',
      ]),
    ),
  );

const attr = (page: Page, selector: string, name: string) =>
  page.$eval(selector, (el, n) => el.getAttribute(n) ?? '', name);
const state = (page: Page, id: string) => attr(page, `#panel-${id}`, 'data-state');
const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

/**
 * The first render of a page opened late (its clock paused, so nothing else has been
 * drawn): every chart from the server's history, ticks in human time, the span said,
 * and the screenshot, whose pixels show lines across the charts.
 */
async function firstRenderAfterLateOpen(page: Page): Promise<void> {
  // The first render: everything comes from the server's history (a point every 5 s).
  await updated(page, 1);
  for (const id of DATA_PANELS) {
    expect(await state(page, id), id).toBe('data');
    expect(Number(await attr(page, `#panel-${id}`, 'data-line-points')), id).toBeGreaterThan(2);
    // Ticks in whole seconds or minutes of the clock, never tenths of a second.
    const ticks = (await attr(page, `#panel-${id}`, 'data-x-ticks')).split(' ');
    expect(ticks.length, id).toBeGreaterThanOrEqual(2);
    for (const t of ticks) expect(t, id).toMatch(/^\d\d:\d\d(:\d\d)?$/);
  }
  const spanS = Number(await attr(page, '#span', 'data-span-s'));
  expect(spanS).toBeGreaterThanOrEqual(LATE_OPEN_S - 12);
  expect(await text(page, '#span')).toMatch(
    /^charts: last .+ \(the server keeps 10 min, a point every 5 s\)$/,
  );
  const update = process.env.TOKENMETER_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_PNG);
  const shot = update ? DOCS_PNG : join(userDataDir ?? tmpdir(), 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  expect(statSync(shot).size).toBeGreaterThan(20_000);
  // What the screenshot shows: each chart's first line runs across most of its width.
  for (const id of ['duration', 'ttft', 'inflight', 'loss']) {
    const [coverage] = await lineCoverage(page, `#panel-${id}`);
    expect(coverage, id).toBeGreaterThan(0.5);
  }

  expect(await attr(page, 'body', 'data-updates')).toBe('1');
}

describe.skipIf(!haveChromium)('dashboard page in headless Chromium', () => {
  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'tokenmeter-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      viewport: { width: 1400, height: 1000 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  describe.skipIf(!demoBuilt)('against the running quickstart demo', () => {
    let demo: ChildProcess | undefined;
    let base = '';
    let output = '';

    beforeAll(
      async () => {
        demo = spawn(process.execPath, [DEMO, '--port', '0', '--duration', String(LATE_OPEN_S + 90)], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, OTEL_METRICS_EXPORTER: 'prometheus' },
        });
        demo.stdout?.on('data', (d: Buffer) => (output += d.toString()));
        demo.stderr?.on('data', (d: Buffer) => (output += d.toString()));
        base = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`the demo printed no dashboard URL:\n${output}`)),
            20_000,
          );
          const check = () => {
            const m = /dashboard: (http:\/\/\S+)/.exec(output);
            if (m?.[1]) {
              clearTimeout(timer);
              resolve(m[1]);
            } else setTimeout(check, 50);
          };
          check();
        });
        // A late open: the page's first render has only the server's history to draw from.
        await new Promise((r) => setTimeout(r, LATE_OPEN_S * 1000));
      },
      30_000 + LATE_OPEN_S * 1000,
    );

    afterAll(() => {
      demo?.kill('SIGTERM');
    });

    it('opened late, draws the history at once in human time, then live charts; saves the screenshot', async () => {
      // The demo runs the built package: make a stale dist/ fail clearly rather than test old code.
      const csp = (await fetch(base)).headers.get('content-security-policy') ?? '';
      expect(csp.includes(PAGE_SCRIPT_SHA256), 'the demo serves an old page: run pnpm build').toBe(true);
      // The page's clock stands still until resumed: what is checked first is the first render.
      const { page, problems, foreign } = await open(base, pausedClock);
      try {
        await firstRenderAfterLateOpen(page);
      } finally {
        // The clock belongs to the browser context: let it run for this page and the next ones.
        await page.clock.resume();
      }

      await waitForData(page, 4, DATA_PANELS);
      expect(await text(page, '#service')).toBe('tokenmeter-quickstart');
      expect(await page.title()).toBe('tokenmeter-quickstart · tokenmeter');
      expect(await attr(page, '#status', 'data-state')).toBe('live');

      // Every data panel drew a uPlot chart with points from the history and the polls.
      for (const id of DATA_PANELS) {
        expect(await state(page, id), id).toBe('data');
        expect(await page.$$(`#panel-${id} canvas`), id).toHaveLength(1);
        const points = Number(await attr(page, `#panel-${id}`, 'data-points'));
        expect(points, id).toBeGreaterThanOrEqual(3);
      }
      const labels = await page.$$eval('#panel-ttft .u-legend .u-label', (els) =>
        els.map((e) => e.textContent),
      );
      expect(labels).toEqual(expect.arrayContaining(['p50', 'p95', 'p99']));
      expect(await text(page, '#panel-ttft h2')).toBe('Time to first chunk (TTFT)');
      // Percentiles over snapshot()'s window, not since start; the tiles name that window.
      expect(await text(page, '#panel-ttft .note')).toMatch(/percentiles over the last \d+ s/);
      expect(await text(page, '#tile-ttft-p95 .label')).toMatch(/^TTFT p95 \(\d+ s\)$/);
      expect(await text(page, '#tile-ttft-p95 .value')).toMatch(/^[\d.]+ m?s$/);

      // Optional panels follow what the JSON says: charts with data, else one line instead.
      const json = (await (await fetch(`${base}dashboard.json`)).json()) as DashboardData;
      for (const [group, ids, has] of [
        ['gpu', ['gpu-util', 'gpu-mem'], json.gpus.length > 0],
        ['cost', ['cost-rate', 'cost-per-request'], json.cost !== undefined],
      ] as const) {
        for (const id of ids) {
          if (has) expect(await state(page, id), id).toBe('data');
          else expect(await page.$(`#panel-${id}`), id).toBeNull();
        }
        if (has) expect(await page.$(`#absent-${group}`), group).toBeNull();
        else expect(await text(page, `#absent-${group}`)).toMatch(/^no (GPU|cost) metrics: /);
      }
      expect(await page.$('#absent-training')).toBeNull();

      // Tiles show current numbers; the model filter lists the demo's models.
      const total = Number(await text(page, '#tile-requests .value'));
      expect(total).toBeGreaterThan(5);
      expect(await text(page, '#tile-errors .value')).toMatch(/^\d+ \(\d/);
      const models = await page.$$eval('#model option', (os) => os.map((o) => o.getAttribute('value')));
      expect(models).toEqual(expect.arrayContaining(['', 'gpt-4o', 'gpt-4o-mini', 'o4-mini', 'llama3.2:3b']));

      await page.selectOption('#model', 'gpt-4o-mini');
      expect(await attr(page, 'body', 'data-model')).toBe('gpt-4o-mini');
      expect(await text(page, '#panel-requests .note')).toContain('model gpt-4o-mini');
      expect(await state(page, 'ttft')).toBe('data');
      // The filter redraws the history too, not only the polls since the page opened.
      expect(Number(await attr(page, '#panel-ttft', 'data-line-points'))).toBeGreaterThan(2);
      expect(Number(await text(page, '#tile-requests .value'))).toBeLessThan(total);
      await page.selectOption('#model', '');
      expect(await text(page, '#panel-requests .note')).toContain('all models');

      // No prompts, no API key, nothing loaded from elsewhere, no script errors or CSP violations.
      const body = await page.content();
      expect(body).not.toContain('Question #');
      expect(body).not.toContain('sk-demo');
      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    }, 90_000);
  });

  describe('against an in-test app with GPUs', () => {
    let app: App | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;

    beforeAll(async () => {
      app = await startApp({
        gpu: true,
        serviceName: 'browser-test',
        dashboard: { intervalMillis: 500, historyIntervalMillis: 500, historySpanS: 120 },
      });
      let round = 0;
      const a = app;
      recordTraffic(a.llm, round++);
      timer = setInterval(() => recordTraffic(a.llm, round++), 200);
    });

    afterAll(async () => {
      clearInterval(timer);
      await app?.stop();
    });

    it('draws GPU utilization and memory, the server side and a custom interval', async () => {
      const { page, problems, foreign } = await open(app?.base ?? '');
      await waitForData(page, 4, [...DATA_PANELS, 'gpu-util', 'gpu-mem']);
      expect(await text(page, '#service')).toBe('browser-test');
      const gpuLegend = await page.$$eval('#panel-gpu-util .u-legend .u-label', (els) =>
        els.map((e) => e.textContent),
      );
      expect(gpuLegend).toEqual(expect.arrayContaining(['gpu0', 'gpu1']));
      expect(await text(page, '#panel-gpu-mem .note')).toContain('limit 80 GiB');
      expect(await text(page, '#tile-gpu .label')).toBe('GPU utilization (2)');
      expect(await page.$('#absent-gpu')).toBeNull();

      // Both sides have traffic: the side selector appears; the server side has its own TTFT.
      expect(await page.$eval('#side-label', (el) => el.hasAttribute('hidden'))).toBe(false);
      await page.selectOption('#side', 'server');
      expect(await attr(page, 'body', 'data-side')).toBe('server');
      expect(await text(page, '#panel-ttft h2')).toBe('Time to first token (TTFT)');
      expect(await state(page, 'ttft')).toBe('data');
      await page.selectOption('#model', 'gpt-4o');
      // gpt-4o has no server-side traffic: the server panels say "no data", not an error.
      await until(page, 'panel-ttft', 'empty');
      expect(await text(page, '#panel-ttft .empty')).toBe('no streamed requests recorded yet');
      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    }, 60_000);

    it('says so when the server stops answering, and recovers', async () => {
      const { page } = await open(app?.base ?? '');
      await waitForData(page, 2, ['requests']);
      await page.route('**/dashboard.json', (route) => route.fulfill({ status: 500, body: '{}' }));
      await until(page, 'status', 'error');
      expect(await text(page, '#status')).toContain('HTTP 500');
      await page.unroute('**/dashboard.json');
      await until(page, 'status', 'live');
      expect(await state(page, 'requests')).toBe('data');
      await page.close();
    }, 30_000);
  });
  describe('against an in-test app without GPUs, with a cost counter and a driven clock', () => {
    let app: App | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let recordCost: ((model: string, inputTokens: number, outputTokens: number) => void) | undefined;

    beforeAll(async () => {
      app = await startApp({
        serviceName: 'cost-test',
        dashboard: { intervalMillis: 2000, historyIntervalMillis: 500, historySpanS: 120 },
      });
      const a = app;
      let round = 0;
      recordTraffic(a.llm, round++);
      // 4 client requests every 200 ms: 20 requests/s; cost only once the test asks for it.
      timer = setInterval(() => {
        recordTraffic(a.llm, round++);
        // gpt-4o: 1000 × $2/M + 250 × $8/M = $0.004; gpt-4o-mini: 500 × $0.5/M + 100 × $2/M = $0.00045.
        recordCost?.('gpt-4o', 1000, 250);
        recordCost?.('gpt-4o-mini', 500, 100);
      }, 200);
      // Time for the server's history to reach further back than a rate needs.
      await new Promise((r) => setTimeout(r, 6000));
    }, 30_000);

    afterAll(async () => {
      clearInterval(timer);
      await app?.stop();
    });

    it('rates stay honest when the page clock makes polls milliseconds apart', async () => {
      const { page, problems } = await open(app?.base ?? '', pausedClock);
      try {
        await updated(page, 1);
        for (let k = 2; k <= 6; k++) {
          // Next poll now: a few milliseconds of server time after the one before.
          await page.clock.runFor(2000);
          await updated(page, k);
          const value = (await legend(page, 'requests'))['requests/s'] ?? '';
          // 20/s over ≥ 4 s (less if the loaded machine slows the traffic timer); between
          // polls this close it would read 0, or 4 requests in a few ms: hundreds.
          expect(Number(value), `poll ${k}: ${value}`).toBeGreaterThanOrEqual(5);
          expect(Number(value), `poll ${k}: ${value}`).toBeLessThanOrEqual(40);
        }
        expect(problems).toEqual([]);
      } finally {
        // The clock belongs to the browser context: let it run for the pages after this one.
        await page.clock.resume();
        await page.close();
      }
    }, 60_000);

    it('collapses panels with no data into one line each, and shows the cost panels once cost is recorded', async () => {
      const { page, problems } = await open(app?.base ?? '');
      await waitForData(page, 1, ['requests', 'loss']);
      // No GPU metrics, no cost yet: one line each, no empty charts.
      expect(await text(page, '#absent-gpu')).toMatch(/^no GPU metrics: hw\.gpu\.\* not recorded/);
      expect(await text(page, '#absent-cost')).toMatch(/^no cost metrics: tokenmeter\.gen_ai\.client\.cost/);
      expect(await page.$('#absent-training')).toBeNull();
      for (const id of ['gpu-util', 'gpu-mem', 'cost-rate', 'cost-per-request', 'cost-percentiles']) {
        expect(await page.$(`#panel-${id}`), id).toBeNull();
      }
      expect(await page.$('#tile-cost')).toBeNull();

      // The counter gets points: its panels appear (after the in-flight panel), the line goes.
      if (!app) throw new Error('no app');
      recordCost = pricedRequests(app.handle);
      await waitForData(page, 2, ['cost-rate', 'cost-per-request', 'cost-percentiles']);
      expect(await page.$('#absent-cost')).toBeNull();
      expect(await text(page, '#absent-gpu')).toContain('no GPU metrics');
      const order = await page.$$eval('#panels > .panel', (els) => els.map((e) => e.id));
      expect(order.indexOf('panel-cost-rate')).toBe(order.indexOf('panel-inflight') + 1);
      expect(await text(page, '#tile-cost .value')).toMatch(/^\$\d/);
      const perRequest = await legend(page, 'cost-per-request');
      expect(Object.keys(perRequest)).toEqual(
        expect.arrayContaining(['all models', 'gpt-4o', 'gpt-4o-mini']),
      );
      // Percentiles from llm's per-request histogram: every gpt-4o request costs $0.004, so
      // p50 and p99 fall in the bucket (0.003, 0.01] (the page prints 3 significant digits).
      const percentiles = await legend(page, 'cost-percentiles');
      expect(Object.keys(percentiles)).toEqual(expect.arrayContaining(['p50', 'p95', 'p99']));
      await page.selectOption('#model', 'gpt-4o');
      await page.waitForFunction(
        () => {
          const d = (globalThis as unknown as { document: MiniDocument }).document;
          return d.body.dataset.model === 'gpt-4o';
        },
        undefined,
        { polling: 100 },
      );
      const filtered = Object.keys(await legend(page, 'cost-rate'));
      expect(filtered).toContain('gpt-4o');
      expect(filtered).not.toContain('all models');
      await waitForData(page, 1, ['cost-percentiles']);
      const p50 = (await legend(page, 'cost-percentiles')).p50 ?? '';
      expect(p50).toBe('$0.004');
      expect(problems).toEqual([]);
      await page.close();
    }, 60_000);
  });
});
