/**
 * Vitest helpers for the integration suites: one simulator per test file, a
 * fresh MeterProvider per test, and the timing checks of a streamed call. A separate entry point
 * (`@tokenmeter/testkit/vitest`) so the demo, which runs the simulators,
 * never loads vitest.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from './anthropic-sim.js';
import { type BedrockSimulator, startBedrockSimulator } from './bedrock-sim.js';
import { type GoogleSimulator, startGoogleSimulator } from './google-sim.js';
import { createTestMeterProvider, type TestMeterProvider } from './meter.js';
import { DURATION, TOKENS, TPOC, TTFC } from './names.js';
import { type OllamaSimulator, startOllamaSimulator } from './ollama-sim.js';
import { type OpenAiSimulator, startOpenAiSimulator } from './openai-sim.js';
import { assertGap, assertWithin } from './timing.js';

export interface SimulatorSuite<S> {
  /** The file's simulator (started in beforeAll). */
  readonly sim: S;
  /** This test's MeterProvider (new in beforeEach, shut down in afterEach). */
  readonly t: TestMeterProvider;
  /** Sum of `gen_ai.client.token.usage` of one token type in this test. */
  tokens(type: 'input' | 'output'): Promise<number>;
}

function suite<S extends { close(): Promise<void> }>(start: () => Promise<S>): SimulatorSuite<S> {
  let sim: S | undefined;
  let t: TestMeterProvider | undefined;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(() => sim?.close());
  beforeEach(() => {
    t = createTestMeterProvider();
  });
  afterEach(() => t?.shutdown());
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is only available inside a test`);
    return v;
  };
  return {
    get sim() {
      return need(sim, 'sim');
    },
    get t() {
      return need(t, 't');
    },
    async tokens(type) {
      return (await need(t, 't').histogramTotal(TOKENS, { 'gen_ai.token.type': type })).sum;
    },
  };
}

export const useOpenAiSimulator = (): SimulatorSuite<OpenAiSimulator> => suite(() => startOpenAiSimulator());
export const useOllamaSimulator = (): SimulatorSuite<OllamaSimulator> => suite(() => startOllamaSimulator());
export const useAnthropicSimulator = (): SimulatorSuite<AnthropicSimulator> =>
  suite(() => startAnthropicSimulator());
export const useGoogleSimulator = (): SimulatorSuite<GoogleSimulator> => suite(() => startGoogleSimulator());
export const useBedrockSimulator = (): SimulatorSuite<BedrockSimulator> =>
  suite(() => startBedrockSimulator());

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
