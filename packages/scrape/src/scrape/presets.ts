import type { Labels, MetricFamily } from '../text/types.js';

/** A copy of a server metric under our (OpenTelemetry semconv) name, where the meaning matches. */
export interface SemconvMapping {
  /** Source family, after renames. */
  from: string;
  /** Semconv metric name. */
  to: string;
  /** Why the mapping is honest (shown in docs). */
  note: string;
}

/** What tokenmeter knows about one inference server's `/metrics`. */
export interface ServerPreset {
  name: 'vllm' | 'sglang' | 'tgi' | 'llamacpp';
  description: string;
  /** Family prefix that identifies the server. */
  prefix: string;
  /** Default metric selection (globs). */
  include: string[];
  /**
   * Old base name → current base name (dashboards across versions keep working);
   * also applied to `<base>_total` and `<base>_created` families.
   */
  renames: Record<string, string>;
  /** Unit corrections (UCUM) for names whose suffix misleads (`llamacpp:prompt_tokens_seconds` is a throughput). */
  units: Record<string, string>;
  semconv: SemconvMapping[];
  /** `gen_ai.provider.name` on semconv copies (a custom value: semconv has none for self-hosted servers). */
  provider: string;
}

export const PRESETS: Record<ServerPreset['name'], ServerPreset> = {
  vllm: {
    name: 'vllm',
    description: 'vLLM OpenAI-compatible server (v1 engine metrics, `vllm:*`)',
    prefix: 'vllm:',
    include: ['vllm:*'],
    renames: {
      'vllm:gpu_cache_usage_perc': 'vllm:kv_cache_usage_perc',
      'vllm:gpu_prefix_cache_queries': 'vllm:prefix_cache_queries',
      'vllm:gpu_prefix_cache_hits': 'vllm:prefix_cache_hits',
      'vllm:time_per_output_token_seconds': 'vllm:inter_token_latency_seconds',
    },
    units: { 'vllm:kv_cache_usage_perc': '1' },
    semconv: [
      {
        from: 'vllm:time_to_first_token_seconds',
        to: 'gen_ai.server.time_to_first_token',
        note: 'vLLM measures from request arrival to first token, as semconv defines it',
      },
      {
        from: 'vllm:e2e_request_latency_seconds',
        to: 'gen_ai.server.request.duration',
        note: 'arrival to last token of each finished request',
      },
      {
        from: 'vllm:request_time_per_output_token_seconds',
        to: 'gen_ai.server.time_per_output_token',
        note: 'per request (decode time / (output tokens − 1)), exactly the semconv definition',
      },
    ],
    provider: 'vllm',
  },
  sglang: {
    name: 'sglang',
    description: 'SGLang server (`--enable-metrics`, `sglang:*`)',
    prefix: 'sglang:',
    include: ['sglang:*'],
    renames: {},
    units: { 'sglang:token_usage': '1', 'sglang:cache_hit_rate': '1', 'sglang:gen_throughput': '{token}/s' },
    semconv: [
      {
        from: 'sglang:time_to_first_token_seconds',
        to: 'gen_ai.server.time_to_first_token',
        note: 'arrival to first token',
      },
      {
        from: 'sglang:e2e_request_latency_seconds',
        to: 'gen_ai.server.request.duration',
        note: 'arrival to completion',
      },
    ],
    provider: 'sglang',
  },
  tgi: {
    name: 'tgi',
    description: 'Hugging Face Text Generation Inference (`tgi_*`)',
    prefix: 'tgi_',
    include: ['tgi_*'],
    renames: {},
    units: {
      tgi_request_duration: 's',
      tgi_request_queue_duration: 's',
      tgi_request_inference_duration: 's',
      tgi_request_validation_duration: 's',
      tgi_request_mean_time_per_token_duration: 's',
      tgi_batch_inference_duration: 's',
      tgi_batch_forward_duration: 's',
      tgi_batch_decode_duration: 's',
      tgi_request_input_length: '{token}',
      tgi_request_generated_tokens: '{token}',
    },
    // TGI's mean time per token divides the whole inference time (prefill included) by the
    // token count: not semconv's time_per_output_token, so it is deliberately not mapped.
    semconv: [
      {
        from: 'tgi_request_duration',
        to: 'gen_ai.server.request.duration',
        note: 'end-to-end request duration',
      },
    ],
    provider: 'tgi',
  },
  llamacpp: {
    name: 'llamacpp',
    description: 'llama.cpp `llama-server --metrics` (`llamacpp:*`)',
    prefix: 'llamacpp:',
    include: ['llamacpp:*'],
    renames: {},
    units: {
      // Throughput gauges despite the `_seconds` suffix.
      'llamacpp:prompt_tokens_seconds': '{token}/s',
      'llamacpp:predicted_tokens_seconds': '{token}/s',
      'llamacpp:kv_cache_usage_ratio': '1',
      'llamacpp:prompt_seconds_total': 's',
      'llamacpp:tokens_predicted_seconds_total': 's',
    },
    // Only counters and gauges: no per-request distribution to map to a semconv histogram.
    semconv: [],
    provider: 'llama.cpp',
  },
};

