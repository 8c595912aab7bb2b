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
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Throws PriceTableError for what is at `path`. */
type Fail = (path: string, what: string) => never;

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
  const table = value as Obj;
  unknownKeys(table, TABLE_KEYS, '', fail);
  const date = table.date;
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
    fail('date', 'must be the date the prices were checked, as YYYY-MM-DD');
  if (table.currency !== 'USD') fail('currency', 'must be "USD" (the cost metrics are in US dollars)');
  if (!Array.isArray(table.models)) fail('models', 'must be an array');
  const seen = new Map<string, string>();
  const models = (table.models as unknown[]).map((raw, i) => {
    const entry = parseModel(raw, `models[${i}]`, fail);
    for (const name of [entry.model, ...(entry.aliases ?? [])]) {
      const key = `${entry.provider}\u0000${name}`;
      const other = seen.get(key);
      if (other !== undefined)
        fail(`models[${i}]`, `prices ${entry.provider} ${name}, which ${other} prices already`);
      seen.set(key, `models[${i}]`);
    }
    return entry;
  });
  return deepFreeze({ date: date as string, currency: 'USD', models });
}

function parseModel(value: unknown, path: string, fail: Fail): ModelPrice {
  if (!isObj(value)) fail(path, 'must be an object { provider, model, defaultTier, tiers }');
  const entry = value as Obj;
  unknownKeys(entry, MODEL_KEYS, path, fail);
  const provider = nonEmpty(entry.provider, `${path}.provider`, fail);
  const model = nonEmpty(entry.model, `${path}.model`, fail);
  const aliases =
    entry.aliases === undefined
      ? undefined
      : strings(entry.aliases, `${path}.aliases`, fail, (alias) => alias !== model);
  const defaultTier = nonEmpty(entry.defaultTier, `${path}.defaultTier`, fail);
  if (!isObj(entry.tiers) || Object.keys(entry.tiers).length === 0)
    fail(`${path}.tiers`, 'must be an object with at least one tier');
  const tiers: Record<string, TierPrices> = {};
  for (const [name, rates] of Object.entries(entry.tiers as Obj)) {
    if (name === '') fail(`${path}.tiers`, 'has a tier with an empty name');
    tiers[name] = parseTier(rates, `${path}.tiers.${name}`, fail);
  }
  if (!(defaultTier in tiers)) fail(`${path}.defaultTier`, `"${defaultTier}" is not one of its tiers`);
  const out: ModelPrice = { provider, model, defaultTier, tiers };
  if (aliases) out.aliases = aliases;
  if (entry.sources !== undefined) out.sources = strings(entry.sources, `${path}.sources`, fail);
  if (entry.note !== undefined) out.note = nonEmpty(entry.note, `${path}.note`, fail);
  return out;
}

function parseTier(value: unknown, path: string, fail: Fail): TierPrices {
  if (!isObj(value)) fail(path, 'must be an object { input, output, … } in USD per 1M tokens');
  const tier = value as Obj;
  unknownKeys(tier, TIER_KEYS, path, fail);
  const out: TierPrices = rates(tier, path, fail);
  if (tier.longContext !== undefined) {
    if (!isObj(tier.longContext))
      fail(`${path}.longContext`, 'must be an object { aboveInputTokens, input, output, … }');
    const longContext = tier.longContext as Obj;
    unknownKeys(longContext, LONG_KEYS, `${path}.longContext`, fail);
    const above = longContext.aboveInputTokens;
    if (typeof above !== 'number' || !Number.isSafeInteger(above) || above <= 0)
      fail(`${path}.longContext.aboveInputTokens`, 'must be a positive integer');
    out.longContext = {
      ...rates(longContext, `${path}.longContext`, fail),
      aboveInputTokens: above as number,
    };
  }
  return out;
}

function rates(object: Obj, path: string, fail: Fail): TokenRates {
  const out: TokenRates = {
    input: rate(object.input, `${path}.input`, fail),
    output: rate(object.output, `${path}.output`, fail),
  };
  for (const key of ['cacheRead', 'cacheWrite', 'reasoning'] as const)
    if (object[key] !== undefined) out[key] = rate(object[key], `${path}.${key}`, fail);
  return out;
}

function rate(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    fail(path, 'must be a finite number >= 0 (US dollars per 1M tokens)');
  return value as number;
}

function nonEmpty(value: unknown, path: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  return value as string;
}

function strings(
  value: unknown,
  path: string,
  fail: Fail,
  ok: (item: string) => boolean = () => true,
): string[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of strings');
  return (value as unknown[]).map((item, i) => {
    const str = nonEmpty(item, `${path}[${i}]`, fail);
    if (!ok(str)) fail(`${path}[${i}]`, 'repeats the model name');
    return str;
  });
}

function unknownKeys(object: Obj, allowed: ReadonlySet<string>, path: string, fail: Fail): void {
  for (const key of Object.keys(object))
    if (!allowed.has(key))
      fail(path ? `${path}.${key}` : key, `is not a price table key (allowed: ${[...allowed].join(', ')})`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
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
    for (const table of tables) {
      for (const entry of table.models) {
        let models = this.byProvider.get(entry.provider);
        if (!models) {
          models = new Map();
          this.byProvider.set(entry.provider, models);
        }
        // An override drops every name of the entry it replaces, so no alias of the old prices survives.
        const old = models.get(entry.model);
        if (old)
          for (const name of [old.model, ...(old.aliases ?? [])])
            if (models.get(name) === old) models.delete(name);
        for (const name of [entry.model, ...(entry.aliases ?? [])]) models.set(name, entry);
      }
    }
    this.dates = tables.map((table) => table.date);
  }

  lookup(provider: unknown, model: unknown): ModelPrice | undefined {
    if (typeof provider !== 'string' || typeof model !== 'string') return undefined;
    return this.byProvider.get(provider)?.get(model);
  }
}
