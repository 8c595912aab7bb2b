/**
 * The contract every integration runs: the same scenarios, the same
 * assertions, over real HTTP against a testkit simulator. An integration's
 * test file supplies an adapter and calls `runIntegrationContract(adapter)`.
 * A separate entry point (`@tokenmeter/testkit/contract`) because it loads vitest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicSimulator } from './anthropic-sim.js';
import { startBedrockSimulator } from './bedrock-sim.js';
import type { ContractTarget, ContractTelemetry, IntegrationAdapter } from './contract-adapter.js';
import { startGoogleSimulator } from './google-sim.js';
import { createTestMeterProvider, type TestMeterProvider } from './meter.js';
import {
  CACHE_WRITE,
  CACHED,
  DURATION,
  ERRORS,
  MISSING,
  REASONING,
  REQUESTS,
  TOKENS,
  TPOC,
  TTFC,
} from './names.js';
import { startOllamaSimulator } from './ollama-sim.js';
import { startOpenAiSimulator } from './openai-sim.js';
import { chunkText } from './script.js';
import type { RunningSimulator } from './server.js';
import { assertWithin, TIMING } from './timing.js';
import {
  expectStreamTimings,
  type SimulatorSuite,
  useAnthropicSimulator,
  useBedrockSimulator,
  useGoogleSimulator,
  useOllamaSimulator,
  useOpenAiSimulator,
} from './vitest-hooks.js';

export * from './contract-adapter.js';

type Simulator = RunningSimulator & { baseURL: string };

/** Each simulator kind, started for a suite and on its own (a refused connection needs one closed). */
const SIMULATORS: Record<
  IntegrationAdapter<unknown>['simulator'],
  { suite: () => SimulatorSuite<Simulator>; start: () => Promise<Simulator> }
