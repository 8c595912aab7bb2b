import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_PRICES,
  type ClientRequest,
  type EndInfo,
  type PriceTable,
  PriceTableError,
  parsePriceTable,
} from '../src/index.js';
import { hist, points, type Rig, rig } from './helpers.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A table written for these tests: round rates so the expectations below are computed by hand. */
const ACME: PriceTable = {
  date: '2026-12-01',
  currency: 'USD',
  models: [
    {
      provider: 'acme',
      model: 'acme-large',
      aliases: ['acme-large-2026-01-01'],
      defaultTier: 'standard',
      tiers: {
        standard: {
          input: 2,
          cacheRead: 0.5,
          cacheWrite: 2.5,
          output: 8,
          reasoning: 10,
          longContext: { aboveInputTokens: 10_000, input: 4, cacheRead: 1, output: 12, reasoning: 12 },
        },
        priority: { input: 4, cacheRead: 1, cacheWrite: 5, output: 16, reasoning: 20 },
      },
    },
    {
      provider: 'acme',
      model: 'acme-small',
      defaultTier: 'standard',
      tiers: { standard: { input: 1, output: 2 } },
    },
  ],
};

const onlyAcme = (extra: Parameters<typeof rig>[0] = {}) =>
  rig({ prices: { bundled: false, table: ACME }, ...extra });

const start = (r: Rig, model = 'acme-large', provider = 'acme'): ClientRequest =>
  r.llm.startRequest({ operation: 'chat', provider, requestModel: model });

/** The cost counter's points as { token type/tier → value }. */
async function costParts(r: Rig): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of points(await r.metric('tokenmeter.gen_ai.client.cost'))) {
    const key = `${p.attributes['tokenmeter.cost.token_type']}/${p.attributes['tokenmeter.service_tier']}`;
    out[key] = (out[key] ?? 0) + (p.value as number);
  }
  return out;
}

async function unpriced(r: Rig): Promise<[unknown, unknown, unknown][]> {
  return points(await r.metric('tokenmeter.gen_ai.client.usage.unpriced')).map((p) => [
    p.attributes['tokenmeter.cost.unpriced_reason'],
    p.attributes['tokenmeter.service_tier'],
    p.value,
  ]);
}

// 1200 input tokens of which 200 cache reads and 100 cache writes; 500 output of which 100 reasoning.
const USAGE: EndInfo = {
  inputTokens: 1200,
  cachedInputTokens: 200,
  cacheWriteInputTokens: 100,
  outputTokens: 500,
  reasoningTokens: 100,
};

