import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Child-process tests run the built packages, as users do; say how to get them. */
export function requireBuilt(...packages: string[]): void {
  for (const p of packages) {
    const dist = `${REPO_ROOT}packages/${p}/dist/index.js`;
    if (!existsSync(dist))
      throw new Error(`${dist} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  }
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** A plain HTTP GET on loopback; rejects on connection errors and after `timeoutMillis`. */
export function get(
  url: string,
  headers: Record<string, string> = {},
  timeoutMillis = 10_000,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMillis, () =>
      req.destroy(new Error(`GET ${url} timed out after ${timeoutMillis} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

export { closedPort } from '../../packages/setup/test/helpers/ports.js';

/**
 * Sum of every sample of `name` (exact metric name, any labels) in a
 * Prometheus text exposition, optionally only samples whose label text
 * contains `labelFilter`.
 */
export function sumSamples(body: string, name: string, labelFilter?: string): number {
  let total = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter !== undefined && !rest.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Distinct series (label sets) of `name` in an exposition. */
export function seriesOf(body: string, name: string): string[] {
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    out.push(line.slice(name.length, line.lastIndexOf(' ')));
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
