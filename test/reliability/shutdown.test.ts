/**
 * Cross-package variant of packages/setup/test/shutdown-signal.test.ts: a
 * child that records through @tokenmeter/llm gets SIGTERM in the middle of an
 * (hour-long) export interval; the final export carries every measurement.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attributesOf,
  findMetric,
  startOtlpReceiver,
} from '../../packages/setup/test/helpers/otlp-receiver.js';
import { REPO_ROOT, requireBuilt } from './helpers.js';

const APP = fileURLToPath(new URL('./fixtures/llm-sigterm-app.mjs', import.meta.url));

beforeAll(() => requireBuilt('setup', 'llm'));

describe('shutdown', () => {
  it('SIGTERM mid-interval: the final OTLP export arrives with every llm measurement, then the process dies of SIGTERM', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const child = spawn(process.execPath, [APP, '37'], {
        cwd: `${REPO_ROOT}test`,
        env: {
          PATH: process.env.PATH ?? '',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_METRIC_EXPORT_INTERVAL: '3600000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d;
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child never became ready:\n${out}`)), 15_000);
        child.stdout.on('data', () => {
          if (out.includes('ready 37')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(receiver.requests).toHaveLength(0);
      child.kill('SIGTERM');
      expect(await exited, out).toBe('SIGTERM');
      const body = receiver.requests.at(-1)?.body;
      expect(body, 'no export arrived').toBeDefined();
      if (!body) return;
      const requests = findMetric(body, 'tokenmeter.gen_ai.client.requests');
      expect(requests?.sum?.dataPoints.reduce((a, p) => a + Number(p.asInt ?? p.asDouble ?? 0), 0)).toBe(37);
      const duration = findMetric(body, 'gen_ai.client.operation.duration');
      expect(duration?.histogram?.dataPoints.reduce((a, p) => a + Number(p.count), 0)).toBe(37);
      const tokens = findMetric(body, 'gen_ai.client.token.usage')?.histogram?.dataPoints ?? [];
      const output = tokens.find((p) => attributesOf(p.attributes)['gen_ai.token.type'] === 'output');
      expect(output?.sum).toBe(37 * 5);
      const active = findMetric(body, 'tokenmeter.gen_ai.client.active_requests');
      expect(active?.sum?.dataPoints.reduce((a, p) => a + Number(p.asInt ?? p.asDouble ?? 0), 0)).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
