import { describe, expect, it } from 'vitest';
import {
  type PrometheusMetricKind,
  prometheusLabelName,
  prometheusMetricName,
  prometheusUnitSuffix,
} from '../src/prometheus-naming.js';

// Expected values follow the OTel "Prometheus and OpenMetrics Compatibility"
// spec as implemented by prometheus/otlptranslator (UnderscoreEscapingWithSuffixes);
// several rows are lifted from otlptranslator's own metric_namer_test.go.
const otelCases: [name: string, unit: string, kind: PrometheusMetricKind, expected: string][] = [
  // The names this project emits.
  ['gen_ai.client.operation.duration', 's', 'histogram', 'gen_ai_client_operation_duration_seconds'],
  ['gen_ai.client.token.usage', '{token}', 'histogram', 'gen_ai_client_token_usage'],
  ['gen_ai.server.time_to_first_token', 's', 'histogram', 'gen_ai_server_time_to_first_token_seconds'],
  ['hw.gpu.memory.usage', 'By', 'updowncounter', 'hw_gpu_memory_usage_bytes'],
  ['hw.gpu.utilization', '1', 'gauge', 'hw_gpu_utilization_ratio'],
  ['hw.energy', 'J', 'counter', 'hw_energy_joules_total'],
  ['system.cpu.time', 's', 'counter', 'system_cpu_time_seconds_total'],
  ['hw.temperature', 'Cel', 'gauge', 'hw_temperature_celsius'],
  ['hw.power', 'W', 'gauge', 'hw_power_watts'],
  // Every unit in the map.
  ['t', 'ms', 'gauge', 't_milliseconds'],
  ['t', 'us', 'gauge', 't_microseconds'],
  ['t', 'ns', 'gauge', 't_nanoseconds'],
  ['t', 'min', 'gauge', 't_minutes'],
  ['t', 'h', 'gauge', 't_hours'],
  ['t', 'd', 'gauge', 't_days'],
  ['b', 'KBy', 'gauge', 'b_kilobytes'],
  ['b', 'MBy', 'gauge', 'b_megabytes'],
  ['b', 'GBy', 'gauge', 'b_gigabytes'],
  ['b', 'TBy', 'gauge', 'b_terabytes'],
  ['b', 'KiBy', 'gauge', 'b_kibibytes'],
  ['b', 'MiBy', 'gauge', 'b_mebibytes'],
  ['b', 'GiBy', 'gauge', 'b_gibibytes'],
  // otlptranslator spells it this way; matching the Collector is the point.
  ['b', 'TiBy', 'gauge', 'b_tibibytes'],
  ['x', 'm', 'gauge', 'x_meters'],
  ['x', 'V', 'gauge', 'x_volts'],
  ['x', 'A', 'gauge', 'x_amperes'],
  ['x', 'g', 'gauge', 'x_grams'],
  ['x', 'Hz', 'gauge', 'x_hertz'],
  ['x', '%', 'gauge', 'x_percent'],
  // `X/Y` and the per-unit map.
  ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
  ['rate', 'm/h', 'gauge', 'rate_meters_per_hour'],
  ['rate', 'By/d', 'gauge', 'rate_bytes_per_day'],
  ['rate', 'By/w', 'gauge', 'rate_bytes_per_week'],
  ['rate', 'By/mo', 'gauge', 'rate_bytes_per_month'],
  ['rate', 'By/y', 'gauge', 'rate_bytes_per_year'],
  ['rate', 'By/m', 'gauge', 'rate_bytes_per_minute'],
  ['requests', '1/s', 'gauge', 'requests_per_second'],
  ['requests', '1/s', 'counter', 'requests_per_second_total'],
  ['gen_ai.tokens', '{token}/s', 'gauge', 'gen_ai_tokens_per_second'],
  ['custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes'],
  ['custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars'],
  // Annotations and unknown units.
  ['custom_metric', '{custom}', 'gauge', 'custom_metric'],
  ['custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit'],
  ['custom_metric', 'By{cached}', 'gauge', 'custom_metric'],
  [
    'metric__with__multiple__underscores',
    'unit__multiple__underscores',
    'gauge',
    'metric_with_multiple_underscores_unit_multiple_underscores',
  ],
  // Unit `1`: `_ratio` on gauges only.
  ['queue.fill', '1', 'updowncounter', 'queue_fill'],
  ['items', '1', 'counter', 'items_total'],
  ['spread', '1', 'histogram', 'spread'],
  ['cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio'],
  // No unit at all.
  ['requests', '', 'counter', 'requests_total'],
  ['in.flight', '', 'updowncounter', 'in_flight'],
  // Suffix already present is not repeated; `_total` / `_ratio` move last.
  ['response_time_seconds', 's', 'gauge', 'response_time_seconds'],
  ['cpu_seconds_total', 's', 'counter', 'cpu_seconds_total'],
  ['otelcol_process_cpu_seconds', 's', 'counter', 'otelcol_process_cpu_seconds_total'],
  ['requests_total', '', 'counter', 'requests_total'],
  ['total.requests', '', 'counter', 'requests_total'],
  ['ratio.of.hits', '1', 'gauge', 'of_hits_ratio'],
  ['requests_total', '', 'gauge', 'requests_total'],
  // Character rules.
  ['metric@with#special$chars', '', 'gauge', 'metric_with_special_chars'],
  ['metric@@##$$name', '', 'gauge', 'metric_name'],
  ['123metric', '', 'gauge', '_123metric'],
  ['_leading.and.trailing_', '', 'gauge', 'leading_and_trailing'],
  ['vllm:time_to_first_token', 's', 'histogram', 'vllm:time_to_first_token_seconds'],
  ['métric_with_ñ_chars', '', 'gauge', 'm_tric_with_chars'],
  ['@#$%', '', 'gauge', ''],
];

