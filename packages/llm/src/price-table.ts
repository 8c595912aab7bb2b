/**
 * Price tables for `tokenmeter.gen_ai.client.cost`: their shape, their
 * validation (a clear typed error at configuration time, never a surprise at
 * record time) and the lookup by exact provider and model.
 */

/** US dollars per million tokens of each type. */
export interface TokenRates {
  /** Input tokens that were neither read from nor written to a prompt cache. */
  input: number;
  /** Output tokens that are not reasoning tokens. */
  output: number;
  /** Input tokens read from the provider's prompt cache. Absent: such tokens make the request unpriced. */
  cacheRead?: number;
  /** Input tokens written to the provider's prompt cache. Absent: such tokens make the request unpriced. */
  cacheWrite?: number;
  /** Reasoning output tokens. Absent: such tokens make the request unpriced. */
  reasoning?: number;
}

/** The rates of one service tier. */
export interface TierPrices extends TokenRates {
  /**
   * Rates for the whole request when its input exceeds `aboveInputTokens`
   * (long-context pricing, e.g. Gemini 2.5 Pro above 200K). Absent: one rate
   * at every size.
   */
  longContext?: TokenRates & { aboveInputTokens: number };
}

/** The prices of one model of one provider. */
export interface ModelPrice {
  /** `gen_ai.provider.name` as the integration reports it (`openai`, `anthropic`, `gcp.gemini`, `aws.bedrock`…). */
  provider: string;
  /** The model name exactly as reported (response model, else request model). */
  model: string;
  /**
   * Other names that have the same prices (dated snapshots such as
   * `gpt-4o-2024-08-06`). Only names listed here match: a snapshot the table
   * does not list is unpriced, because snapshots can be priced differently
   * (`gpt-4o-2024-05-13` costs twice `gpt-4o`).
   */
  aliases?: string[];
  /** The tier that applies when the response reports none (`default` for OpenAI, `standard` for Anthropic). */
  defaultTier: string;
  /** Rates by the service tier name the provider reports. */
  tiers: Record<string, TierPrices>;
  /** Where the figures come from. */
  sources?: string[];
  /** Anything a reader of the table should know about the figures. */
  note?: string;
}

/** A dated price table. */
export interface PriceTable {
  /** When the figures were checked (YYYY-MM-DD). */
  date: string;
  currency: 'USD';
  models: ModelPrice[];
}

