/**
 * Reads the committed dashboard JSON and rules YAML back, so the tests check
 * the files users import rather than the source they were generated from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLabelValues } from './promql.js';

/** examples/observability, from src/ or dist/. */
export const OBSERVABILITY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ShippedExpr {
  /** Where it is: panel title / legend, `variable <name>`, `record <name>`, `alert <name>`. */
  where: string;
  expr: string;
}

interface DashboardJson {
  templating: { list: { name: string; query?: string | { query: string } }[] };
  panels: { title: string; targets?: { expr: string; legendFormat?: string }[] }[];
}

export function shippedDashboard(root = OBSERVABILITY_ROOT): DashboardJson {
  return JSON.parse(readFileSync(join(root, 'grafana/dashboards/tokenmeter-llm.json'), 'utf8'));
}

/** Every panel target of the dashboard JSON. */
export function shippedPanelExprs(root = OBSERVABILITY_ROOT): ShippedExpr[] {
  return shippedDashboard(root).panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${p.title} / ${t.legendFormat ?? ''}`, expr: t.expr })),
  );
}

/** The query variables of the dashboard JSON: `label_values(<selector>, <label>)`. */
export function shippedVariables(
  root = OBSERVABILITY_ROOT,
): { name: string; query: string; selector?: string; label: string }[] {
  return shippedDashboard(root).templating.list.flatMap((v) => {
    const query = typeof v.query === 'object' ? v.query.query : undefined;
    return query ? [{ name: v.name, query, ...parseLabelValues(query) }] : [];
  });
}

/**
 * The rules file, read line by line: the generator writes every `expr` as a
 * JSON string (valid YAML) on the line after its `record:`/`alert:`.
 */
export function shippedRules(root = OBSERVABILITY_ROOT): {
  recording: { record: string; expr: string }[];
  alerts: { alert: string; expr: string }[];
} {
  const lines = readFileSync(join(root, 'prometheus/rules.yml'), 'utf8').split('\n');
  const recording: { record: string; expr: string }[] = [];
  const alerts: { alert: string; expr: string }[] = [];
  lines.forEach((line, i) => {
    const head = /^\s+- (record|alert): (\S+)$/.exec(line);
    if (!head) return;
    const body = /^\s+expr: (".*")$/.exec(lines[i + 1] ?? '');
    if (!body) throw new Error(`rules.yml:${i + 2}: expected a JSON-quoted expr`);
    const expr = JSON.parse(body[1] as string) as string;
    if (head[1] === 'record') recording.push({ record: head[2] as string, expr });
    else alerts.push({ alert: head[2] as string, expr });
  });
  return { recording, alerts };
}
