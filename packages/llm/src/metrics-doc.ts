/**
 * Renders docs/metrics.md from the definitions table (not exported from the
 * package entry point; used by scripts/gen-metrics-doc.mjs and a test).
 */
import { INSTRUMENTS, type InstrumentDefinition } from './instruments.js';

const GROUPS: readonly [InstrumentDefinition['group'], string][] = [
  ['client', 'Client requests'],
  ['server', 'Inference servers and gateways'],
  ['extras', 'Extras'],
  ['training', 'Training'],
];

const KIND: Record<InstrumentDefinition['kind'], string> = {
  histogram: 'Histogram',
  counter: 'Counter',
  updowncounter: 'UpDownCounter',
  gauge: 'Gauge',
  observable_gauge: 'ObservableGauge',
  observable_updowncounter: 'ObservableUpDownCounter',
};

function shapes(d: InstrumentDefinition): string {
  if (d.shapes.length === 2) return 'both';
  return d.shapes[0] === 'v1.41' ? 'v1.41 (default)' : 'latest_experimental';
}

export function renderMetricsDoc(): string {
  const out: string[] = [
    '# Metrics catalogue',
    '',
    '<!-- Generated from packages/llm/src/instruments.ts by packages/llm/scripts/gen-metrics-doc.mjs. Do not edit. -->',
    '',
    'Every instrument `@tokenmeter/llm` creates (instrumentation scope `@tokenmeter/llm`).',
    '`gen_ai.*` names are the OpenTelemetry GenAI semantic conventions; `tokenmeter.*` names are ours,',
    'for what the spec does not define. The *shape* column says whether an instrument exists in the',
    'default v1.41 shape, in the `latest_experimental` shape',
    "(`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` or `semconv: 'latest_experimental'`), or in both.",
    '',
  ];
  for (const [group, title] of GROUPS) {
    const defs = (INSTRUMENTS as readonly InstrumentDefinition[]).filter((d) => d.group === group);
    out.push(
      `## ${title}`,
      '',
      '| name | kind | unit | value | shape | origin |',
      '|---|---|---|---|---|---|',
    );
    for (const d of defs) {
      out.push(
        `| [\`${d.name}\`](#${anchor(d.name)}) | ${KIND[d.kind]} | \`${d.unit}\` | ${d.valueType} | ${shapes(d)} | ${d.origin} |`,
      );
    }
    out.push('');
    for (const d of defs) {
      out.push(`### \`${d.name}\``, '', d.description, '');
      out.push(`- kind: ${KIND[d.kind]}, unit: \`${d.unit}\`, value type: ${d.valueType}`);
      out.push(`- attributes: ${d.attributes.map((a) => `\`${a}\``).join(', ')}`);
      if (d.buckets) out.push(`- buckets: [${d.buckets.join(', ')}]`);
      out.push(`- recorded: ${d.when}`);
      out.push(`- shape: ${shapes(d)}; origin: ${d.origin}`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function anchor(name: string): string {
  return name.replace(/[^a-z0-9_ -]/gi, '').toLowerCase();
}
