/**
 * Every PromQL expression we ship: dashboard panels, recording rules and
 * alert rules. One place, so the generator, the unit tests and the
 * end-to-end test all read the same list.
 */
import { L, prom } from './names.js';

/** Grafana template selectors; the end-to-end test substitutes them. */
const SEL = 'job=~"$service", instance=~"$instance"';
const MODEL = `${L.model}=~"$model"`;
const RATE = '$__rate_interval';

const DUR = prom('gen_ai.client.operation.duration');
const TOKENS = prom('gen_ai.client.token.usage');
const TTFC = prom('gen_ai.client.operation.time_to_first_chunk');
const TPOC = prom('gen_ai.client.operation.time_per_output_chunk');
const ACTIVE = prom('tokenmeter.gen_ai.client.active_requests');
const REQUESTS = prom('tokenmeter.gen_ai.client.requests');
const CACHE_READ = prom('tokenmeter.gen_ai.client.usage.cache_read.input_tokens');
const REASONING = prom('tokenmeter.gen_ai.client.usage.reasoning.output_tokens');
const S_DUR = prom('gen_ai.server.request.duration');
const S_REQUESTS = prom('tokenmeter.gen_ai.server.requests');
const S_ERRORS = prom('tokenmeter.gen_ai.server.errors');
const S_ACTIVE = prom('tokenmeter.gen_ai.server.active_requests');
const S_IN_TOKENS = prom('tokenmeter.gen_ai.server.usage.input_tokens');
const S_OUT_TOKENS = prom('tokenmeter.gen_ai.server.usage.output_tokens');
const S_TTFT = prom('gen_ai.server.time_to_first_token');
const S_TPOT = prom('gen_ai.server.time_per_output_token');
const S_QUEUE = prom('tokenmeter.gen_ai.server.queue.duration');
const S_PREFILL = prom('tokenmeter.gen_ai.server.prefill.duration');
const S_DECODE = prom('tokenmeter.gen_ai.server.decode.duration');
const S_STAGE = prom('tokenmeter.gen_ai.server.stage.duration');
const S_WAITING = prom('tokenmeter.gen_ai.server.waiting_requests');
const S_RUNNING = prom('tokenmeter.gen_ai.server.running_requests');
const S_KV = prom('tokenmeter.gen_ai.server.kv_cache.usage');
const S_BATCH = prom('tokenmeter.gen_ai.server.batch.size');
const GPU_UTIL = prom('hw.gpu.utilization');
const GPU_MEM = prom('hw.gpu.memory.usage');
const GPU_LIMIT = prom('hw.gpu.memory.limit');
const POWER = prom('hw.power');
const TEMP = prom('hw.temperature');
const CPU = prom('system.cpu.utilization');
const MEM_UTIL = prom('system.memory.utilization');
const PROC_CPU = prom('process.cpu.utilization');
const PROC_MEM = prom('process.memory.usage');
const LOSS = prom('tokenmeter.training.loss');
const LR = prom('tokenmeter.training.learning_rate');
const GRAD = prom('tokenmeter.training.grad_norm');
const STEP = prom('tokenmeter.training.step.duration');
const T_TOKENS = prom('tokenmeter.training.tokens');
const EXPORTED = prom('otel.sdk.exporter.metric_data_point.exported');
const COST = prom('tokenmeter.gen_ai.client.cost');
const OP_COST = prom('tokenmeter.gen_ai.client.operation.cost');
const UNPRICED = prom('tokenmeter.gen_ai.client.usage.unpriced');

export interface Variable {
  name: string;
  label: string;
  /** A Grafana `label_values(<selector>, <label>)` query. */
  query: string;
}

/**
 * Template variables. `job` is the service: the Collector's Prometheus exporter
 * and Prometheus' OTLP receiver set it from service.name; when scraping
 * directly, name the scrape job after the service. Models come from client
 * and server series alike, so a server-only deployment has a model list too.
 */
export const VARIABLES: Variable[] = [
  { name: 'service', label: 'service', query: 'label_values(target_info, job)' },
  { name: 'instance', label: 'instance', query: 'label_values(target_info{job=~"$service"}, instance)' },
  {
    name: 'model',
    label: 'model',
    query: `label_values({__name__=~"${DUR}_count|${S_DUR}_count", job=~"$service"}, ${L.model})`,
  },
];

