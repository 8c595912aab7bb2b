import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// Needs the build (`pnpm build`, which `pnpm test` runs first).
describe.skipIf(!existsSync(main))('quickstart demo', () => {
  it('serves GenAI series on its endpoint and stops by itself after --duration', async () => {
    const child = spawn(process.execPath, [main, '--duration', '4', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_METRICS_EXPORTER: 'prometheus' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no endpoint printed:\n${out}\n${err}`)), 15_000);
        const check = () => {
          const m = /metrics endpoint: (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          } else setTimeout(check, 50);
        };
        check();
      });
      await new Promise((r) => setTimeout(r, 2500)); // let traffic flow
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const series of [
        'gen_ai_client_operation_duration_seconds_bucket',
        'gen_ai_client_token_usage_bucket',
        'gen_ai_client_operation_time_to_first_chunk_seconds_bucket',
        'gen_ai_client_operation_time_per_output_chunk_seconds_bucket',
      ]) {
        expect(text, series).toContain(series);
      }
      expect(text).toMatch(/gen_ai_operation_name="chat"/);
      expect(text).toMatch(/error_type="429"/);
      // Priced at the bundled table (OpenAI models); the simulated Ollama model has no price.
      expect(text).toMatch(
        /^tokenmeter_gen_ai_client_cost_total\{[^}]*gen_ai_provider_name="openai"[^}]*\} [0-9.e-]+$/m,
      );
      expect(text).toMatch(/tokenmeter_gen_ai_client_operation_cost_bucket\{/);
      expect(text).toMatch(
        /^tokenmeter_gen_ai_client_usage_unpriced_total\{[^}]*gen_ai_provider_name="ollama"[^}]*tokenmeter_cost_unpriced_reason="model"[^}]*\} \d+$/m,
      );
      expect(await exited).toBe(0);
      // Live lines show the recent window's percentiles; the final summary, the whole run's.
      expect(out).toMatch(/\(last \d+s\)/);
      expect(out).toMatch(/TTFT +p50 +\d+ms .*\(whole run\)/);
      expect(out).toMatch(/cost +\$\d+\.\d{4} at list prices of \d{4}-\d{2}-\d{2}/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
