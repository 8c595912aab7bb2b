import { outsideTolerance, type TestMeterProvider, TIMING } from '@tokenmeter/testkit';
import { expect } from 'vitest';

// Metric names as the GenAI conventions and @tokenmeter/llm's table spell them
// (written out here, not imported from the code under test).
export const DURATION = 'gen_ai.client.operation.duration';
export const TOKENS = 'gen_ai.client.token.usage';
export const TTFC = 'gen_ai.client.operation.time_to_first_chunk';
export const TPOC = 'gen_ai.client.operation.time_per_output_chunk';
export const MISSING = 'tokenmeter.gen_ai.client.usage.missing';
export const CACHED = 'tokenmeter.gen_ai.client.usage.cache_read.input_tokens';
export const REASONING = 'tokenmeter.gen_ai.client.usage.reasoning.output_tokens';

// Tolerances are stated once, in @tokenmeter/testkit's TIMING: a client-measured
// interval within [S - 1, S + 60] ms of the scripted S; a chunk gap within [S - 20, S + 60] ms.
export function expectWithin(seconds: number | undefined, scriptedMs: number): void {
  expect(outsideTolerance(seconds, scriptedMs)).toBeUndefined();
}
export function expectGap(seconds: number | undefined, scriptedMs: number): void {
  expect(outsideTolerance(seconds, scriptedMs, TIMING.gapEarlyMs)).toBeUndefined();
}

/** Reads a `streamText` result's text to the end. */
export async function readText(result: { textStream: AsyncIterable<string> }): Promise<string> {
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return text;
}

/**
 * One streamed call scripted as `ttft=T&gap=G&chunks=N`: one time to first
 * chunk of T, N − 1 gaps of G, one duration of T + (N − 1) × G.
 */
export async function expectStreamTimings(
  t: TestMeterProvider,
  s: { ttftMs: number; gapMs: number; chunks: number },
): Promise<void> {
  const ttft = await t.histogramTotal(TTFC);
  expect(ttft.count).toBe(1);
  expectWithin(ttft.sum, s.ttftMs);
  const gaps = await t.histogramTotal(TPOC);
  expect(gaps.count).toBe(s.chunks - 1);
  expectGap(gaps.min, s.gapMs);
  expectGap(gaps.max, s.gapMs);
  const d = await t.histogramTotal(DURATION);
  expect(d.count).toBe(1);
  expectWithin(d.sum, s.ttftMs + (s.chunks - 1) * s.gapMs);
}