describe('cost arithmetic', () => {
  it('splits one request into disjoint token types priced at the default tier', async () => {
    const r = onlyAcme();
    start(r).end(USAGE);
    // input: (1200 − 200 − 100) × $2/M = $0.0018; cache_read: 200 × $0.5/M = $0.0001;
    // cache_write: 100 × $2.5/M = $0.00025; output: (500 − 100) × $8/M = $0.0032; reasoning: 100 × $10/M = $0.001.
    const parts = await costParts(r);
    expect(Object.keys(parts).sort()).toEqual([
      'cache_read/standard',
      'cache_write/standard',
      'input/standard',
      'output/standard',
      'reasoning/standard',
    ]);
    expect(parts['input/standard']).toBeCloseTo(0.0018, 12);
    expect(parts['cache_read/standard']).toBeCloseTo(0.0001, 12);
    expect(parts['cache_write/standard']).toBeCloseTo(0.00025, 12);
    expect(parts['output/standard']).toBeCloseTo(0.0032, 12);
    expect(parts['reasoning/standard']).toBeCloseTo(0.001, 12);
    const per = points(await r.metric('tokenmeter.gen_ai.client.operation.cost'));
    expect(per).toHaveLength(1);
    expect(hist(per[0]).count).toBe(1);
    expect(hist(per[0]).sum).toBeCloseTo(0.00635, 12);
    expect(per[0]?.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'acme',
      'gen_ai.request.model': 'acme-large',
      'tokenmeter.service_tier': 'standard',
    });
    expect(await r.metric('tokenmeter.gen_ai.client.usage.unpriced')).toBeUndefined();
  });

  it('prices at the tier the response reports', async () => {
    const r = onlyAcme();
    start(r).end({ ...USAGE, serviceTier: 'priority' });
    // Every priority rate is twice the standard one: 900×4 + 200×1 + 100×5 + 400×16 + 100×20 = 12,700 µ$.
    const parts = await costParts(r);
    expect(parts['input/priority']).toBeCloseTo(0.0036, 12);
    expect(parts['cache_read/priority']).toBeCloseTo(0.0002, 12);
    expect(parts['cache_write/priority']).toBeCloseTo(0.0005, 12);
    expect(parts['output/priority']).toBeCloseTo(0.0064, 12);
    expect(parts['reasoning/priority']).toBeCloseTo(0.002, 12);
    expect(hist(points(await r.metric('tokenmeter.gen_ai.client.operation.cost'))[0]).sum).toBeCloseTo(
      0.0127,
      12,
    );
  });

  it('applies long-context rates to the whole request above the threshold, and only above it', async () => {
    const r = onlyAcme();
    start(r).end({ inputTokens: 10_000, outputTokens: 1000 }); // at the threshold: base rates
    start(r).end({ inputTokens: 20_000, cachedInputTokens: 5000, outputTokens: 1000 });
    const sums = points(await r.metric('tokenmeter.gen_ai.client.operation.cost'));
    // base: 10,000×$2 + 1000×$8 = $0.028; long: 15,000×$4 + 5000×$1 + 1000×$12 = $0.077.
    expect(hist(sums[0]).sum).toBeCloseTo(0.028 + 0.077, 12);
    expect(hist(sums[0]).count).toBe(2);
  });

  it('prices a failed call that reported usage, with error.type on the per-request histogram', async () => {
    const r = onlyAcme();
    start(r, 'acme-small').fail(Object.assign(new Error('cut'), { status: 500 }), {
      inputTokens: 300,
      outputTokens: 50,
    });
    const per = points(await r.metric('tokenmeter.gen_ai.client.operation.cost'));
    expect(per[0]?.attributes['error.type']).toBe('500');
    // 300 × $1/M + 50 × $2/M = $0.0004
    expect(hist(per[0]).sum).toBeCloseTo(0.0004, 12);
    expect(
      points(await r.metric('tokenmeter.gen_ai.client.cost')).every((p) => !('error.type' in p.attributes)),
    ).toBe(true);
  });

  it('looks up the response model first, then the request model; aliases only where listed', async () => {
    const r = onlyAcme();
    start(r, 'acme').end({ responseModel: 'acme-large-2026-01-01', inputTokens: 1000, outputTokens: 0 });
    start(r, 'acme-large').end({ responseModel: 'acme-large-2027-01-01', inputTokens: 1000 });
    start(r, 'acme-small').end({ inputTokens: 1000 });
    expect(
      hist(
        points(await r.metric('tokenmeter.gen_ai.client.operation.cost')).find(
          (p) => p.attributes['gen_ai.response.model'] === 'acme-large-2026-01-01',
        ),
      ).sum,
    ).toBeCloseTo(0.002, 12);
    // An unlisted snapshot is not priced as its family: it may cost something else.
    expect(await unpriced(r)).toEqual([['model', undefined, 1]]);
  });

  it('records the same cost in both shapes', async () => {
    for (const semconv of ['v1.41', 'latest_experimental'] as const) {
      const r = onlyAcme({ semconv });
      start(r).end(USAGE);
      expect(
        hist(points(await r.metric('tokenmeter.gen_ai.client.operation.cost'))[0]).sum,
        semconv,
      ).toBeCloseTo(0.00635, 12);
    }
  });

  it('the bundled table prices gpt-4o-mini with cached input (hand-computed)', async () => {
    const r = rig();
    r.llm.startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini' }).end({
      responseModel: 'gpt-4o-mini-2024-07-18',
      inputTokens: 1000,
      cachedInputTokens: 400,
      outputTokens: 200,
      reasoningTokens: 0,
      serviceTier: 'default',
    });
    // 600 × $0.15/M + 400 × $0.075/M + 200 × $0.60/M = $0.00024
    expect(hist(points(await r.metric('tokenmeter.gen_ai.client.operation.cost'))[0]).sum).toBeCloseTo(
      0.00024,
      12,
    );
    expect(r.llm.priceDates).toEqual([BUNDLED_PRICES.date]);
  });
});

