/**
 * Renders docs/metrics.md from the definitions table and the bundled price
 * table (not exported from the package entry point; used by
 * scripts/gen-metrics-doc.mjs and a test).
 */
import { BUNDLED_PRICES } from './bundled-prices.js';
import { INSTRUMENTS, type InstrumentDefinition } from './instruments.js';
import type { TokenRates } from './price-table.js';
import { SEMCONV_SOURCES } from './semconv.js';

const GROUPS: readonly [InstrumentDefinition['group'], string][] = [
  ['client', 'Client requests'],
  ['agent', 'Agents, tools and workflows'],
  ['cost', 'Cost'],
  ['mcp', 'Model Context Protocol'],
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

function shapes(def: InstrumentDefinition): string {
  if (def.shapes.length === 2) return 'both';
  return def.shapes[0] === 'v1.41' ? 'v1.41 (default)' : 'latest_experimental';
}

const S = SEMCONV_SOURCES;
const COMMIT_URL = `https://github.com/${S.genaiRepository}/tree/${S.genaiCommit}`;

const INTRO = [
  '# Metrics catalogue',
  '',
  '<!-- Generated from packages/llm/src/instruments.ts and bundled-prices.ts by packages/llm/scripts/gen-metrics-doc.mjs. Do not edit. -->',
  '',
  'Every instrument `@tokenmeter/llm` creates (instrumentation scope `@tokenmeter/llm`).',
  '`gen_ai.*` and `mcp.*` names are OpenTelemetry semantic conventions; `tokenmeter.*` names are ours,',
  'for what the conventions do not define.',
  '',
  '## Which conventions',
  '',
  `- **Default shape (\`v1.41\`): ${S.default}.** Core semantic-conventions ${S.coreRelease} is the last`,
  '  core release that defines `gen_ai.*` and `mcp.*`: v1.42.0 moved them to',
  `  [${S.genaiRepository}](https://github.com/${S.genaiRepository}) and deprecated them in core, and`,
  '  `@opentelemetry/semantic-conventions` 1.45.0 marks every `METRIC_GEN_AI_*` constant deprecated.',
  '  Vendor dashboards (Grafana, Splunk) read this shape, so it stays the default.',
  '- **`latest_experimental`** (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`, or',
  "  `createLlmMetrics({ semconv: 'latest_experimental' })`): the GenAI repository, which has no release,",
  `  at commit [\`${S.genaiCommit}\`](${COMMIT_URL}) — ${S.genaiCommitNote}; read on ${S.genaiReadOn}`,
  '  (`model/gen-ai/metrics.yaml`, `model/gen-ai/token-metrics.yaml`, `docs/gen-ai/gen-ai-metrics.md`,',
  '  `docs/gen-ai/gen-ai-token-metrics.md`). The repository could not be cloned where this was built;',
  '  those files were read through a code index at that commit, so later commits are not reflected.',
  '  Not followed, because not on that commit: the `gen_ai.invocation.duration` proposal (PR #571), skill',
  '  metrics (#574), workflow call counts (#523) and the cost proposal (#443).',
  '- **MCP** metrics are the same four names, units and buckets in both; their attributes here are those the',
  '  core v1.41.1 and GenAI-repository definitions share.',
  '- The *shape* column says whether an instrument exists in the default shape, in `latest_experimental`,',
  '  or in both. A test pins every name, unit, kind, bucket list and required attribute of both shapes',
  '  to a table written by hand from the spec files (`packages/llm/test/spec-table.test.ts`).',
  '',
];

const COST = [
  '## How cost is computed',
  '',
  'Cost is **ours**: no convention defines it. The GenAI repository has an unmerged proposal',
  '([#443](https://github.com/open-telemetry/semantic-conventions-genai/pull/443)): a per-operation',
  'histogram `gen_ai.client.operation.cost` and span attributes `gen_ai.usage.cost.amount`, `.currency`',
  'and `.source` (`provider` or `local`). We follow its naming under our namespace —',
  '`tokenmeter.gen_ai.client.operation.cost` is that histogram — and add what it does not have: the',
  '`tokenmeter.gen_ai.client.cost` counter (totals and rates add up; a histogram sum does too, but a',
  'counter survives any aggregation), its split by `tokenmeter.cost.token_type` and',
  '`tokenmeter.service_tier`, and `tokenmeter.gen_ai.client.usage.unpriced`. The currency is always US',
  'dollars, so it is the unit (`{USD}`, an annotation: Prometheus names stay `…_cost_total`), not an',
  "attribute; every cost is computed locally (the proposal's `source=local`).",
  '',
  '- **Only provider-reported token counts** are priced; nothing is estimated. A call without usage has',
  '  no cost (and counts in `tokenmeter.gen_ai.client.usage.missing`).',
  '- **Token types are disjoint**: `input` = input − cache reads − cache writes, `cache_read`,',
  '  `cache_write`, `output` = output − reasoning, `reasoning`. So the parts add up to the request.',
  '  Integrations pass input *including* cached tokens and output *including* reasoning tokens.',
  '- **Lookup** is by exact `gen_ai.provider.name` and model name — the response model when reported,',
  '  else the request model — or an alias the table lists (dated snapshots, only where listed).',
  "- **Tier**: the service tier the response reports (`serviceTier`), else the entry's `defaultTier`;",
  '  a reported tier the entry has no rates for is unpriced.',
  '- **Long context**: a tier may have `longContext` rates for requests above `aboveInputTokens`',
  '  input tokens; they apply to the whole request, as providers bill it.',
  '- **Unpriced** (`tokenmeter.gen_ai.client.usage.unpriced`, by `tokenmeter.cost.unpriced_reason`):',
  '  `model` (not in the table), `tier`, `token_type` (tokens of a type the rates lack, e.g. cached',
  '  tokens where no cache rate is listed), `modality` (audio: priced apart by providers), `usage`',
  '  (cache reads + writes above input, or reasoning above output). No cost is recorded for them.',
  '- **Percentiles** of cost per request need a distribution, hence the histogram next to the counter;',
  '  its buckets are 1-3-10 steps from $0.000001 to $10.',
  '- **Prices** come from the bundled table below, then the JSON file named by `TOKENMETER_PRICES`, then',
  '  `createLlmMetrics({ prices: { table } })`; a later entry for the same provider and model replaces an',
  '  earlier one. `prices: false` turns cost off. A bad table throws `PriceTableError` at configuration.',
  '',
];

function rateCells(rates: TokenRates): string {
  const cell = (rate: number | undefined) => (rate === undefined ? '—' : `$${rate}`);
  return [rates.input, rates.cacheRead, rates.cacheWrite, rates.output, rates.reasoning]
    .map(cell)
    .join(' | ');
}

function pricesTable(): string[] {
  const out = [
    `### Bundled prices (checked ${BUNDLED_PRICES.date}, USD per 1M tokens)`,
    '',
    'Public pricing pages could not be browsed where this was built: each figure was read in stored copies',
    'of the pages listed, on the date above; entries without two agreeing sources or an official page were',
    'left out. "—": no rate, so such tokens make the request unpriced.',
    '',
    '| provider | model (aliases) | tier | input | cache read | cache write | output | reasoning |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const entry of BUNDLED_PRICES.models) {
    const names = [entry.model, ...(entry.aliases ?? [])].map((name) => `\`${name}\``).join(', ');
    for (const [tier, rates] of Object.entries(entry.tiers)) {
      const tierCell = tier === entry.defaultTier ? `${tier} (default)` : tier;
      out.push(`| ${entry.provider} | ${names} | ${tierCell} | ${rateCells(rates)} |`);
      if (rates.longContext)
        out.push(
          `| ${entry.provider} | ${names} | ${tier}, above ${rates.longContext.aboveInputTokens} input tokens | ${rateCells(rates.longContext)} |`,
        );
    }
  }
  out.push('', 'Sources:', '');
  for (const entry of BUNDLED_PRICES.models) {
    const sources = (entry.sources ?? []).join('; ');
    out.push(`- ${entry.provider} \`${entry.model}\`: ${sources}${entry.note ? `. ${entry.note}` : ''}`);
  }
  out.push('');
  return out;
}

export function renderMetricsDoc(): string {
  const out: string[] = [...INTRO];
  for (const [group, title] of GROUPS) {
    const defs = (INSTRUMENTS as readonly InstrumentDefinition[]).filter((def) => def.group === group);
    out.push(
      `## ${title}`,
      '',
      '| name | kind | unit | value | shape | origin |',
      '|---|---|---|---|---|---|',
    );
    for (const def of defs) {
      out.push(
        `| [\`${def.name}\`](#${anchor(def.name)}) | ${KIND[def.kind]} | \`${def.unit}\` | ${def.valueType} | ${shapes(def)} | ${def.origin} |`,
      );
    }
    out.push('');
    if (group === 'cost') out.push(...COST, ...pricesTable());
    for (const def of defs) {
      out.push(`### \`${def.name}\``, '', def.description, '');
      out.push(`- kind: ${KIND[def.kind]}, unit: \`${def.unit}\`, value type: ${def.valueType}`);
      out.push(`- attributes: ${def.attributes.map((key) => `\`${key}\``).join(', ')}`);
      if (def.required?.length) out.push(`- required: ${def.required.map((key) => `\`${key}\``).join(', ')}`);
      if (def.buckets) out.push(`- buckets: [${def.buckets.join(', ')}]`);
      out.push(`- recorded: ${def.when}`);
      out.push(`- shape: ${shapes(def)}; origin: ${def.origin}`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function anchor(name: string): string {
  return name.replace(/[^a-z0-9_ -]/gi, '').toLowerCase();
}
