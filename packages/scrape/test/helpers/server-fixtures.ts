/**
 * Realistic inference-server expositions, built from the documented names,
 * labels and buckets (vLLM v1 `loggers.py`, TGI router metrics). `step`
 * advances the counters and histograms so consecutive scrapes differ the way
 * a loaded server's do. The committed files under ../fixtures are step 3 of
 * these (regenerate with `node packages/scrape/test/helpers/write-fixtures.mjs`).
 */

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const VLLM_LABELS = `engine="0",model_name="${MODEL}"`;

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];
const TOKEN_BUCKETS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 131072,
];

function fmt(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** Cumulative bucket counts for `n` observations spread around `center` (deterministic). */
function observations(n: number, center: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(center * (0.5 + ((i * 7919) % 100) / 100));
  return out;
}

function histogram(
  name: string,
  help: string,
  labels: string,
  buckets: number[],
  values: number[],
): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const le of buckets) {
    lines.push(`${name}_bucket{${labels},le="${fmt(le)}"} ${fmt(values.filter((v) => v <= le).length)}`);
  }
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${fmt(values.length)}`);
  lines.push(`${name}_count{${labels}} ${fmt(values.length)}`);
  lines.push(`${name}_sum{${labels}} ${values.reduce((a, b) => a + b, 0)}`);
  return lines;
}

function counter(
  name: string,
  help: string,
  series: [string, number][],
  created = 1_700_000_000.5,
): string[] {
  const lines = [`# HELP ${name}_total ${help}`, `# TYPE ${name}_total counter`];
  for (const [labels, v] of series) lines.push(`${name}_total{${labels}} ${fmt(v)}`);
  const createdLines = [`# HELP ${name}_created ${help}`, `# TYPE ${name}_created gauge`];
  for (const [labels] of series) createdLines.push(`${name}_created{${labels}} ${created}`);
  return [...lines, ...createdLines];
}

function gauge(name: string, help: string, series: [string, number][]): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, v] of series) lines.push(`${name}{${labels}} ${fmt(v)}`);
  return lines;
}

