/**
 * Every PromQL expression we ship — dashboard panels, recording rules, alert
 * inputs — run through a real Prometheus (Debian's) that scrapes the running
 * demo, and each must return data. GPU series come from the demo reading a
 * fake libnvidia-ml.so.1 (built with cc, the same one @tokenmeter/host's tests
 * load through koffi); export-failure series from pointing its OTLP exporter
 * at a closed port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERTS,
  metricNamesIn,
  RECORDING,
  shippedPanelExprs,
  shippedRules,
  shippedVariables,
} from '../../examples/observability/src/index.js';
import { fakeNvmlPath } from '../../packages/host/test/helpers.js';
import { closedPort as freePort, REPO_ROOT } from '../reliability/helpers.js';

const PROMETHEUS = '/usr/bin/prometheus';
const DEMO = join(REPO_ROOT, 'examples/quickstart/dist/main.js');

/** Grafana's variables, as "All" selects them. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$service', '.*')
    .replaceAll('$instance', '.*')
    .replaceAll('$model', '.*');
}

interface Result {
  metric: Record<string, string>;
  value: [number, string];
}

let demo: ChildProcess | undefined;
let prometheus: ChildProcess | undefined;
let dir = '';
let promUrl = '';
let metricsUrl = '';

async function query(expr: string): Promise<Result[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Result[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

const missing = !existsSync(PROMETHEUS);
if (missing) {
  console.warn(
    `\n!!! SKIPPING the dashboard/rules end-to-end test: ${PROMETHEUS} is missing (apt-get install prometheus; .ci/run does) !!!\n`,
  );
}

describe.skipIf(missing)('every shipped PromQL expression returns data from the running demo', () => {
  beforeAll(async () => {
    if (!existsSync(DEMO))
      throw new Error(`${DEMO} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
    dir = mkdtempSync(join(tmpdir(), 'tokenmeter-e2e-prom-'));
    const demoPort = await freePort();
    metricsUrl = `http://127.0.0.1:${demoPort}/metrics`;
    const closedPort = await freePort();
    demo = spawn(process.execPath, [DEMO, '--port', String(demoPort), '--duration', '120'], {
      env: {
        ...process.env,
        TOKENMETER_NVML_LIBRARY: fakeNvmlPath(),
        OTEL_METRICS_EXPORTER: 'prometheus,otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        OTEL_EXPORTER_OTLP_TIMEOUT: '300',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
      },
      stdio: 'ignore',
    });
    // The shipped rules, evaluated every second instead of every 30 s.
    const rules = readFileSync(
      join(REPO_ROOT, 'examples/observability/prometheus/rules.yml'),
      'utf8',
    ).replace(/interval: 30s/g, 'interval: 1s');
    writeFileSync(join(dir, 'rules.yml'), rules);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files: [rules.yml]',
        'scrape_configs:',
        '  - job_name: tokenmeter-quickstart',
        `    static_configs: [{ targets: ['127.0.0.1:${demoPort}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    // Enough history for rate() over 1m windows and every recording rule.
    await waitFor('the demo target to be up', async () => {
      const r = await query('up{job="tokenmeter-quickstart"} == 1');
      return r.length > 0 ? true : undefined;
    });
    await waitFor('recording rules', async () => {
      const rows = await Promise.all(RECORDING.map((r) => query(r.record)));
      return rows.every((r) => r.length > 0) ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    demo?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The files users import, read back: the dashboard JSON and the rules YAML.
  const panels = shippedPanelExprs().map((p) => [p.where, p.expr] as const);
  const variables = shippedVariables();
  const rules = shippedRules();
  const recorded = new Set(rules.recording.map((r) => r.record));

  it('shipped files were read back', () => {
    expect(panels.length).toBeGreaterThan(40);
    expect(variables.map((v) => v.name)).toEqual(['service', 'instance', 'model']);
    expect(rules.recording.length).toBe(RECORDING.length);
    expect(rules.alerts.length).toBe(ALERTS.length);
  });

  it("every metric the dashboard and rules name is a series in the demo's own /metrics", {
    timeout: 40_000,
  }, async () => {
    const used = new Set(
      [
        ...panels.map(([, e]) => e),
        ...variables.flatMap((v) => (v.selector ? [v.selector] : [])),
        ...rules.recording.map((r) => r.expr),
        ...rules.alerts.map((a) => a.expr),
      ].flatMap((e) => metricNamesIn(e)),
    );
    // Some series appear with their first event (a server error is 1 request in 20).
    let missing: string[] = [];
    const deadline = Date.now() + 30_000;
    do {
      const text = await (await fetch(metricsUrl)).text();
      const emitted = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
      missing = [...used].filter((n) => !recorded.has(n) && !emitted.has(n));
      if (missing.length > 0) await new Promise((r) => setTimeout(r, 500));
    } while (missing.length > 0 && Date.now() < deadline);
    expect(missing).toEqual([]);
  });

  it.each(panels)('dashboard: %s', async (_name, expr) => {
    const rows = await waitFor(
      expr,
      async () => {
        const r = await query(substitute(expr));
        return r.length > 0 ? r : undefined;
      },
      20_000,
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it.each(variables.map((v) => [v.name, v] as const))('dashboard variable $%s has values', async (_n, v) => {
    // What Grafana asks for label_values(<selector>, <label>).
    const match = v.selector ? `?match[]=${encodeURIComponent(substitute(v.selector))}` : '';
    const res = await fetch(`${promUrl}/api/v1/label/${v.label}/values${match}`);
    const body = (await res.json()) as { status: string; data: string[] };
    expect(body.status).toBe('success');
    expect(body.data.length, v.query).toBeGreaterThan(0);
  });

  it.each(rules.recording.map((r) => [r.record, r.expr] as const))(
    'recording rule %s',
    async (record, expr) => {
      expect((await query(expr)).length).toBeGreaterThan(0);
      expect((await query(record)).length).toBeGreaterThan(0);
    },
  );

  it('Prometheus evaluates every recording and alert rule without an error', async () => {
    interface RuleState {
      name: string;
      health: string;
      lastError?: string;
    }
    const all = await waitFor('every rule evaluated', async () => {
      const res = await fetch(`${promUrl}/api/v1/rules`);
      const body = (await res.json()) as { data: { groups: { rules: RuleState[] }[] } };
      const list = body.data.groups.flatMap((g) => g.rules);
      return list.every((r) => r.health !== 'unknown') ? list : undefined;
    });
    expect(all.length).toBe(RECORDING.length + ALERTS.length);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  });

  const alertQueries = ALERTS.flatMap((a) => [
    ...a.inputs.map((q) => [`${a.alert} input`, q] as const),
    ...(a.emptyWhenHealthy ? [] : [[`${a.alert} value`, a.value] as const]),
  ]);
  it.each(alertQueries)('alert %s: %s', async (_name, expr) => {
    const rows = await waitFor(
      expr,
      async () => {
        const r = await query(expr);
        return r.length > 0 ? r : undefined;
      },
      20_000,
    );
    expect(rows.length).toBeGreaterThan(0);
  });
});