> = {
  openai: { suite: useOpenAiSimulator, start: () => startOpenAiSimulator() },
  ollama: { suite: useOllamaSimulator, start: () => startOllamaSimulator() },
  anthropic: { suite: useAnthropicSimulator, start: () => startAnthropicSimulator() },
  google: { suite: useGoogleSimulator, start: () => startGoogleSimulator() },
  bedrock: { suite: useBedrockSimulator, start: () => startBedrockSimulator() },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The text the simulator sends for a reply of `n` chunks. */
const reply = (n: number) => Array.from({ length: n }, (_, i) => chunkText(i)).join('');

/**
 * A stand-in for `LlmMetrics` whose every method throws, and one whose
 * request handles throw from every method: the integration must never let
 * either reach the caller.
 */
function brokenTelemetry(): { throwingMetrics: unknown; throwingHandles: unknown } {
  const bug = (what: string) => () => {
    throw new Error(`telemetry bug: ${what}`);
  };
  const handle = {
    stream: true,
    ended: false,
    chunk: bug('chunk'),
    end: bug('end'),
    fail: bug('fail'),
    abort: bug('abort'),
  };
  const methods = ['startRequest', 'errorType', 'modelLoad', 'trackOperation', 'measure', 'retry'];
  return {
    throwingMetrics: Object.fromEntries(methods.map((m) => [m, bug(m)])),
    throwingHandles: { ...Object.fromEntries(methods.map((m) => [m, bug(m)])), startRequest: () => handle },
  };
}

function isTelemetryBug(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('telemetry bug');
}

/** Registers the contract's scenarios for `adapter` in a `describe` block named after it. */
export function runIntegrationContract<Client>(adapter: IntegrationAdapter<Client>): void {
  describe(`${adapter.name}: integration contract`, () => {
    const sims = SIMULATORS[adapter.simulator];
    const env = sims.suite();
    const x = adapter.expects;
    const operation = x.operation ?? 'chat';
    const finish = x.finishReasons ?? { stop: 'stop', length: 'length' };
    const httpErrorType = x.httpErrorType ?? ((status: number) => String(status));
    const inputAtStart = x.usage.inputAtStart === true;
    /** A scripted model name as this SDK is handed it (and records it). */
    const name = (scripted: string) => adapter.modelName?.(scripted) ?? scripted;
    /** The tokens a stream stopped early records: input ones only where the provider reports them first. */
    const expectStoppedStreamTokens = async (prompt: number) => {
      expect((await t().histogramTotal(TOKENS, { 'gen_ai.token.type': 'output' })).count).toBe(0);
      expect(await env.tokens('input')).toBe(inputAtStart ? prompt : 0);
      expect((await t().histogramTotal(TOKENS)).count).toBe(inputAtStart ? 1 : 0);
    };
    const target = (): ContractTarget => ({ url: env.sim.url, baseURL: env.sim.baseURL, port: env.sim.port });
    const client = (telemetry: Partial<ContractTelemetry> = {}) =>
      adapter.client(target(), { meterProvider: env.t.meterProvider, ...telemetry });
    const t = (): TestMeterProvider => env.t;
    const durations = (match: Record<string, unknown> = {}) => t().histogramTotal(DURATION, match);

    // Warm-up on a throwaway meter: an SDK's first calls load its lazy modules,
    // compile its schemas, open the connection and compile both paths; that
    // one-time cost would land in the first test's timings.
    beforeAll(async () => {
      const warm = adapter.client(target(), { meterProvider: createTestMeterProvider().meterProvider });
      await adapter.generate(warm, name('warm?chunks=1'));
      await adapter.stream(warm, name('warm?chunks=1'));
    });

    it('a non-streamed call: one duration with the request attributes, reported tokens and finish reason, no chunk metrics', async () => {
      const model = name(
        'm?ttft=60&gap=10&chunks=3&prompt=12&completion=9&cached=5&cachewrite=3&reasoning=2&responseModel=m-1',
      );
      expect(await adapter.generate(client(), model)).toBe(reply(3));
      const points = await t().histogram(DURATION);
      expect(points).toHaveLength(1);
      expect(points[0]!.count).toBe(1);
      expect(points[0]!.attributes).toEqual({
        'gen_ai.operation.name': operation,
        'gen_ai.provider.name': x.provider,
        'gen_ai.request.model': model,
        ...(x.responseModelInResult === false ? {} : { 'gen_ai.response.model': 'm-1' }),
        'server.address': '127.0.0.1',
        'server.port': env.sim.port,
      });
      assertWithin(points[0]!.sum, 60 + 2 * 10);
      expect(await env.tokens('input')).toBe(12);
      expect(await env.tokens('output')).toBe(9);
      // Only what the provider reported: details it does not report are never invented.
      expect(await t().sum(CACHED)).toBe(x.usage.cacheRead ? 5 : 0);
      expect(await t().sum(CACHE_WRITE)).toBe(x.usage.cacheWrite ? 3 : 0);
      expect(await t().sum(REASONING)).toBe(x.usage.reasoning ? 2 : 0);
      expect(await t().sum(REQUESTS, { 'tokenmeter.finish_reason': finish.stop })).toBe(1);
      expect(await t().sum(ERRORS)).toBe(0);
      expect(await t().sum(MISSING)).toBe(0);
      expect(await t().histogram(TTFC)).toEqual([]);
      expect(await t().histogram(TPOC)).toEqual([]);
    });

    it('a streamed call: time to first chunk from the call, one gap per later chunk, the duration, tokens and finish reason', async () => {
      const out = await adapter.stream(
        client(),
        name('m?ttft=60&gap=20&chunks=4&prompt=7&finish=length&responseModel=m-2'),
      );
      expect(out.error).toBeUndefined();
      expect(out.texts.join('')).toBe(reply(4));
      await expectStreamTimings(t(), { ttftMs: 60, gapMs: 20, chunks: 4 });
      const d = await t().histogram(DURATION);
      expect(d[0]!.attributes).toMatchObject({
        'gen_ai.provider.name': x.provider,
        'gen_ai.response.model': 'm-2',
        'server.port': env.sim.port,
      });
      expect(await env.tokens('input')).toBe(7);
      expect(await env.tokens('output')).toBe(4);
      expect(await t().sum(REQUESTS, { 'tokenmeter.finish_reason': finish.length })).toBe(1);
      expect(await t().sum(MISSING)).toBe(0);
    });

    it('a call without reported usage records no tokens and counts the missing usage', async () => {
      const c = client();
      expect(await adapter.generate(c, name('m?chunks=2&usage=0'))).toBe(reply(2));
      const out = await adapter.stream(c, name('m?chunks=3&usage=0'));
      expect(out.texts.join('')).toBe(reply(3));
      expect((await t().histogramTotal(TOKENS)).count).toBe(0);
      expect((await durations({ 'error.type': null })).count).toBe(2);
      expect(await t().sum(MISSING, { 'gen_ai.operation.name': operation })).toBe(2);
    });

    if (x.breakStops === 'unreported') {
      it('a break out of the stream is reported by nothing: the chunks before it are recorded, the call never ends', async () => {
        const out = await adapter.stream(client(), name('m?ttft=20&gap=20&chunks=10'), { stopAfter: 3 });
        expect(out.texts).toHaveLength(3);
        expect((await t().histogramTotal(TTFC)).count).toBe(1);
        expect((await t().histogramTotal(TPOC)).count).toBe(2);
        await sleep(100);
        expect(await t().histogram(DURATION)).toEqual([]);
        expect(await t().sum(ERRORS)).toBe(0);
      });
    } else if (x.breakStops) {
      it('a break out of the stream finalises the call once, as aborted, with the chunks received', async () => {
        const out = await adapter.stream(client(), name('m?ttft=20&gap=20&chunks=10&prompt=5'), {
          stopAfter: 3,
        });
        expect(out.texts).toHaveLength(3);
        const d = await durations({ 'error.type': 'aborted' });
        expect(d.count).toBe(1);
        assertWithin(d.sum, 20 + 2 * 20);
        expect((await t().histogramTotal(TTFC)).count).toBe(1);
        expect((await t().histogramTotal(TPOC)).count).toBe(2);
        await sleep(100);
        expect((await durations()).count).toBe(1);
        await expectStoppedStreamTokens(5);
        expect(await t().sum(MISSING)).toBe(0);
        expect(await t().sum(ERRORS, { 'error.type': 'aborted' })).toBe(1);
      });
    } else {
      it('a break out of the stream does not stop the model call: it is recorded complete when the provider finishes', async () => {
        const out = await adapter.stream(client(), name('m?ttft=10&gap=20&chunks=8&prompt=3'), {
          stopAfter: 2,
        });
        expect(out.texts).toHaveLength(2);
        for (let i = 0; i < 50 && (await durations()).count === 0; i++) await sleep(20);
        const d = await durations({ 'error.type': null });
        expect(d.count).toBe(1);
        assertWithin(d.sum, 10 + 7 * 20);
        expect((await t().histogramTotal(TPOC)).count).toBe(7);
        expect(await env.tokens('output')).toBe(8);
      });
    }

    it('an abort mid-stream finalises the call once, as aborted, when it happens', async () => {
      const out = await adapter.stream(client(), name('m?ttft=20&gap=30&chunks=10&prompt=5'), {
        stopAfter: 2,
        stopWith: 'abort',
      });
      // An SDK may still hand out chunks it had already read when the abort came.
      expect(out.texts.length).toBeGreaterThanOrEqual(2);
      expect(out.texts.length).toBeLessThan(10);
      const d = await durations({ 'error.type': 'aborted' });
      expect(d.count).toBe(1);
      assertWithin(d.sum, 20 + 30);
      expect((await t().histogramTotal(TTFC)).count).toBe(1);
      // Every chunk before the abort counts; none the consumer did not get.
      const gaps = (await t().histogramTotal(TPOC)).count;
      expect(gaps).toBeGreaterThanOrEqual(1);
      expect(gaps).toBeLessThanOrEqual(out.texts.length - 1);
      await sleep(100);
      expect((await durations()).count).toBe(1);
      await expectStoppedStreamTokens(5);
      expect(await t().sum(MISSING)).toBe(0);
    });

    it('an HTTP error is one failure with the status as error.type, streamed or not, and no tokens', async () => {
      const c = client();
      await expect(adapter.generate(c, name('m?status=429'))).rejects.toBeDefined();
      const out = await adapter.stream(c, name('m?status=500&errorDelay=40'));
      expect(out.error).toBeDefined();
      expect(out.texts).toEqual([]);
      expect((await durations({ 'error.type': httpErrorType(429) })).count).toBe(1);
      const e500 = await durations({ 'error.type': httpErrorType(500) });
      expect(e500.count).toBe(1);
      assertWithin(e500.sum, 40);
      expect((await durations()).count).toBe(2);
      expect(await t().sum(ERRORS)).toBe(2);
      expect((await t().histogramTotal(TOKENS)).count).toBe(0);
      expect(await t().sum(MISSING)).toBe(0);
    });

    it('a connection cut mid-stream is one failure, after the chunks that arrived', async () => {
      const out = await adapter.stream(client(), name('m?ttft=10&gap=10&chunks=8&cut=3&cutdelay=250'));
      expect(out.texts).toHaveLength(3);
      if (x.cutThrown === false) expect(out.error).toBeUndefined();
      else expect(out.error).toBeDefined();
      const points = await t().histogram(DURATION);
      expect(points).toHaveLength(1);
      expect(points[0]!.count).toBe(1);
      expect(points[0]!.attributes['error.type']).toBe(x.cutErrorType);
      assertWithin(points[0]!.sum, 10 + 2 * 10 + 250);
      expect((await t().histogramTotal(TTFC)).count).toBe(1);
      expect((await t().histogramTotal(TPOC)).count).toBe(2);
    });

    it('a refused connection is one failure', async () => {
      const dead = await sims.start();
      const gone: ContractTarget = { url: dead.url, baseURL: dead.baseURL, port: dead.port };
      await dead.close();
      const c = adapter.client(gone, { meterProvider: t().meterProvider });
      await expect(adapter.generate(c, name('m'))).rejects.toBeDefined();
      expect((await durations({ 'error.type': x.refusedErrorType })).count).toBe(1);
      expect((await durations()).count).toBe(1);
    });

    if (x.abortBeforeResponse) {
      it('an abort before the response is one aborted call, recorded when it happens', async () => {
        const ac = new AbortController();
        const t0 = performance.now();
        let abortedAt = 0;
        setTimeout(() => {
          abortedAt = performance.now();
          ac.abort();
        }, 40);
        const model = name('m?ttft=400');
        await expect(adapter.generate(client(), model, { signal: ac.signal })).rejects.toBeDefined();
        const d = await durations({ 'error.type': 'aborted' });
        expect(d.count).toBe(1);
        // The call started after t0 (a framework may prepare it first) and before the
        // simulator (same process, same clock) received it; it ends at the abort.
        const request = env.sim.requests.findLast((r) => r.model === model && r.receivedAt >= t0);
        const received = Math.min(request?.receivedAt ?? abortedAt, abortedAt);
        expect(d.sum * 1000).toBeGreaterThanOrEqual(abortedAt - received - TIMING.earlyMs);
        expect(d.sum * 1000).toBeLessThanOrEqual(abortedAt - t0 + TIMING.lateMs);
        await sleep(50);
        expect((await durations()).count).toBe(1);
      });
    }

    if (x.timeout) {
      it('a call that times out is one failure with error.type=timeout', async () => {
        await expect(adapter.generate(client(), name('m?ttft=400'), { timeoutMs: 30 })).rejects.toBeDefined();
        expect((await durations({ 'error.type': 'timeout' })).count).toBe(1);
        await sleep(50);
        expect((await durations()).count).toBe(1);
      });
    }

    const tool = x.toolCall;
    if (tool) {
      it('a streamed tool call: its argument fragments are output chunks; its finish reason is recorded', async () => {
        const fragments = 4;
        const out = await adapter.stream(
          client(),
          name(`m?tool=lookup&ttft=40&gap=20&chunks=${fragments}&prompt=9`),
          {
            withTool: true,
          },
        );
        expect(out.error).toBeUndefined();
        const chunks = tool.chunks(fragments);
        expect(out.texts).toHaveLength(chunks);
        const ttft = await t().histogramTotal(TTFC);
        expect(ttft.count).toBe(1);
        assertWithin(ttft.sum, 40);
        expect((await t().histogramTotal(TPOC)).count).toBe(chunks - 1);
        expect((await durations({ 'error.type': null })).count).toBe(1);
        expect(await t().sum(REQUESTS, { 'tokenmeter.finish_reason': tool.finishReason })).toBe(1);
        expect(await env.tokens('input')).toBe(9);
      });
    }

    it('telemetry that throws never breaks a call, streamed or not, nor changes its error', async () => {
      const { throwingMetrics, throwingHandles } = brokenTelemetry();
      for (const llm of [throwingMetrics, throwingHandles]) {
        const c = client({ llm });
        expect(await adapter.generate(c, name('m?chunks=2'))).toBe(reply(2));
        const out = await adapter.stream(c, name('m?chunks=2'));
        expect(out.error).toBeUndefined();
        expect(out.texts.join('')).toBe(reply(2));
        const failed = await adapter.generate(c, name('m?status=429')).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).toBeDefined();
        expect(isTelemetryBug(failed)).toBe(false);
      }
      expect(await t().names()).not.toContain(DURATION);
    });

    const patching = adapter.patching;
    if (patching) {
      it('instruments a client in place, once, and only that client; uninstrumenting restores it', async () => {
        const telemetry = { meterProvider: t().meterProvider };
        const c = patching.plain(target());
        expect(patching.instrument(c, telemetry)).toBe(c);
        expect(patching.instrument(c, telemetry)).toBe(c);
        expect(patching.isInstrumented(c)).toBe(true);
        const other = patching.plain(target());
        expect(patching.isInstrumented(other)).toBe(false);
        const model = name('x?chunks=1');
        await adapter.generate(c, model);
        await adapter.generate(other, model);
        expect((await durations({ 'gen_ai.request.model': model })).count).toBe(1);
        expect(patching.uninstrument(c)).toBe(c);
        expect(patching.isInstrumented(c)).toBe(false);
        await adapter.generate(c, model);
        expect((await durations()).count).toBe(1);
      });
    }
  });
}
