import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, parseExposition, presetTransform } from '../src/index.js';
import { ucumUnit } from '../src/otel/ucum-unit.js';
import { applyPreset, detectPreset } from '../src/scrape/presets.js';

const fixture = (name: string) =>
  parseExposition(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')).families;

describe('presets', () => {
  it('detects the server from names', () => {
    expect(detectPreset(fixture('vllm.prom'))?.name).toBe('vllm');
    expect(detectPreset(fixture('tgi.prom'))?.name).toBe('tgi');
    expect(detectPreset(parseExposition('llamacpp:prompt_tokens_total 1\n').families)?.name).toBe('llamacpp');
    expect(detectPreset(parseExposition('sglang:num_running_reqs 1\n').families)?.name).toBe('sglang');
    expect(detectPreset(parseExposition('other 1\n').families)).toBeUndefined();
  });

  it('renames pre-v1 vLLM names to the current ones', () => {
    const out = applyPreset(PRESETS.vllm, fixture('vllm-legacy.prom'));
    const names = out.map((f) => f.name);
    expect(names).toContain('vllm:kv_cache_usage_perc');
    expect(names).toContain('vllm:inter_token_latency_seconds');
    expect(names).toContain('vllm:prefix_cache_hits_total');
    expect(names.some((n) => n.includes('gpu_'))).toBe(false);
    const itl = out.find((f) => f.name === 'vllm:inter_token_latency_seconds');
    expect(itl?.samples.every((s) => s.name.startsWith('vllm:inter_token_latency_seconds_'))).toBe(true);
  });

  it('drops the old name when a transitional server exposes both', () => {
    const both = parseExposition('vllm:gpu_cache_usage_perc 0.5\nvllm:kv_cache_usage_perc 0.5\n').families;
    expect(applyPreset(PRESETS.vllm, both).map((f) => f.name)).toEqual(['vllm:kv_cache_usage_perc']);
  });

  it('adds semconv copies only where honest, with gen_ai attributes', () => {
    const out = presetTransform('auto', { semconv: true })(fixture('vllm.prom'));
    const ttft = out.find((f) => f.name === 'gen_ai.server.time_to_first_token');
    expect(ttft?.type).toBe('histogram');
    expect(ttft?.unit).toBe('s');
    expect(ttft?.samples[0]?.labels).toMatchObject({
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'meta-llama/Llama-3.1-8B-Instruct',
      engine: '0',
    });
    expect(out.find((f) => f.name === 'vllm:time_to_first_token_seconds')).toBeDefined();
    expect(out.map((f) => f.name).filter((n) => n.startsWith('gen_ai.'))).toEqual([
      'gen_ai.server.time_to_first_token',
      'gen_ai.server.request.duration',
      'gen_ai.server.time_per_output_token',
    ]);
    const tgi = presetTransform('auto', { semconv: true })(fixture('tgi.prom'));
    expect(tgi.map((f) => f.name).filter((n) => n.startsWith('gen_ai.'))).toEqual([
      'gen_ai.server.request.duration',
    ]);
  });

  it('maps SGLang: TTFT and e2e latency only, per-token latency stays unmapped, ratios and throughput get units', () => {
    // Fixture written from the metric names in SGLang's metrics collector
    // (python/sglang/srt/metrics/collector.py): there is no SGLang server here.
    const out = presetTransform('auto', { semconv: true })(fixture('sglang.prom'));
    expect(out.map((f) => f.name).filter((n) => n.startsWith('gen_ai.'))).toEqual([
      'gen_ai.server.time_to_first_token',
      'gen_ai.server.request.duration',
    ]);
    const e2e = out.find((f) => f.name === 'gen_ai.server.request.duration');
    expect(e2e?.unit).toBe('s');
    expect(e2e?.samples.find((x) => x.name.endsWith('_count'))?.labels).toEqual({
      'gen_ai.provider.name': 'sglang',
      'gen_ai.request.model': 'Qwen/Qwen2.5-7B-Instruct',
    });
    expect(e2e?.samples.find((x) => x.name.endsWith('_count'))?.value).toBe(16);
    const unit = (name: string) => {
      const f = out.find((x) => x.name === name);
      return ucumUnit(f?.name ?? '', f?.unit);
    };
    expect(unit('sglang:token_usage')).toBe('1');
    expect(unit('sglang:cache_hit_rate')).toBe('1');
    expect(unit('sglang:gen_throughput')).toBe('{token}/s');
    expect(unit('sglang:inter_token_latency_seconds')).toBe('s');
  });

  it('corrects misleading units', () => {
    const f = applyPreset(
      PRESETS.llamacpp,
      parseExposition('# TYPE llamacpp:prompt_tokens_seconds gauge\nllamacpp:prompt_tokens_seconds 812.5\n')
        .families,
    )[0];
    expect(ucumUnit(f?.name ?? '', f?.unit)).toBe('{token}/s');
    expect(ucumUnit('x_seconds', undefined)).toBe('s');
  });
});