export interface Target {
  expr: string;
  legend: string;
}
export interface Panel {
  title: string;
  /** Grafana unit id. */
  unit: string;
  targets: Target[];
  description?: string;
}
export interface Row {
  title: string;
  panels: Panel[];
}

const quantiles = (metric: string, by: string, selector: string): Target[] =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}) (rate(${metric}_bucket{${selector}}[${RATE}])))`,
    legend: `p${q * 100}`,
  }));
const meanOf = (metric: string, selector: string, by = ''): string => {
  const g = by ? ` by (${by})` : '';
  return `sum${g} (rate(${metric}_sum{${selector}}[${RATE}])) / sum${g} (rate(${metric}_count{${selector}}[${RATE}]))`;
};

export const DASHBOARD: Row[] = [
  {
    title: 'LLM clients',
    panels: [
      {
        title: 'Requests per second by provider and model',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (${L.provider}, ${L.model}) (rate(${DUR}_count{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.provider}}} {{${L.model}}}`,
          },
        ],
      },
      {
        title: 'Errors per second by type',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (${L.provider}, ${L.model}, ${L.errorType}) (rate(${DUR}_count{${SEL}, ${MODEL}, ${L.errorType}!=""}[${RATE}]))`,
            legend: `{{${L.errorType}}} {{${L.model}}}`,
          },
        ],
      },
      {
        title: 'Error ratio by provider and model',
        unit: 'percentunit',
        description: 'Failed calls / all calls. A model with no failures in the window shows no line.',
        targets: [
          {
            expr: `sum by (${L.provider}, ${L.model}) (rate(${DUR}_count{${SEL}, ${MODEL}, ${L.errorType}!=""}[${RATE}])) / sum by (${L.provider}, ${L.model}) (rate(${DUR}_count{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.provider}}} {{${L.model}}}`,
          },
        ],
      },
      {
        title: 'Request duration',
        unit: 's',
        targets: quantiles(DUR, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Time to first chunk',
        unit: 's',
        targets: quantiles(TTFC, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Time per output chunk',
        unit: 's',
        targets: quantiles(TPOC, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Tokens per second (input / output)',
        unit: 'short',
        targets: [
          {
            expr: `sum by (${L.tokenType}) (rate(${TOKENS}_sum{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.tokenType}}}`,
          },
        ],
      },
      {
        title: 'Cached input and reasoning output share',
        unit: 'percentunit',
        description:
          'Provider-reported cached input tokens / input tokens, reasoning tokens / output tokens.',
        targets: [
          {
            expr: `sum(rate(${CACHE_READ}{${SEL}, ${MODEL}}[${RATE}])) / sum(rate(${TOKENS}_sum{${SEL}, ${MODEL}, ${L.tokenType}="input"}[${RATE}]))`,
            legend: 'cached input',
          },
          {
            expr: `sum(rate(${REASONING}{${SEL}, ${MODEL}}[${RATE}])) / sum(rate(${TOKENS}_sum{${SEL}, ${MODEL}, ${L.tokenType}="output"}[${RATE}]))`,
            legend: 'reasoning output',
          },
        ],
      },
      {
        title: 'Requests in flight',
        unit: 'short',
        targets: [{ expr: `sum by (${L.model}) (${ACTIVE}{${SEL}, ${MODEL}})`, legend: `{{${L.model}}}` }],
      },
      {
        title: 'Finish reasons',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (${L.finishReason}) (rate(${REQUESTS}{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.finishReason}}}`,
          },
        ],
      },
    ],
  },
  {
    title: 'Cost',
    panels: [
      {
        title: 'Cost per hour by model',
        unit: 'currencyUSD',
        description:
          'Provider-reported token usage × the price table of @tokenmeter/llm (bundled, TOKENMETER_PRICES or code), in US dollars per hour. Unpriced requests are not in it.',
        targets: [
          {
            expr: `sum by (${L.provider}, ${L.model}) (rate(${COST}{${SEL}, ${MODEL}}[${RATE}])) * 3600`,
            legend: `{{${L.provider}}} {{${L.model}}}`,
          },
        ],
      },
      {
        title: 'Cost per request',
        unit: 'currencyUSD',
        description:
          'Percentiles of the cost of one priced request (tokenmeter.gen_ai.client.operation.cost).',
        targets: quantiles(OP_COST, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Cost per hour by token type and service tier',
        unit: 'currencyUSD',
        description:
          'input excludes cache reads and writes, output excludes reasoning: the types add up to the total.',
        targets: [
          {
            expr: `sum by (${L.costTokenType}, ${L.serviceTier}) (rate(${COST}{${SEL}, ${MODEL}}[${RATE}])) * 3600`,
            legend: `{{${L.costTokenType}}} {{${L.serviceTier}}}`,
          },
        ],
      },
      {
        title: 'Unpriced requests per second',
        unit: 'reqps',
        description:
          'Requests whose usage the price table could not price (no cost recorded for them), by reason: model, tier, token_type, modality, usage.',
        targets: [
          {
            expr: `sum by (${L.model}, ${L.unpricedReason}) (rate(${UNPRICED}{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.model}}} {{${L.unpricedReason}}}`,
          },
        ],
      },
    ],
  },
  {
    title: 'Inference servers',
    panels: [
      {
        title: 'Server requests per second by finish reason',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (${L.model}, ${L.finishReason}) (rate(${S_REQUESTS}{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.model}}} {{${L.finishReason}}}`,
          },
        ],
      },
      {
        title: 'Server errors per second by type',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (${L.model}, ${L.errorType}) (rate(${S_ERRORS}{${SEL}, ${MODEL}}[${RATE}]))`,
            legend: `{{${L.model}}} {{${L.errorType}}}`,
          },
        ],
      },
      {
        title: 'Server requests in flight',
        unit: 'short',
        targets: [{ expr: `sum by (${L.model}) (${S_ACTIVE}{${SEL}, ${MODEL}})`, legend: `{{${L.model}}}` }],
      },
      { title: 'Server request duration', unit: 's', targets: quantiles(S_DUR, 'le', `${SEL}, ${MODEL}`) },
      {
        title: 'Server time to first token',
        unit: 's',
        targets: quantiles(S_TTFT, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Server time per output token',
        unit: 's',
        targets: quantiles(S_TPOT, 'le', `${SEL}, ${MODEL}`),
      },
      {
        title: 'Server tokens per second (input / output)',
        unit: 'short',
        targets: [
          { expr: `sum(rate(${S_IN_TOKENS}{${SEL}, ${MODEL}}[${RATE}]))`, legend: 'input' },
          { expr: `sum(rate(${S_OUT_TOKENS}{${SEL}, ${MODEL}}[${RATE}]))`, legend: 'output' },
        ],
      },
      {
        title: 'Queue, prefill, decode (mean)',
        unit: 's',
        targets: [
          { expr: meanOf(S_QUEUE, `${SEL}, ${MODEL}`), legend: 'queue' },
          { expr: meanOf(S_PREFILL, `${SEL}, ${MODEL}`), legend: 'prefill' },
          { expr: meanOf(S_DECODE, `${SEL}, ${MODEL}`), legend: 'decode' },
        ],
      },
      {
        title: 'Pipeline stages (mean)',
        unit: 's',
        targets: [{ expr: meanOf(S_STAGE, `${SEL}, ${MODEL}`, L.stage), legend: `{{${L.stage}}}` }],
      },
      {
        title: 'Waiting and running requests, KV cache',
        unit: 'short',
        targets: [
          { expr: `sum(${S_WAITING}{${SEL}, ${MODEL}})`, legend: 'waiting' },
          { expr: `sum(${S_RUNNING}{${SEL}, ${MODEL}})`, legend: 'running' },
          { expr: `max(${S_KV}{${SEL}, ${MODEL}})`, legend: 'KV cache usage' },
        ],
      },
      {
        title: 'Batch size (mean)',
        unit: 'short',
        targets: [{ expr: meanOf(S_BATCH, `${SEL}, ${MODEL}`), legend: 'requests per batch' }],
      },
    ],
  },
  {
    title: 'GPU',
    panels: [
      {
        title: 'GPU utilization',
        unit: 'percentunit',
        targets: [{ expr: `${GPU_UTIL}{${SEL}, ${L.gpuTask}="general"}`, legend: `{{${L.hwName}}}` }],
      },
      {
        title: 'GPU memory',
        unit: 'bytes',
        targets: [
          { expr: `${GPU_MEM}{${SEL}}`, legend: `{{${L.hwName}}} used` },
          { expr: `${GPU_LIMIT}{${SEL}}`, legend: `{{${L.hwName}}} limit` },
        ],
      },
      {
        title: 'GPU power',
        unit: 'watt',
        targets: [{ expr: `${POWER}{${SEL}, ${L.hwType}="gpu"}`, legend: `{{${L.hwName}}}` }],
      },
      {
        title: 'GPU temperature',
        unit: 'celsius',
        targets: [{ expr: `${TEMP}{${SEL}}`, legend: `{{${L.hwName}}}` }],
      },
    ],
  },
  {
    title: 'Host',
    panels: [
      {
        title: 'CPU utilization',
        unit: 'percentunit',
        targets: [
          { expr: `1 - avg(${CPU}{${SEL}, ${L.cpuMode}="idle"})`, legend: 'host (all CPUs)' },
          { expr: `sum(${PROC_CPU}{${SEL}})`, legend: 'this process' },
        ],
      },
      {
        title: 'Memory',
        unit: 'bytes',
        targets: [{ expr: `sum(${PROC_MEM}{${SEL}})`, legend: 'this process' }],
      },
      {
        title: 'Host memory utilization',
        unit: 'percentunit',
        targets: [
          { expr: `sum by (${L.memoryState}) (${MEM_UTIL}{${SEL}})`, legend: `{{${L.memoryState}}}` },
        ],
      },
    ],
  },
  {
    title: 'Training',
    panels: [
      { title: 'Loss', unit: 'short', targets: [{ expr: `${LOSS}{${SEL}}`, legend: `{{${L.run}}}` }] },
      { title: 'Learning rate', unit: 'short', targets: [{ expr: `${LR}{${SEL}}`, legend: `{{${L.run}}}` }] },
      {
        title: 'Gradient norm',
        unit: 'short',
        targets: [{ expr: `${GRAD}{${SEL}}`, legend: `{{${L.run}}}` }],
      },
      { title: 'Step time', unit: 's', targets: quantiles(STEP, `le, ${L.run}`, SEL).slice(0, 2) },
      {
        title: 'Training tokens per second',
        unit: 'short',
        targets: [{ expr: `sum by (${L.run}) (rate(${T_TOKENS}{${SEL}}[${RATE}]))`, legend: `{{${L.run}}}` }],
      },
    ],
  },
];

