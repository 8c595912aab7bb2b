import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltSetup, SETUP_PACKAGE_DIR } from './helpers/built.js';
import { attributesOf, findMetric, type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.js';

const APP = fileURLToPath(new URL('./fixtures/sigterm-app.mjs', import.meta.url));
let receiver: OtlpReceiver;
const children: ChildProcess[] = [];

beforeAll(() => requireBuiltSetup());
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await receiver?.close();
});

function start(args: string[], env: Record<string, string>, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, APP, ...args], {
    cwd: SETUP_PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child never became ready:\n${out}`)), 15_000);
    child.stdout?.on('data', () => {
      if (out.includes('ready 42')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out })),
  );
  return { child, ready, exited };
}

function totalFor(mode: string): number | undefined {
  for (const req of receiver.requests) {
    const m = findMetric(req.body, 'child.work');
    const p = m?.sum?.dataPoints.find((d) => attributesOf(d.attributes).mode === mode);
    if (p) return p.asDouble;
  }
  return undefined;
}

describe('final export on SIGTERM', () => {
  it('zero-code (--import @tokenmeter/setup/register): the last measurements arrive, then the process dies of SIGTERM', async () => {
    receiver = await startOtlpReceiver();
    const { child, ready, exited } = start(['zero-code'], { OTEL_METRICS_EXPORTER: 'otlp' }, [
      '--import',
      '@tokenmeter/setup/register',
    ]);
    await ready;
    expect(receiver.requests).toHaveLength(0);
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.signal, result.out).toBe('SIGTERM');
    expect(totalFor('zero-code')).toBe(42);
  });

  it('an application that owns SIGTERM keeps control: no re-raise, its own exit code', async () => {
    receiver = await startOtlpReceiver();
    const { child, ready, exited } = start(['own-handler'], {});
    await ready;
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.signal).toBeNull();
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain('app handler done');
    expect(totalFor('own-handler')).toBe(42);
  });
});

describe('final export when the app owns SIGTERM with a once() handler', () => {
  it('the export arrives and the app, not tokenmeter, decides how the process ends', async () => {
    receiver = await startOtlpReceiver();
    const { child, ready, exited } = start(['own-once-handler'], {});
    await ready;
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.signal, result.out).toBeNull();
    expect(result.code).toBe(0);
    expect(result.out).toContain('app cleanup done');
    expect(totalFor('own-once-handler')).toBe(42);
  });
});

describe('zero-code configuration errors', () => {
  it('an invalid OTEL_* value stops start-up with a message naming it', async () => {
    receiver = await startOtlpReceiver();
    const { exited } = start(
      ['zero-code'],
      { OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' },
      ['--import', '@tokenmeter/setup/register'],
    );
    const result = await exited;
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('OTEL_EXPORTER_OTLP_PROTOCOL');
    expect(result.out).toContain('carrier-pigeon');
  });
});