/** vLLM's `/metrics` (Prometheus text, as `prometheus_client` renders it) after `step` units of load. */
export function vllmExposition(step: number): string {
  const requests = 10 * step;
  const lines: string[] = [
    '# HELP python_gc_objects_collected_total Objects collected during gc',
    '# TYPE python_gc_objects_collected_total counter',
    `python_gc_objects_collected_total{generation="0"} ${fmt(1000 + step)}`,
    ...gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', [
      [VLLM_LABELS, step % 5],
    ]),
    ...gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', [
      [VLLM_LABELS, step % 3],
    ]),
    ...gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', [
      [VLLM_LABELS, (step % 10) / 10],
    ]),
    ...gauge('vllm:engine_sleep_state', 'Engine sleep state; awake = 0 means engine is sleeping.', [
      [`${VLLM_LABELS},sleep_state="awake"`, 1],
      [`${VLLM_LABELS},sleep_state="weights_offloaded"`, 0],
    ]),
    ...gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', [
      [
        `block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_gpu_blocks="27000"`,
        1,
      ],
    ]),
    ...counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', [
      [VLLM_LABELS, Math.floor(step / 2)],
    ]),
    ...counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', [[VLLM_LABELS, 512 * requests]]),
    ...counter('vllm:generation_tokens', 'Number of generation tokens processed.', [
      [VLLM_LABELS, 128 * requests],
    ]),
    ...counter('vllm:request_success', 'Count of successfully processed requests.', [
      [`${VLLM_LABELS},finished_reason="stop"`, requests - step],
      [`${VLLM_LABELS},finished_reason="length"`, step],
      [`${VLLM_LABELS},finished_reason="abort"`, 0],
    ]),
    ...counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', [
      [VLLM_LABELS, 512 * requests],
    ]),
    ...counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', [
      [VLLM_LABELS, 128 * requests],
    ]),
    ...histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      VLLM_LABELS,
      TTFT_BUCKETS,
      observations(requests, 0.08),
    ),
    ...histogram(
      'vllm:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      VLLM_LABELS,
      ITL_BUCKETS,
      observations(requests * 4, 0.02),
    ),
    ...histogram(
      'vllm:request_time_per_output_token_seconds',
      'Histogram of time_per_output_token_seconds per request.',
      VLLM_LABELS,
      ITL_BUCKETS,
      observations(requests, 0.02),
    ),
    ...histogram(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      VLLM_LABELS,
      LATENCY_BUCKETS,
      observations(requests, 2.5),
    ),
    ...histogram(
      'vllm:request_queue_time_seconds',
      'Histogram of time spent in WAITING phase for request.',
      VLLM_LABELS,
      LATENCY_BUCKETS,
      observations(requests, 0.3),
    ),
    ...histogram(
      'vllm:request_prompt_tokens',
      'Number of prefill tokens processed.',
      VLLM_LABELS,
      TOKEN_BUCKETS,
      observations(requests, 512),
    ),
    ...histogram(
      'vllm:request_generation_tokens',
      'Number of generation tokens processed.',
      VLLM_LABELS,
      TOKEN_BUCKETS,
      observations(requests, 128),
    ),
    ...histogram(
      'vllm:iteration_tokens_total',
      'Histogram of number of tokens per engine_step.',
      VLLM_LABELS,
      [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
      observations(requests * 8, 64),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The same server before the v1 renames (`gpu_cache_usage_perc`, `time_per_output_token_seconds`). */
export function vllmLegacyExposition(step: number): string {
  return vllmExposition(step)
    .replaceAll('vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc')
    .replaceAll('vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds')
    .replaceAll('vllm:prefix_cache_', 'vllm:gpu_prefix_cache_');
}

/** TGI's `/metrics` (metrics-exporter-prometheus: counters without `_total`, no HELP). */
export function tgiExposition(step: number): string {
  const n = 10 * step;
  const lines = [
    '# TYPE tgi_request_count counter',
    `tgi_request_count ${n}`,
    '# TYPE tgi_request_success counter',
    `tgi_request_success ${n - step}`,
    '# TYPE tgi_request_failure counter',
    `tgi_request_failure{err="validation"} ${step}`,
    '# TYPE tgi_queue_size gauge',
    `tgi_queue_size ${step % 4}`,
    '# TYPE tgi_batch_current_size gauge',
    `tgi_batch_current_size ${step % 8}`,
    '# TYPE tgi_batch_current_max_tokens gauge',
    `tgi_batch_current_max_tokens ${1024 * (step % 4)}`,
  ];
  const hist = (name: string, buckets: number[], values: number[], labels = '') => {
    lines.push(`# TYPE ${name} histogram`);
    const sep = labels ? `${labels},` : '';
    for (const le of buckets)
      lines.push(`${name}_bucket{${sep}le="${le}"} ${values.filter((v) => v <= le).length}`);
    lines.push(`${name}_bucket{${sep}le="+Inf"} ${values.length}`);
    lines.push(`${name}_sum${labels ? `{${labels}}` : ''} ${values.reduce((a, b) => a + b, 0)}`);
    lines.push(`${name}_count${labels ? `{${labels}}` : ''} ${values.length}`);
  };
  const dur = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100];
  hist('tgi_request_duration', dur, observations(n, 1.5));
  hist('tgi_request_queue_duration', dur, observations(n, 0.05));
  hist('tgi_request_inference_duration', dur, observations(n, 1.4));
  hist('tgi_request_mean_time_per_token_duration', dur, observations(n, 0.015));
  hist('tgi_request_input_length', [16, 32, 64, 128, 256, 512, 1024, 2048, 4096], observations(n, 300));
  hist('tgi_request_generated_tokens', [16, 32, 64, 128, 256, 512, 1024, 2048, 4096], observations(n, 100));
  hist('tgi_batch_inference_duration', dur, observations(n * 3, 0.02), 'method="decode"');
  return `${lines.join('\n')}\n`;
}

/** vLLM-like families in OpenMetrics text: units, `_created`, exemplars, `# EOF`. */
export function openMetricsExposition(step: number): string {
  const n = 10 * step;
  return [
    '# HELP vllm:prompt_tokens Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens counter',
    `vllm:prompt_tokens_total{model_name="${MODEL}"} ${512 * n} # {trace_id="abc123"} 512 1700000000.5`,
    `vllm:prompt_tokens_created{model_name="${MODEL}"} 1700000000.25`,
    '# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.',
    '# TYPE vllm:e2e_request_latency_seconds histogram',
    '# UNIT vllm:e2e_request_latency_seconds seconds',
    `vllm:e2e_request_latency_seconds_bucket{model_name="${MODEL}",le="1.0"} ${n / 2}`,
    `vllm:e2e_request_latency_seconds_bucket{model_name="${MODEL}",le="5.0"} ${n} # {trace_id="def456"} 2.25`,
    `vllm:e2e_request_latency_seconds_bucket{model_name="${MODEL}",le="+Inf"} ${n}`,
    `vllm:e2e_request_latency_seconds_count{model_name="${MODEL}"} ${n}`,
    `vllm:e2e_request_latency_seconds_sum{model_name="${MODEL}"} ${n * 1.5}`,
    `vllm:e2e_request_latency_seconds_created{model_name="${MODEL}"} 1700000000.25`,
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{model_name="${MODEL}"} ${step % 5}`,
    '# EOF',
    '',
  ].join('\n');
}