export interface RecordingRule {
  record: string;
  expr: string;
}
export interface AlertRule {
  alert: string;
  /** The measured quantity; `expr` is `${value} ${threshold}`. */
  value: string;
  threshold: string;
  for: string;
  severity: 'page' | 'warning';
  summary: string;
  /**
   * The series the rule reads. The end-to-end test checks each returns data
   * from a running app; `value` itself is checked too unless it is empty by
   * design while healthy (an `absent()`, an `unless`).
   */
  inputs: string[];
  emptyWhenHealthy?: boolean;
}

const W = '5m';
const BY = `job, ${L.provider}, ${L.model}`;

export const RECORDING: RecordingRule[] = [
  {
    record: `${BY.replace(/, /g, '_')}:gen_ai_client_requests:rate5m`,
    expr: `sum by (${BY}) (rate(${DUR}_count[${W}]))`,
  },
  {
    record: `${BY.replace(/, /g, '_')}:gen_ai_client_errors:rate5m`,
    expr: `sum by (${BY}) (rate(${DUR}_count{${L.errorType}!=""}[${W}]))`,
  },
  {
    record: `job_${L.model}:gen_ai_client_time_to_first_chunk_seconds:p95_5m`,
    expr: `histogram_quantile(0.95, sum by (job, ${L.model}, le) (rate(${TTFC}_bucket[${W}])))`,
  },
  {
    record: `job_${L.model}:gen_ai_client_operation_duration_seconds:p95_5m`,
    expr: `histogram_quantile(0.95, sum by (job, ${L.model}, le) (rate(${DUR}_bucket[${W}])))`,
  },
  {
    record: `${BY.replace(/, /g, '_')}:tokenmeter_gen_ai_client_cost:usd_per_hour_5m`,
    expr: `sum by (${BY}) (rate(${COST}[${W}])) * 3600`,
  },
  {
    record: `job_${L.model}:tokenmeter_gen_ai_client_operation_cost:p50_5m`,
    expr: `histogram_quantile(0.5, sum by (job, ${L.model}, le) (rate(${OP_COST}_bucket[${W}])))`,
  },
  {
    record: `job_${L.model}:tokenmeter_gen_ai_client_operation_cost:p95_5m`,
    expr: `histogram_quantile(0.95, sum by (job, ${L.model}, le) (rate(${OP_COST}_bucket[${W}])))`,
  },
];