/** An invalid price table (from code or from the `TOKENMETER_PRICES` file). */
export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
  constructor(
    message: string,
    /** Where the table came from: `TOKENMETER_PRICES=<path>`, `options.prices.table`… */
    readonly origin: string,
  ) {
    super(`${origin}: ${message}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const RATE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;
const TIER_KEYS: ReadonlySet<string> = new Set([...RATE_KEYS, 'longContext']);
const LONG_KEYS: ReadonlySet<string> = new Set([...RATE_KEYS, 'aboveInputTokens']);
const MODEL_KEYS: ReadonlySet<string> = new Set([
  'provider',
  'model',
  'aliases',
  'defaultTier',
  'tiers',
  'sources',
  'note',
]);
const TABLE_KEYS: ReadonlySet<string> = new Set(['date', 'currency', 'models', '$comment']);

/**
 * Checks a price table and returns a deep-frozen copy; throws
 * `PriceTableError` naming the first problem and where it is. Unknown keys
 * are errors too: a misspelt `cachRead` would otherwise silently unprice
 * every cached request.
 */
export function parsePriceTable(value: unknown, origin = 'price table'): PriceTable {
  const fail = (path: string, what: string): never => {
    throw new PriceTableError(`${path} ${what}`, origin);
  };
  if (!isObj(value)) fail('the table', 'must be an object { date, currency, models }');
  const t = value as Obj;
  unknownKeys(t, TABLE_KEYS, '', fail);
  if (typeof t.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(t.date) || Number.isNaN(Date.parse(t.date)))
    fail('date', 'must be the date the prices were checked, as YYYY-MM-DD');
  if (t.currency !== 'USD') fail('currency', 'must be "USD" (the cost metrics are in US dollars)');
  if (!Array.isArray(t.models)) fail('models', 'must be an array');
  const seen = new Map<string, string>();
  const models = (t.models as unknown[]).map((m, i) => {
    const e = parseModel(m, `models[${i}]`, fail);
    for (const name of [e.model, ...(e.aliases ?? [])]) {
      const key = `${e.provider}\u0000${name}`;
      const other = seen.get(key);
      if (other !== undefined)
        fail(`models[${i}]`, `prices ${e.provider} ${name}, which ${other} prices already`);
      seen.set(key, `models[${i}]`);
    }
    return e;
  });
  return deepFreeze({ date: t.date as string, currency: 'USD', models });
}

function parseModel(v: unknown, path: string, fail: (p: string, w: string) => never): ModelPrice {
  if (!isObj(v)) fail(path, 'must be an object { provider, model, defaultTier, tiers }');
  const m = v as Obj;
  unknownKeys(m, MODEL_KEYS, path, fail);
  const provider = nonEmpty(m.provider, `${path}.provider`, fail);
  const model = nonEmpty(m.model, `${path}.model`, fail);
  const aliases =
    m.aliases === undefined ? undefined : strings(m.aliases, `${path}.aliases`, fail, (s) => s !== model);
  const defaultTier = nonEmpty(m.defaultTier, `${path}.defaultTier`, fail);
  if (!isObj(m.tiers) || Object.keys(m.tiers).length === 0)
    fail(`${path}.tiers`, 'must be an object with at least one tier');
  const tiers: Record<string, TierPrices> = {};
  for (const [name, rates] of Object.entries(m.tiers as Obj)) {
    if (name === '') fail(`${path}.tiers`, 'has a tier with an empty name');
    tiers[name] = parseTier(rates, `${path}.tiers.${name}`, fail);
  }
  if (!(defaultTier in tiers)) fail(`${path}.defaultTier`, `"${defaultTier}" is not one of its tiers`);
  const out: ModelPrice = { provider, model, defaultTier, tiers };
  if (aliases) out.aliases = aliases;
  if (m.sources !== undefined) out.sources = strings(m.sources, `${path}.sources`, fail);
  if (m.note !== undefined) out.note = nonEmpty(m.note, `${path}.note`, fail);
  return out;
}

function parseTier(v: unknown, path: string, fail: (p: string, w: string) => never): TierPrices {
  if (!isObj(v)) fail(path, 'must be an object { input, output, … } in USD per 1M tokens');
  const t = v as Obj;
  unknownKeys(t, TIER_KEYS, path, fail);
  const out: TierPrices = rates(t, path, fail);
  if (t.longContext !== undefined) {
    if (!isObj(t.longContext))
      fail(`${path}.longContext`, 'must be an object { aboveInputTokens, input, output, … }');
    const l = t.longContext as Obj;
    unknownKeys(l, LONG_KEYS, `${path}.longContext`, fail);
    const above = l.aboveInputTokens;
    if (typeof above !== 'number' || !Number.isSafeInteger(above) || above <= 0)
      fail(`${path}.longContext.aboveInputTokens`, 'must be a positive integer');
    out.longContext = { ...rates(l, `${path}.longContext`, fail), aboveInputTokens: above as number };
  }
  return out;
}

function rates(o: Obj, path: string, fail: (p: string, w: string) => never): TokenRates {
  const out: TokenRates = {
    input: rate(o.input, `${path}.input`, fail),
    output: rate(o.output, `${path}.output`, fail),
  };
  for (const k of ['cacheRead', 'cacheWrite', 'reasoning'] as const)
    if (o[k] !== undefined) out[k] = rate(o[k], `${path}.${k}`, fail);
  return out;
}

function rate(v: unknown, path: string, fail: (p: string, w: string) => never): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(path, 'must be a finite number >= 0 (US dollars per 1M tokens)');
  return v as number;
}

function nonEmpty(v: unknown, path: string, fail: (p: string, w: string) => never): string {
  if (typeof v !== 'string' || v.trim() === '') fail(path, 'must be a non-empty string');
  return v as string;
}

function strings(
  v: unknown,
  path: string,
  fail: (p: string, w: string) => never,
  ok: (s: string) => boolean = () => true,
): string[] {
  if (!Array.isArray(v)) fail(path, 'must be an array of strings');
  return (v as unknown[]).map((s, i) => {
    const str = nonEmpty(s, `${path}[${i}]`, fail);
    if (!ok(str)) fail(`${path}[${i}]`, 'repeats the model name');
    return str;
  });
}

function unknownKeys(
  o: Obj,
  allowed: ReadonlySet<string>,
  path: string,
  fail: (p: string, w: string) => never,
): void {
  for (const k of Object.keys(o))
    if (!allowed.has(k))
      fail(path ? `${path}.${k}` : k, `is not a price table key (allowed: ${[...allowed].join(', ')})`);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * Reads and checks a JSON price table file (what `TOKENMETER_PRICES` names).
 * Synchronous on purpose: it runs once, at configuration time, and a bad
 * file must fail there with `PriceTableError`.
 */
export function loadPriceTable(path: string): PriceTable {
  const origin = `TOKENMETER_PRICES=${path}`;
  const fs = (
    globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined
  )?.getBuiltinModule?.('node:fs') as { readFileSync(p: string, enc: 'utf8'): string } | undefined;
  if (!fs) throw new PriceTableError('files cannot be read in this runtime (no node:fs)', origin);
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new PriceTableError(`cannot be read (${(err as Error)?.message ?? String(err)})`, origin);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PriceTableError(`is not valid JSON (${(err as Error)?.message ?? String(err)})`, origin);
  }
  return parsePriceTable(json, origin);
}

/**
 * Prices by exact provider and model name (and the aliases a table lists).
 * Later tables replace the entries of earlier ones for the same provider and
 * model; nothing is matched by prefix or pattern.
 */
export class PriceBook {
  private readonly byProvider = new Map<string, Map<string, ModelPrice>>();
  /** The dates of the tables, oldest layer first. */
  readonly dates: readonly string[];

  constructor(tables: readonly PriceTable[]) {
    for (const t of tables) {
      for (const m of t.models) {
        let models = this.byProvider.get(m.provider);
        if (!models) {
          models = new Map();
          this.byProvider.set(m.provider, models);
        }
        // An override drops every name of the entry it replaces, so no alias of the old prices survives.
        const old = models.get(m.model);
        if (old)
          for (const n of [old.model, ...(old.aliases ?? [])]) if (models.get(n) === old) models.delete(n);
        for (const n of [m.model, ...(m.aliases ?? [])]) models.set(n, m);
      }
    }
    this.dates = tables.map((t) => t.date);
  }

  lookup(provider: unknown, model: unknown): ModelPrice | undefined {
    if (typeof provider !== 'string' || typeof model !== 'string') return undefined;
    return this.byProvider.get(provider)?.get(model);
  }
}
