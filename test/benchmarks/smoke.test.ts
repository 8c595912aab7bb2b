import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Keeps `pnpm bench` from rotting: every benchmark runs once in --quick mode and
// must finish and print its tables. Nothing here judges speed: quick rounds on a
// busy test machine say nothing about it (that is `pnpm bench`'s job, on a quiet one).
const root = fileURLToPath(new URL('../..', import.meta.url));
const built =
  existsSync(`${root}packages/llm/dist/index.js`) && existsSync(`${root}packages/openai/dist/index.js`);

// Needs the build (`pnpm build`, which `pnpm test` runs first): the benchmarks import the packages' dist.
describe.skipIf(!built)('pnpm bench --quick', () => {
  it('runs every benchmark to the end and prints each table and the targets', () => {
    const r = spawnSync(process.execPath, ['benchmarks/run.js', '--quick', '--no-write'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 16 << 20,
    });
    expect(r.status, r.stderr).toBe(0);
    for (const heading of [
      '## 1. One client request recorded',
      '## 2. Stream wrapper overhead per chunk',
      '## 3. Scrape: render time, bytes, event-loop block',
      '## 4. Memory per active series',
      '## 5. GPU sweep: NVML via FFI vs nvidia-smi spawn',
      '## 6. Cold start',
      '## 7. Merged cluster scrape',
    ]) {
      expect(r.stdout, heading).toContain(heading);
    }
    const targets = r.stdout.slice(r.stdout.lastIndexOf('\nTargets\n'));
    expect(targets).toMatch(/\| One client request recorded .*\| (yes|\*\*no\*\*) \|/);
    expect(targets).toMatch(/\| Stream wrapper overhead per chunk .*\| (yes|\*\*no\*\*) \|/);
    // A figure that failed to compute prints as NaN or undefined: the run went wrong even if it exited 0.
    expect(r.stdout).not.toMatch(/NaN|undefined/);
  }, 150_000);
});