describe('unpriced requests', () => {
  it('counts them by reason and records no cost', async () => {
    const r = onlyAcme();
    start(r, 'unknown-model').end({ inputTokens: 10, outputTokens: 1 });
    start(r).end({ inputTokens: 10, outputTokens: 1, serviceTier: 'flex' });
    start(r, 'acme-small').end({ inputTokens: 10, cachedInputTokens: 5, outputTokens: 1 });
    r.llm
      .startRequest({ operation: 'chat', provider: 'acme', requestModel: 'acme-small', modality: 'audio' })
      .end({ inputTokens: 10, outputTokens: 1 });
    start(r).end({ inputTokens: 10, cachedInputTokens: 20, outputTokens: 1 });
    start(r).end({ inputTokens: 10, outputTokens: 1, reasoningTokens: 2 });
    const byReason = Object.fromEntries(
      (await unpriced(r)).map(([reason, tier, n]) => [String(reason), [tier, n]]),
    );
    expect(byReason).toEqual({
      model: [undefined, 1],
      modality: ['standard', 1],
      tier: ['flex', 1],
      token_type: ['standard', 1],
      usage: ['standard', 2],
    });
    expect(await r.metric('tokenmeter.gen_ai.client.cost')).toBeUndefined();
    expect(await r.metric('tokenmeter.gen_ai.client.operation.cost')).toBeUndefined();
  });

  it('a call without usage is neither priced nor unpriced (usage.missing counts it)', async () => {
    const r = onlyAcme();
    start(r).end();
    start(r).fail(new Error('x'));
    const names = await r.names();
    expect(names).not.toContain('tokenmeter.gen_ai.client.usage.unpriced');
    expect(names).not.toContain('tokenmeter.gen_ai.client.cost');
    expect(names).toContain('tokenmeter.gen_ai.client.usage.missing');
  });

  it('prices: false records no cost instrument at all', async () => {
    const r = rig({ prices: false });
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .end({ inputTokens: 5, outputTokens: 5 });
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'nope' })
      .end({ inputTokens: 5 });
    expect((await r.names()).filter((n) => n.includes('cost') || n.includes('unpriced'))).toEqual([]);
    expect(r.llm.priceDates).toEqual([]);
  });
});

