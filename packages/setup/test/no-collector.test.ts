/**
 * No Collector at all: a script that pushes OTLP ends normally. Its final
 * export fails, which is one diagnostic line — never an unhandled rejection,
 * a stack trace or a non-zero exit status.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltSetup, SETUP_PACKAGE_DIR } from './helpers/built.js';
import { closedPort } from './helpers/ports.js';

const APP = fileURLToPath(new URL('./fixtures/no-collector-app.mjs', import.meta.url));

beforeAll(() => requireBuiltSetup());

function run(mode: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [APP, mode], {
    cwd: SETUP_PACKAGE_DIR,
    env: { PATH: process.env.PATH ?? '', OTEL_METRIC_EXPORT_INTERVAL: '3600000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string[] }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.split('\n').filter(Boolean) })),
  );
}

describe('shutdown without a Collector', () => {
  it('a script that just ends: the beforeExit hook exports, fails, logs one line, exit status 0', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await run('beforeExit', {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '500', // the SDK's retries give up within this
    });
    expect(stdout).toBe('script done\n');
    expect(stderr).toEqual([expect.stringMatching(/^tokenmeter shutdown failed for otlp \(.*ECONNREFUSED/)]);
    expect(code).toBe(0);
  });

  it('await shutdown() past its deadline (an unresolvable Collector): resolves, one line, exit status 0', async () => {
    const { code, stdout, stderr } = await run('explicit', {
      // What the setup README's snippet had: a Collector host name that does not resolve here.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.invalid:4318',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    expect(stdout).toBe('shutdown resolved with DeadlineError\n');
    expect(stderr).toEqual([expect.stringMatching(/^tokenmeter shutdown did not finish within 300 ms/)]);
    expect(code).toBe(0);
  });
});
