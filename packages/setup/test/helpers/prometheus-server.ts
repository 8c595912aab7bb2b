/**
 * Debian's Prometheus, started on loopback for one test file: one scrape job
 * every second against `target`, with the feature flags the test needs.
 * Fails loudly (never skips) when the binary is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './ports.js';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface PrometheusServer {
  readonly url: string;
  /** `GET /api/v1/<path>`; throws unless Prometheus answers `status: success`. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** An instant query's result vector. */
  query<T>(expr: string): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  target: string,
  features: readonly string[],
): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS)) {
    throw new Error(
      `${PROMETHEUS} not found: install Debian's prometheus package (apt-get install -y prometheus)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: app',
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(features.length > 0 ? [`--enable-feature=${features.join(',')}`] : []),
    ],
    { stdio: 'ignore' },
  );
  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; error?: string; data: T };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async <T>(expr: string): Promise<T[]> =>
    (await api<{ result: T[] }>('query', { query: expr })).result;
  return { url, api, query, stop };
}

/** Polls `probe` until it returns a value (not undefined), or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
