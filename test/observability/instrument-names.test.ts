/**
 * @tokenmeter/host creates its instruments inline (no definition table), so
 * the host rows the dashboard derives its names from
 * (examples/observability `EXTERNAL_INSTRUMENTS`) are checked here against
 * what the real registerHostMetrics() creates, with a fake NVML so the GPU
 * instruments exist: a renamed host instrument, a changed unit or kind, or a
 * renamed attribute fails this test instead of silently emptying a panel.
 */

import { type HostMetricsHandle, registerHostMetrics } from '@tokenmeter/host';
import type { PrometheusMetricKind } from '@tokenmeter/setup';
import { prometheusLabelName } from '@tokenmeter/setup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTES, EXTERNAL_INSTRUMENTS, L } from '../../examples/observability/src/index.js';
import { collectAll, type Found, fakeNvmlPath, testProvider } from '../../packages/host/test/helpers.js';

/** The SDK's InstrumentType → the naming function's kind. */
const KIND: Record<string, PrometheusMetricKind> = {
  COUNTER: 'counter',
  OBSERVABLE_COUNTER: 'counter',
  UP_DOWN_COUNTER: 'updowncounter',
  OBSERVABLE_UP_DOWN_COUNTER: 'updowncounter',
  GAUGE: 'gauge',
  OBSERVABLE_GAUGE: 'gauge',
  HISTOGRAM: 'histogram',
};

let handle: HostMetricsHandle | undefined;
let found: Map<string, Found>;

beforeAll(async () => {
  const { provider, reader } = testProvider();
  handle = registerHostMetrics({
    meterProvider: provider,
    gpu: { nvmlLibrary: fakeNvmlPath(), nvidiaSmi: false, intervalMillis: 100 },
    intervalMillis: 100,
  });
  await handle.ready;
  await handle.sampleNow();
  found = await collectAll(reader);
});

afterAll(async () => {
  await handle?.stop();
});

describe('the host instruments the dashboard and rules query', () => {
  const host = EXTERNAL_INSTRUMENTS.filter((i) => i.from === '@tokenmeter/host');

  it.each(host.map((i) => [i.name, i] as const))('%s exists with that unit and kind', (_name, i) => {
    const m = found.get(i.name);
    expect(m, `@tokenmeter/host does not create ${i.name}`).toBeDefined();
    expect({ unit: m?.unit, kind: KIND[m?.type ?? ''] }).toEqual({ unit: i.unit, kind: i.kind });
    expect(m?.points.length, `${i.name} has no data point`).toBeGreaterThan(0);
  });

  it('the host attributes the queries group and filter by are recorded', () => {
    const keys = new Set<string>();
    for (const m of found.values())
      for (const p of m.points) for (const k of Object.keys(p.attributes)) keys.add(k);
    for (const k of ['hwName', 'hwType', 'gpuTask', 'cpuMode', 'memoryState'] as const) {
      expect(keys.has(ATTRIBUTES[k]), ATTRIBUTES[k]).toBe(true);
      expect(L[k]).toBe(prometheusLabelName(ATTRIBUTES[k]));
    }
  });

  it('the filter values the queries use are ones the host records', () => {
    const values = (metric: string, key: string) =>
      new Set((found.get(metric)?.points ?? []).map((p) => p.attributes[key]));
    expect(values('hw.gpu.utilization', 'hw.gpu.task')).toContain('general');
    expect(values('hw.power', 'hw.type')).toContain('gpu');
    expect(values('hw.temperature', 'hw.type')).toContain('temperature');
    expect(values('system.cpu.utilization', 'cpu.mode')).toContain('idle');
  });
});
