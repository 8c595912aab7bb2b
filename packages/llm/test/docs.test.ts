import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTS, type InstrumentDefinition, VERSION } from '../src/index.js';
import { renderMetricsDoc } from '../src/metrics-doc.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFS = INSTRUMENTS as readonly InstrumentDefinition[];

describe('docs and definitions', () => {
  it('docs/metrics.md is up to date (run: node packages/llm/scripts/gen-metrics-doc.mjs after a build)', () => {
    const current = readFileSync(resolve(pkg, '../../docs/metrics.md'), 'utf8');
    expect(current).toBe(renderMetricsDoc());
  });

  it('the scope version equals package.json', () => {
    const json = JSON.parse(readFileSync(resolve(pkg, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(json.version);
  });

  it('names follow the semconv rules and ours never squat gen_ai.*', () => {
    const names = DEFS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of DEFS) {
      expect(d.name).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
      if (d.origin === 'tokenmeter') expect(d.name.startsWith('tokenmeter.')).toBe(true);
      else expect(d.name.startsWith(d.group === 'mcp' ? 'mcp.' : 'gen_ai.')).toBe(true);
      expect(d.name).not.toMatch(/_total$/);
      if (d.kind === 'histogram') expect(d.buckets?.length).toBeGreaterThan(0);
    }
    // a metric name must not also be a namespace of another metric
    for (const a of names) for (const b of names) if (a !== b) expect(b.startsWith(`${a}.`)).toBe(false);
  });

  it('README documents every metric of our namespace', () => {
    const readme = readFileSync(resolve(pkg, 'README.md'), 'utf8');
    for (const d of DEFS) if (d.origin === 'tokenmeter') expect(readme, d.name).toContain(d.name);
  });
});
