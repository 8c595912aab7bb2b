/**
 * @tokenmeter/llm in a real node:cluster application: three workers record
 * requests through llm's handles; the primary's one endpoint must carry the
 * exact totals of all three, stay promtool-valid, and keep them when a worker
 * is killed (its request in flight goes with it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../packages/setup/test/helpers/promtool.js';
import { get, REPO_ROOT, requireBuilt, sumSamples } from './helpers.js';

const APP = fileURLToPath(new URL('./fixtures/llm-cluster-app.mjs', import.meta.url));
const REQUESTS = [5, 7, 11];

beforeAll(() => requireBuilt('setup', 'llm'));

describe('llm under node:cluster', () => {
  it('one endpoint with every worker’s requests, exact, before and after a worker dies', async () => {
    const child = spawn(process.execPath, [APP, ...REQUESTS.map(String)], {
      cwd: `${REPO_ROOT}test`,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    const line = (prefix: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${prefix}" line:\n${out}`)), 20_000);
        const check = () => {
          const found = out.split('\n').find((l) => l.startsWith(prefix));
          if (found === undefined) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(found);
        };
        child.stdout.on('data', check);
        check();
      });
    try {
      const url = (await line('ready ')).slice('ready '.length);
      const total = REQUESTS.reduce((a, b) => a + b, 0);
      const check = async (inFlight: number) => {
        const { status, body } = await get(url);
        expect(status).toBe(200);
        const lint = promtoolCheckMetrics(body);
        expect(lint.ok, lint.output).toBe(true);
        expect(sumSamples(body, 'gen_ai_client_operation_duration_seconds_count')).toBe(total);
        expect(
          sumSamples(body, 'gen_ai_client_operation_duration_seconds_count', 'gen_ai_request_model="gpt-4o"'),
        ).toBe(REQUESTS.reduce((a, n) => a + Math.floor(n / 2), 0));
        expect(sumSamples(body, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="input"')).toBe(
          total * 10,
        );
        expect(sumSamples(body, 'gen_ai_client_token_usage_sum', 'gen_ai_token_type="output"')).toBe(
          total * 20,
        );
        // Three chunks a request: two gaps between chunks.
        expect(sumSamples(body, 'gen_ai_client_operation_time_per_output_chunk_seconds_count')).toBe(
          total * 2,
        );
        expect(sumSamples(body, 'tokenmeter_gen_ai_client_active_requests')).toBe(inFlight);
      };
      await check(3);
      child.stdin.write('kill 2\n');
      await line('killed 2');
      await check(2);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