const REQ_RATE = RECORDING[0]?.record as string;
const ERR_RATE = RECORDING[1]?.record as string;
const TTFT_P95 = RECORDING[2]?.record as string;

export const ALERTS: AlertRule[] = [
  {
    alert: 'LLMHighErrorRatio',
    value: `sum by (job, ${L.model}) (${ERR_RATE}) / sum by (job, ${L.model}) (${REQ_RATE})`,
    threshold: '> 0.05',
    for: '10m',
    severity: 'page',
    summary:
      'More than 5% of LLM calls to {{ $labels.gen_ai_request_model }} fail ({{ $value | humanizePercentage }}).',
    inputs: [ERR_RATE, REQ_RATE],
  },
  {
    alert: 'LLMTimeToFirstChunkSLO',
    value: TTFT_P95,
    threshold: '> 2',
    for: '10m',
    severity: 'warning',
    summary:
      'p95 time to first chunk for {{ $labels.gen_ai_request_model }} is {{ $value | humanizeDuration }} (SLO 2 s).',
    inputs: [TTFT_P95],
  },
  {
    alert: 'LLMStalledStreams',
    // Requests in flight, yet in 5 minutes no stream produced a chunk and no request
    // finished. Completions count too, so an app with only non-streamed calls in flight
    // does not look stalled.
    value: `(sum by (job) (${ACTIVE}) unless on (job) ((sum by (job) (rate(${TPOC}_count[${W}])) > 0) or (sum by (job) (rate(${DUR}_count[${W}])) > 0)))`,
    threshold: '> 0',
    for: '5m',
    severity: 'warning',
    summary:
      '{{ $value }} LLM requests in flight on {{ $labels.job }}, but for 5 minutes no stream has produced a chunk and no request has finished.',
    inputs: [
      `sum by (job) (${ACTIVE})`,
      `sum by (job) (rate(${TPOC}_count[${W}]))`,
      `sum by (job) (rate(${DUR}_count[${W}]))`,
    ],
    emptyWhenHealthy: true,
  },
  {
    alert: 'GPUMemoryNearLimit',
    value: `${GPU_MEM} / ${GPU_LIMIT}`,
    threshold: '> 0.95',
    for: '5m',
    severity: 'warning',
    summary: 'GPU {{ $labels.hw_name }} memory is {{ $value | humanizePercentage }} full.',
    inputs: [GPU_MEM, GPU_LIMIT],
  },
  {
    alert: 'GPUTemperatureHigh',
    value: `${TEMP}{${L.hwType}="temperature"}`,
    threshold: '> 85',
    for: '5m',
    severity: 'warning',
    summary: '{{ $labels.hw_name }} is at {{ $value }} °C.',
    inputs: [TEMP],
  },
  {
    alert: 'LLMMetricsMissing',
    value: `absent(${DUR}_count)`,
    threshold: '',
    for: '15m',
    severity: 'warning',
    summary:
      'No gen_ai client metrics have arrived for 15 minutes: the app, the scrape or the OTLP pipeline is down.',
    inputs: [`${DUR}_count`],
    emptyWhenHealthy: true,
  },
  {
    alert: 'OTLPExportFailures',
    value: `sum by (job) (rate(${EXPORTED}{${L.errorType}!=""}[${W}]))`,
    threshold: '> 0',
    for: '10m',
    severity: 'warning',
    summary:
      '{{ $labels.job }} fails to push metrics over OTLP ({{ $value }} data points/s rejected or lost).',
    inputs: [EXPORTED],
  },
];

/** `expr` of an alert as written in the rules file. */
export const alertExpr = (a: AlertRule): string => (a.threshold ? `${a.value} ${a.threshold}` : a.value);
