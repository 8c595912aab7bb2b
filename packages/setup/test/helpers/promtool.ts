import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = '/usr/bin/promtool';

/**
 * Runs `promtool check metrics` on an exposition body. Fails loudly, never
 * skips, when promtool is missing: CI installs Debian's `prometheus` package.
 * `ok` is false only when Prometheus would reject the scrape; lint hints are
 * returned in `output` for tests that want none.
 */
export function promtoolCheckMetrics(body: string): { ok: boolean; output: string } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} not found: install Debian's prometheus package (apt-get install -y prometheus); .ci/run does`,
    );
  }
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`;
  // Exit 0: clean; 3: parsed fine but has lint findings (naming hints); 1: Prometheus
  // could not parse it ("error while linting: text format parsing error ...").
  return { ok: result.status === 0 || result.status === 3, output };
}
