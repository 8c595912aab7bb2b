import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../src/errors.js';
import { attachWorkerThread, type MetricsHandle, registerMetrics } from '../src/index.js';
import { resolveConfig } from '../src/resolve-config.js';
import { requireBuiltSetup, SETUP_PACKAGE_DIR } from './helpers/built.js';

const handles: MetricsHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
  diag.disable();
});

function warnings(): string[] {
  const lines: string[] = [];
  const log = (m: string) => lines.push(m);
  diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} });
  return lines;
}

function configError(f: () => unknown): ConfigurationError {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('no ConfigurationError');
}

describe('cluster configuration', () => {
  it('is off unless asked; auto makes the main thread of a primary process the primary', () => {
    expect(resolveConfig({ env: {} }).cluster.role).toBe('off');
    const auto = resolveConfig({ env: {}, cluster: 'auto' });
    expect(auto.cluster).toEqual({ role: 'primary', timeoutMillis: 2000, maxSeriesPerWorker: 100_000 });
    expect(auto.exporters).toEqual(['prometheus']);
    expect(resolveConfig({ env: {}, cluster: true }).cluster.role).toBe('primary');
    expect(resolveConfig({ env: { TOKENMETER_CLUSTER: 'auto' } }).cluster.role).toBe('primary');
    expect(resolveConfig({ env: { TOKENMETER_CLUSTER: 'off' } }).cluster.role).toBe('off');
    // Code wins over the environment.
    expect(resolveConfig({ env: { TOKENMETER_CLUSTER: 'auto' }, cluster: false }).cluster.role).toBe('off');
  });

  it('a worker runs no Prometheus exporter and keeps a snapshot to answer from', () => {
    // This test process is a child with an IPC channel (the test runner's), so "worker" is a role it can take.
    const worker = resolveConfig({
      env: {},
      cluster: { role: 'worker', timeoutMillis: 500 },
      exporters: ['prometheus', 'otlp'],
    });
    expect(worker.cluster.role).toBe('worker');
    expect(worker.exporters).toEqual(['otlp']);
    expect(worker.snapshot).toBe(true);
  });

  it('bad values are configuration errors that name the setting', () => {
    expect(configError(() => resolveConfig({ env: { TOKENMETER_CLUSTER: 'yes' } })).message).toBe(
      'Invalid TOKENMETER_CLUSTER="yes": expected one of auto, primary, worker, off',
    );
    expect(configError(() => resolveConfig({ env: {}, cluster: { role: 'boss' as never } })).setting).toBe(
      'cluster.role',
    );
    expect(configError(() => resolveConfig({ env: {}, cluster: { timeoutMillis: 0 } })).setting).toBe(
      'cluster.timeoutMillis',
    );
    expect(configError(() => resolveConfig({ env: {}, cluster: { maxSeriesPerWorker: 1.5 } })).setting).toBe(
      'cluster.maxSeriesPerWorker',
    );
    expect(configError(() => resolveConfig({ env: {}, cluster: 42 as never })).setting).toBe('cluster');
  });

  it('"worker" in a process with nobody to report to stops start-up with a clear error', () => {
    requireBuiltSetup();
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('@tokenmeter/setup').then((m) => m.registerMetrics({ cluster: 'worker' })).catch((e) => console.log(e.name + ': ' + e.message))",
      ],
      { cwd: SETUP_PACKAGE_DIR, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    expect(r.stdout.trim()).toBe(
      'ConfigurationError: Invalid cluster.role="worker": expected a role this process can take: "worker" needs a node:cluster worker or a worker thread (this process has no channel to a primary)',
    );
  });

  it('one registration per process aggregates; attachWorkerThread says when nothing does', async () => {
    const lines = warnings();
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    try {
      expect(attachWorkerThread(worker)).toBe(false);
      const opts = {
        prometheus: { server: false },
        setGlobal: false,
        shutdownOnSignals: false,
        detectResources: false,
      } as const;
      handles.push(registerMetrics({ ...opts, cluster: 'primary' }));
      handles.push(registerMetrics({ ...opts, cluster: 'primary' }));
      expect(lines).toEqual([
        'tokenmeter: attachWorkerThread() does nothing: no registerMetrics({ cluster }) aggregates in this thread',
        'tokenmeter: another registration in this process already aggregates the cluster; this one does not',
      ]);
      expect(attachWorkerThread(worker)).toBe(true);
    } finally {
      await worker.terminate();
    }
  });
});
