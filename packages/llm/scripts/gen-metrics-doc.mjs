#!/usr/bin/env node
// Writes docs/metrics.md from the instrument definitions table.
// Needs a build of @tokenmeter/llm first: `pnpm exec tsc -b packages/llm && node packages/llm/scripts/gen-metrics-doc.mjs`.
// `--check` exits 1 when the file is stale instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { renderMetricsDoc } = await import(resolve(here, '../dist/metrics-doc.js'));
const target = resolve(here, '../../../docs/metrics.md');
const text = renderMetricsDoc();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('docs/metrics.md is stale: run node packages/llm/scripts/gen-metrics-doc.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
