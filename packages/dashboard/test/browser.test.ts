/**
 * The page in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): against the running quickstart demo (needs `pnpm build`),
 * and against an in-test app with two (simulated) GPUs.
 *
 * The screenshot goes to docs/dashboard.png when that file is missing or
 * TOKENMETER_UPDATE_SCREENSHOT=1 is set, else to a temporary directory (so a
 * test run does not rewrite a committed image).
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
import { type App, recordTraffic, startApp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const DEMO = fileURLToPath(new URL('../../../examples/quickstart/dist/main.js', import.meta.url));
const DOCS_PNG = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
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

async function open(url: string): Promise<{ page: Page; problems: string[]; foreign: string[] }> {
  if (!context) throw new Error('no browser');
  const page = await context.newPage();
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

const attr = (page: Page, selector: string, name: string) =>
  page.$eval(selector, (el, n) => el.getAttribute(n) ?? '', name);
const state = (page: Page, id: string) => attr(page, `#panel-${id}`, 'data-state');
const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

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

    beforeAll(async () => {
      demo = spawn(process.execPath, [DEMO, '--port', '0', '--duration', '90'], {
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
    }, 30_000);

    afterAll(() => {
      demo?.kill('SIGTERM');
    });

    it('shows live charts of the demo, filters by model, and saves the screenshot', async () => {
      // The demo runs the built package: make a stale dist/ fail clearly rather than test old code.
      const csp = (await fetch(base)).headers.get('content-security-policy') ?? '';
      expect(csp.includes(PAGE_SCRIPT_SHA256), 'the demo serves an old page: run pnpm build').toBe(true);
      const { page, problems, foreign } = await open(base);
      await waitForData(page, 6, DATA_PANELS);

      expect(await text(page, '#service')).toBe('tokenmeter-quickstart');
      expect(await page.title()).toBe('tokenmeter-quickstart · tokenmeter');
      expect(await attr(page, '#status', 'data-state')).toBe('live');

      // Every data panel drew a uPlot chart with points from several polls.
      for (const id of DATA_PANELS) {
        expect(await state(page, id), id).toBe('data');
        expect(await page.$$(`#panel-${id} canvas`), id).toHaveLength(1);
        const points = Number(await attr(page, `#panel-${id}`, 'data-points'));
        expect(points, id).toBeGreaterThanOrEqual(3);
      }
      const legend = await page.$$eval('#panel-ttft .u-legend .u-label', (els) =>
        els.map((e) => e.textContent),
      );
      expect(legend).toEqual(expect.arrayContaining(['p50', 'p95', 'p99']));
      expect(await text(page, '#panel-ttft h2')).toBe('Time to first chunk (TTFT)');
      // Percentiles over snapshot()'s window, not since start; the tiles name that window.
      expect(await text(page, '#panel-ttft .note')).toMatch(/percentiles over the last \d+ s/);
      expect(await text(page, '#tile-ttft-p95 .label')).toMatch(/^TTFT p95 \(\d+ s\)$/);
      expect(await text(page, '#tile-ttft-p95 .value')).toMatch(/^[\d.]+ m?s$/);

      // GPU panels follow what the JSON says: data with a GPU, a clear message without.
      const json = (await (await fetch(`${base}dashboard.json`)).json()) as DashboardData;
      for (const id of ['gpu-util', 'gpu-mem']) {
        if (json.gpus.length > 0) expect(await state(page, id)).toBe('data');
        else {
          expect(await state(page, id)).toBe('unavailable');
          expect(await text(page, `#panel-${id} .empty`)).toContain('no GPU metrics');
        }
      }

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
      expect(Number(await text(page, '#tile-requests .value'))).toBeLessThan(total);
      await page.selectOption('#model', '');
      expect(await text(page, '#panel-requests .note')).toContain('all models');

      // No prompts, no API key, nothing loaded from elsewhere, no script errors or CSP violations.
      const body = await page.content();
      expect(body).not.toContain('Question #');
      expect(body).not.toContain('sk-demo');
      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);

      await waitForData(page, 8, DATA_PANELS);
      const update = process.env.TOKENMETER_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_PNG);
      const shot = update ? DOCS_PNG : join(userDataDir ?? tmpdir(), 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      await page.close();
    }, 90_000);
  });

  describe('against an in-test app with GPUs', () => {
    let app: App | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;

    beforeAll(async () => {
      app = await startApp({ gpu: true, serviceName: 'browser-test', dashboard: { intervalMillis: 500 } });
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
});
