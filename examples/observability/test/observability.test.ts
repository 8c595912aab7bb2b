import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTRUMENTS } from '@tokenmeter/llm';
import { describe, expect, it } from 'vitest';
import {
  ALERTS,
  ATTRIBUTES,
  knownSeriesNames,
  metricNamesIn,
  parseLabelValues,
  prom,
  RECORDING,
  renderAll,
  shippedDashboard,
  shippedPanelExprs,
  shippedRules,
  shippedVariables,
} from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';

function promtool(...args: string[]): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`${PROMTOOL} is missing: apt-get install prometheus (.ci/run does)`);
  }
  const r = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('shipped observability files', () => {
  it.each(Object.entries(renderAll()))(
    '%s is what src/queries.ts generates (pnpm docs:observability)',
    (path, content) => {
      expect(readFileSync(join(ROOT, path), 'utf8')).toBe(content);
    },
  );

  it('promtool check rules accepts the recording and alert rules', () => {
    const r = promtool('check', 'rules', 'prometheus/rules.yml');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${RECORDING.length + ALERTS.length} rules found`);
  });

  it('promtool test rules: every alert fires on synthetic bad series and stays quiet on good ones', () => {
    const r = promtool('test', 'rules', 'prometheus/rules.test.yml');
    expect(r.status, r.output).toBe(0);
    const tests = readFileSync(join(ROOT, 'prometheus/rules.test.yml'), 'utf8');
    for (const a of ALERTS) expect(tests, `no unit test for ${a.alert}`).toContain(`alertname: ${a.alert}`);
  });

  it('the dashboard has the service, instance and model variables', () => {
    const vars = shippedDashboard(ROOT).templating.list.map((v) => v.name);
    expect(vars).toEqual(expect.arrayContaining(['service', 'instance', 'model', 'datasource']));
  });

  it('every metric in every expression of the dashboard JSON and the rules YAML is a name we emit', () => {
    // Derived from INSTRUMENTS (and the host/SDK rows, themselves checked against the real
    // registrations in test/observability) with prometheusMetricName: a renamed instrument or
    // a changed naming rule fails here.
    const series = knownSeriesNames();
    const { recording, alerts } = shippedRules(ROOT);
    expect(recording.length).toBe(RECORDING.length);
    expect(alerts.length).toBe(ALERTS.length);
    const recorded = new Set(recording.map((r) => r.record));
    const exprs = [
      ...shippedPanelExprs(ROOT),
      ...shippedVariables(ROOT).flatMap((v) =>
        v.selector ? [{ where: `variable ${v.name}`, expr: v.selector }] : [],
      ),
      ...recording.map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
      ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
    ];
    let checked = 0;
    for (const { where, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, `${where}: no metric found in ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(series.has(name) || recorded.has(name), `${where}: ${name} is not a series we emit`).toBe(
          true,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(exprs.length);
  });

  it("the README's name table says what prometheusMetricName says", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z0-9_.]+)` \([^)]*\) \| `([a-zA-Z0-9_:]+)/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, otel, series] of rows) {
      expect((series as string).replace(/_(bucket|sum|count)$/, ''), otel).toBe(prom(otel as string));
    }
  });

  it('the extractor finds the names it should (and not functions, labels or keywords)', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, a_b) (rate(x_bucket{job=~"$service", l!="y{z}"}[$__rate_interval]))) / on (job) group_left(m) b:rec:rate5m unless absent(c_total) > 1e3 and d',
      ),
    ).toEqual(['x_bucket', 'b:rec:rate5m', 'c_total', 'd']);
    expect(metricNamesIn('count({__name__=~"a_count|b:c", job="x"}) + e{l="}"}')).toEqual([
      'a_count',
      'b:c',
      'e',
    ]);
    expect(parseLabelValues('label_values(target_info{job=~"$service"}, instance)')).toEqual({
      selector: 'target_info{job=~"$service"}',
      label: 'instance',
    });
  });

  it('every attribute the queries use is one the llm definitions declare (host keys: test/observability)', () => {
    const declared = new Set(INSTRUMENTS.flatMap((d) => d.attributes));
    const host = new Set(['hwName', 'hwType', 'gpuTask', 'cpuMode', 'memoryState']);
    for (const [k, key] of Object.entries(ATTRIBUTES)) {
      if (!host.has(k)) expect(declared.has(key), key).toBe(true);
    }
  });
});