describe('price tables: TOKENMETER_PRICES and code', () => {
  it('a TOKENMETER_PRICES file replaces bundled entries and adds models; a table in code goes over both', async () => {
    const env = { TOKENMETER_PRICES: resolve(FIXTURES, 'prices-override.json') };
    const r = rig({ env });
    expect(r.llm.priceDates).toEqual([BUNDLED_PRICES.date, '2026-11-30']);
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o' })
      .end({ inputTokens: 1000, outputTokens: 100 });
    r.llm
      .startRequest({ operation: 'chat', provider: 'acme', requestModel: 'acme-1' })
      .end({ inputTokens: 1000, outputTokens: 100 });
    // The file's gpt-4o lists no aliases: the bundled alias went with the bundled entry.
    r.llm
      .startRequest({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-2024-08-06' })
      .end({ inputTokens: 1 });
    const byModel = Object.fromEntries(
      points(await r.metric('tokenmeter.gen_ai.client.operation.cost')).map((p) => [
        p.attributes['gen_ai.request.model'],
        hist(p).sum,
      ]),
    );
    // gpt-4o at the file's $3/$12: 1000×3 + 100×12 = $0.0042; acme-1: 1000×1 + 100×2 = $0.0012.
    expect(byModel['gpt-4o']).toBeCloseTo(0.0042, 12);
    expect(byModel['acme-1']).toBeCloseTo(0.0012, 12);
    expect(await unpriced(r)).toEqual([['model', undefined, 1]]);

    const layered = rig({
      env,
      prices: {
        table: {
          ...ACME,
          models: [
            { provider: 'acme', model: 'acme-1', defaultTier: 's', tiers: { s: { input: 10, output: 10 } } },
          ],
        },
      },
    });
    layered.llm
      .startRequest({ operation: 'chat', provider: 'acme', requestModel: 'acme-1' })
      .end({ inputTokens: 1000 });
    expect(hist(points(await layered.metric('tokenmeter.gen_ai.client.operation.cost'))[0]).sum).toBeCloseTo(
      0.01,
      12,
    );
    // fromEnv: false ignores the variable.
    expect(rig({ env, prices: { fromEnv: false } }).llm.priceDates).toEqual([BUNDLED_PRICES.date]);
  });

  it('an invalid file or table throws PriceTableError at configuration time, naming what and where', () => {
    const bad = (name: string) => () => rig({ env: { TOKENMETER_PRICES: resolve(FIXTURES, name) } });
    expect(bad('prices-typo.json')).toThrow(PriceTableError);
    expect(bad('prices-typo.json')).toThrow(
      /TOKENMETER_PRICES=.*prices-typo\.json: models\[0\]\.tiers\.default\.cachRead is not a price table key/,
    );
    expect(bad('prices-not-json.json')).toThrow(/is not valid JSON/);
    expect(bad('no-such-file.json')).toThrow(/cannot be read/);
    const table = (t: unknown) => () => rig({ prices: { table: t as PriceTable } });
    expect(table({ ...ACME, currency: 'EUR' })).toThrow(/currency must be "USD"/);
    expect(table({ ...ACME, date: 'yesterday' })).toThrow(/date must be/);
    expect(table({ ...ACME, models: [{ ...ACME.models[0], defaultTier: 'gold' }] })).toThrow(
      /defaultTier "gold" is not one of its tiers/,
    );
    expect(
      table({
        ...ACME,
        models: [{ provider: 'a', model: 'm', defaultTier: 's', tiers: { s: { input: -1, output: 1 } } }],
      }),
    ).toThrow(/models\[0\]\.tiers\.s\.input must be a finite number >= 0/);
    expect(table({ ...ACME, models: [ACME.models[1], ACME.models[1]] })).toThrow(
      /prices acme acme-small, which models\[0\] prices already/,
    );
    const err = (() => {
      try {
        table({ ...ACME, models: 'x' })();
      } catch (e) {
        return e;
      }
    })() as PriceTableError;
    expect(err).toBeInstanceOf(PriceTableError);
    expect(err.name).toBe('PriceTableError');
    expect(err.origin).toBe('createLlmMetrics({ prices: { table } })');
  });

  it('the bundled table is valid, dated, and every entry says where its figures come from', () => {
    expect(parsePriceTable(BUNDLED_PRICES)).toEqual(BUNDLED_PRICES);
    expect(BUNDLED_PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.isFrozen(BUNDLED_PRICES.models[0]?.tiers)).toBe(true);
    for (const m of BUNDLED_PRICES.models)
      expect(m.sources?.length, `${m.provider} ${m.model}`).toBeGreaterThan(0);
    const providers = new Set(BUNDLED_PRICES.models.map((m) => m.provider));
    expect([...providers].sort()).toEqual(['anthropic', 'aws.bedrock', 'gcp.gemini', 'openai']);
  });
});

describe('snapshot()', () => {
  it('reports cost since start and cost-per-request percentiles by model', async () => {
    const r = onlyAcme();
    for (let i = 0; i < 4; i++) start(r, 'acme-small').end({ inputTokens: 1000, outputTokens: 0 }); // $0.001 each
    const s = await r.llm.snapshot();
    expect(s.client.byModel['acme-small']?.costUsd).toBeCloseTo(0.004, 12);
    expect(s.client.total.costPerRequest.count).toBe(4);
    expect(s.client.total.costPerRequest.mean).toBeCloseTo(0.001, 12);
    expect(s.client.total.costPerRequest.p50).toBeCloseTo(0.001, 12);
  });
});
