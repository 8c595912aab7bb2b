/**
 * The OTLP collector is down while the app records: exports fail on every
 * interval, the app is unaffected (no exception, event loop responsive, heap
 * bounded), and once a receiver comes up on that port the cumulative totals it
 * receives are exact.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { createLlmMetrics } from '@tokenmeter/llm';
import { registerMetrics } from '@tokenmeter/setup';
import { describe, expect, it } from 'vitest';
import { findMetric, startOtlpReceiver } from '../../packages/setup/test/helpers/otlp-receiver.js';
import { closedPort, sleep } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const OUTAGE_MS = 8_000;
const INTERVAL_MS = 200;

describe('collector down', () => {
  it('exports fail for the whole outage, the app is unaffected, then the totals arrive exact', async () => {
    const port = await closedPort();
    let exportErrors = 0;
    diag.setLogger(
      {
        error: () => {
          exportErrors++;
        },
        warn: () => {},
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.ERROR,
    );
    const h = registerMetrics({
      serviceName: 'collector-down',
      exporters: ['otlp'],
      otlp: {
        endpoint: `http://127.0.0.1:${port}`,
        protocol: 'http/json',
        intervalMillis: INTERVAL_MS,
        exportTimeoutMillis: INTERVAL_MS,
        timeoutMillis: INTERVAL_MS,
      },
      setGlobal: false,
      shutdownOnSignals: false,
    });
    const llm = createLlmMetrics({ meterProvider: h.meterProvider });
    let recorded = 0;
    const burst = () => {
      for (let i = 0; i < 200; i++) {
        const req = llm.startRequest({
          operation: 'chat',
          provider: 'openai',
          requestModel: `m-${i % 20}`,
          stream: true,
        });
        req.chunk();
        req.end({ inputTokens: 2, outputTokens: 3, finishReason: 'stop' });
        recorded++;
      }
    };
    // Warm up, then measure the outage.
    burst();
    await sleep(INTERVAL_MS * 2);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const t0 = performance.now();
    while (performance.now() - t0 < OUTAGE_MS) {
      burst();
      await sleep(5);
    }
    delay.disable();
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(exportErrors).toBeGreaterThan(OUTAGE_MS / INTERVAL_MS / 4); // the exporter really was failing
    expect(delay.max / 1e6).toBeLessThan(250);
    expect(heapGrowth).toBeLessThan(16 * 2 ** 20);

    const receiver = await startOtlpReceiver({ port });
    try {
      const total = recorded;
      const got = await receiver.waitFor((r) => {
        const m = findMetric(r.body, 'tokenmeter.gen_ai.client.requests');
        const sum = m?.sum?.dataPoints.reduce((a, p) => a + Number(p.asInt ?? p.asDouble ?? 0), 0);
        return sum === total;
      }, 10_000);
      const duration = findMetric(got.body, 'gen_ai.client.operation.duration');
      expect(duration?.histogram?.dataPoints.reduce((a, p) => a + Number(p.count), 0)).toBe(total);
      console.log(
        `collector down: ${(OUTAGE_MS / 1000).toFixed(0)} s outage, ${exportErrors} export errors, ${total} requests, heap growth ${(heapGrowth / 2 ** 20).toFixed(2)} MiB, max loop delay ${(delay.max / 1e6).toFixed(1)} ms`,
      );
    } finally {
      await h.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
      await receiver.close();
      diag.disable();
    }
  }, 40_000);
});