describe('prometheusMetricName, otel naming', () => {
  it.each(otelCases)('%s [%s] %s → %s', (name, unit, kind, expected) => {
    expect(prometheusMetricName(name, unit, kind)).toBe(expected);
    // Cached results must not leak between modes or kinds.
    expect(prometheusMetricName(name, unit, kind, { naming: 'otel' })).toBe(expected);
  });

  it('prepends a prefix as a namespace token', () => {
    expect(prometheusMetricName('requests', '1/s', 'counter', { prefix: 'app' })).toBe(
      'app_requests_per_second_total',
    );
    expect(prometheusMetricName('123_requests', '', 'counter', { prefix: 'app' })).toBe(
      'app_123_requests_total',
    );
    expect(prometheusMetricName('x', 's', 'gauge', { prefix: 'my-app.' })).toBe('my_app_x_seconds');
  });
});

const stockCases: [name: string, unit: string, kind: PrometheusMetricKind, expected: string][] = [
  ['gen_ai.client.operation.duration', 's', 'histogram', 'gen_ai_client_operation_duration'],
  ['gen_ai.client.token.usage', '{token}', 'histogram', 'gen_ai_client_token_usage'],
  ['hw.gpu.memory.usage', 'By', 'updowncounter', 'hw_gpu_memory_usage'],
  ['hw.gpu.utilization', '1', 'gauge', 'hw_gpu_utilization'],
  ['hw.energy', 'J', 'counter', 'hw_energy_total'],
  ['requests_total', '', 'counter', 'requests_total'],
  ['total.requests', '', 'counter', 'total_requests_total'],
  ['vllm:time_to_first_token', 's', 'histogram', 'vllm_time_to_first_token'],
  ['a..b--c', '', 'gauge', 'a_b_c'],
  ['1abc', '', 'gauge', '_1abc'],
  ['_', '', 'gauge', ''],
];

describe('prometheusMetricName, stock naming', () => {
  it.each(stockCases)('%s [%s] %s → %s', (name, unit, kind, expected) => {
    expect(prometheusMetricName(name, unit, kind, { naming: 'stock' })).toBe(expected);
  });

  it('prefixes like exporter-prometheus', () => {
    expect(prometheusMetricName('hw.energy', 'J', 'counter', { naming: 'stock', prefix: 'app' })).toBe(
      'app_hw_energy_total',
    );
  });
});

describe('prometheusUnitSuffix', () => {
  it.each([
    ['s', 'histogram', 'seconds'],
    ['By/s', 'gauge', 'bytes_per_second'],
    ['{token}', 'histogram', ''],
    ['{token}/s', 'gauge', 'per_second'],
    ['1', 'gauge', 'ratio'],
    ['1', 'updowncounter', ''],
    ['1', 'counter', ''],
    ['', 'gauge', ''],
    ['furlong', 'gauge', 'furlong'],
    ['Cel', 'gauge', 'celsius'],
  ] as const)('%s (%s) → %j', (unit, kind, expected) => {
    expect(prometheusUnitSuffix(unit, kind)).toBe(expected);
  });
});

describe('prometheusLabelName', () => {
  it.each([
    ['http.method', 'http_method'],
    ['gen_ai.request.model', 'gen_ai_request_model'],
    ['server.address', 'server_address'],
    ['already_fine', 'already_fine'],
    ['a-b/c d', 'a_b_c_d'],
    ['a..b', 'a_b'],
    ['a_.b', 'a_b'],
    ['a:b', 'a_b'],
    ['trailing.', 'trailing_'],
    ['_x', '_x'],
    ['__x', '_x'],
    ['123invalid', 'key_123invalid'],
    ['1.5', 'key_1_5'],
    ['ключ', 'key_'],
    ['model名', 'model_'],
    // Deviations from otlptranslator, to keep the scrape valid:
    ['__name__', 'key__name__'],
    ['__reserved.key__', 'key__reserved_key__'],
    ['_', 'key_'],
    ['...', 'key_'],
    ['', 'key_'],
  ])('%j → %j', (key, expected) => {
    expect(prometheusLabelName(key)).toBe(expected);
  });
});
