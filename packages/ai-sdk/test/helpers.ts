import { assertGap, assertWithin, DURATION, type TestMeterProvider, TPOC, TTFC } from '@tokenmeter/testkit';
import { expect } from 'vitest';

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
  assertWithin(ttft.sum, s.ttftMs);
  const gaps = await t.histogramTotal(TPOC);
  expect(gaps.count).toBe(s.chunks - 1);
  assertGap(gaps.min, s.gapMs);
  assertGap(gaps.max, s.gapMs);
  const d = await t.histogramTotal(DURATION);
  expect(d.count).toBe(1);
  assertWithin(d.sum, s.ttftMs + (s.chunks - 1) * s.gapMs);
}
