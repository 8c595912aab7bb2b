import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposition, type FakeServer, startServer } from '../../scrape/test/helpers/fake-server.js';
import { vllmExposition } from '../../scrape/test/helpers/server-fixtures.js';
import { freePort, requireBinary, stopChild, tempDir, waitFor } from '../../scrape/test/helpers/tools.js';
import { cli, runCli, type Spawned } from './helpers.js';

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus scraping `tokenmeter serve --scrape`', () => {
  let vllm: FakeServer;
  let serve: Spawned;
  let prom: ReturnType<typeof spawn>;
  let promUrl: string;
  let servePort: number;
  let step = 0;

  beforeAll(async () => {
    const bin = requireBinary('/usr/bin/prometheus', 'prometheus');
    vllm = await startServer(exposition(() => vllmExposition(++step)));
    servePort = await freePort();
    serve = cli([
      'serve',
      '--port',
      String(servePort),
      '--no-gpu',
      '--scrape',
      vllm.url,
      '--scrape-interval',
      '500ms',
    ]);
    await waitFor('tokenmeter serve', async () =>
      (await fetch(`http://127.0.0.1:${servePort}/healthz`)).ok ? true : undefined,
    );
    const dir = tempDir('tokenmeter-prom-');
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: tokenmeter',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${servePort}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      bin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      {
        stdio: 'ignore',
      },
    );
  });

  afterAll(async () => {
    if (prom) await stopChild(prom);
    if (serve) {
      serve.child.kill('SIGTERM');
      await serve.exit;
    }
    await vllm?.close();
  });

  const query = async (q: string): Promise<PromResult[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: PromResult[] } };
    return body.data.result;
  };

  it('sees the target up and queries bridged series with their labels and buckets', async () => {
    await waitFor(
      'the tokenmeter target to be up in Prometheus',
      async () => {
        const res = await fetch(`${promUrl}/api/v1/targets`);
        const body = (await res.json()) as { data: { activeTargets: { health: string }[] } };
        return body.data.activeTargets.some((t) => t.health === 'up') ? true : undefined;
      },
      30_000,
    );
    const running = await waitFor('vllm:num_requests_running', async () => {
      const r = await query('vllm:num_requests_running');
      return r.length > 0 ? r : undefined;
    });
    expect(running[0]?.metric).toMatchObject({
      job: 'tokenmeter',
      model_name: 'meta-llama/Llama-3.1-8B-Instruct',
      engine: '0',
    });
    const buckets = await waitFor('TTFT buckets', async () => {
      const r = await query('vllm:time_to_first_token_seconds_bucket');
      return r.length > 0 ? r : undefined;
    });
    // Prometheus negotiates OpenMetrics, whose le values are canonical numbers (2560 → "2560.0").
    expect(buckets.map((b) => b.metric.le)).toContain('2560.0');
    const semconv = await waitFor('gen_ai TTFT', async () => {
      const r = await query('gen_ai_server_time_to_first_token_seconds_count');
      return r.length > 0 ? r : undefined;
    });
    expect(semconv[0]?.metric.gen_ai_provider_name).toBe('vllm');
    const up = await waitFor('scrape up', async () => {
      const r = await query('tokenmeter_scrape_up');
      return r.length > 0 ? r : undefined;
    });
    expect(up[0]?.value[1]).toBe('1');
  });

  it('serves this host: CPU, memory and process series from @tokenmeter/host', async () => {
    for (const name of [
      'system_cpu_time_seconds_total',
      'system_memory_usage_bytes',
      'process_memory_usage_bytes',
    ]) {
      const r = await waitFor(name, async () => {
        const rows = await query(name);
        return rows.length > 0 ? rows : undefined;
      });
      expect(Number(r[0]?.value[1])).toBeGreaterThan(0);
    }
  });

  it('exits 5 when the port is taken', async () => {
    const r = await runCli(['serve', '--port', String(servePort), '--no-gpu']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/cannot listen on 127.0.0.1:\d+/);
  });
});