/** Guesses the server from family-name prefixes; undefined when none matches. */
export function detectPreset(families: readonly MetricFamily[]): ServerPreset | undefined {
  for (const preset of Object.values(PRESETS)) {
    if (families.some((f) => f.name.startsWith(preset.prefix))) return preset;
  }
  return undefined;
}

function rename(f: MetricFamily, to: string): MetricFamily {
  return {
    ...f,
    name: to,
    samples: f.samples.map((s) => ({ ...s, name: to + s.name.slice(f.name.length) })),
  };
}

function renamed(preset: ServerPreset, name: string): string | undefined {
  const exact = preset.renames[name];
  if (exact !== undefined) return exact;
  for (const suffix of ['_total', '_created']) {
    if (!name.endsWith(suffix)) continue;
    const to = preset.renames[name.slice(0, -suffix.length)];
    if (to !== undefined) return to + suffix;
  }
  return undefined;
}

function semconvLabels(labels: Labels, provider: string): Labels {
  const { model_name, ...rest } = labels;
  const out: Labels = { 'gen_ai.provider.name': provider, ...rest };
  if (model_name !== undefined) out['gen_ai.request.model'] = model_name;
  return out;
}

export interface ApplyPresetOptions {
  /** Add semconv-named copies of the mapped families (originals are kept). @default false */
  semconv?: boolean;
}

/**
 * Applies renames and unit corrections; with `semconv`, appends copies of the
 * mapped families under OpenTelemetry names (`model_name` → `gen_ai.request.model`,
 * plus `gen_ai.provider.name`). When an old and a new name are both exposed
 * (transitional releases), the old one is dropped.
 */
export function applyPreset(
  preset: ServerPreset,
  families: readonly MetricFamily[],
  options: ApplyPresetOptions = {},
): MetricFamily[] {
  const present = new Set(families.map((f) => f.name));
  const out: MetricFamily[] = [];
  for (let f of families) {
    const to = renamed(preset, f.name);
    if (to !== undefined) {
      if (present.has(to)) continue;
      f = rename(f, to);
    }
    const unit = preset.units[f.name];
    if (unit !== undefined && f.unit === undefined) f = { ...f, unit };
    out.push(f);
  }
  if (options.semconv) {
    const byName = new Map(out.map((f) => [f.name, f]));
    for (const m of preset.semconv) {
      const src = byName.get(m.from);
      if (!src) continue;
      const copy = rename(src, m.to);
      copy.unit = 's';
      copy.samples = copy.samples.map((s) => ({ ...s, labels: semconvLabels(s.labels, preset.provider) }));
      out.push(copy);
    }
  }
  return out;
}

/** A `transform` for `ScraperOptions`: a fixed preset, or `'auto'` to detect per scrape. */
export function presetTransform(
  preset: ServerPreset | 'auto',
  options: ApplyPresetOptions = {},
): (families: MetricFamily[]) => MetricFamily[] {
  return (families) => {
    const p = preset === 'auto' ? detectPreset(families) : preset;
    return p ? applyPreset(p, families, options) : families;
  };
}
