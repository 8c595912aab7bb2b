// Regenerates ../fixtures from server-fixtures.ts (Node >= 22.18 strips its types on import).
import { writeFileSync } from 'node:fs';
import {
  openMetricsExposition,
  tgiExposition,
  vllmExposition,
  vllmLegacyExposition,
} from './server-fixtures.ts';

const dir = new URL('../fixtures/', import.meta.url);
writeFileSync(new URL('vllm.prom', dir), vllmExposition(3));
writeFileSync(new URL('vllm-legacy.prom', dir), vllmLegacyExposition(3));
writeFileSync(new URL('tgi.prom', dir), tgiExposition(3));
writeFileSync(new URL('vllm-openmetrics.txt', dir), openMetricsExposition(3));
