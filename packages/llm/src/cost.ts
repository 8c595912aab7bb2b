/**
 * Cost of a request: provider-reported token counts × the price table, split
 * into disjoint token types so the parts add up to the request's cost.
 * Nothing is estimated: a request the table cannot price completely gets no
 * cost and one `tokenmeter.gen_ai.client.usage.unpriced` increment instead.
 */
import type { AttrNode } from './attributes.js';
import type { InstrumentSet } from './instrument-set.js';
import type { ModelPrice, PriceBook, TokenRates } from './price-table.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_TM_COST_TOKEN_TYPE,
  ATTR_TM_COST_UNPRICED_REASON,
  ATTR_TM_SERVICE_TIER,
  COST_TOKEN_TYPES,
  type UnpricedReason,
} from './semconv.js';
import type { ValueGuard } from './value-guard.js';

/** Validated token counts of one request (undefined: not reported). */
export interface UsageCounts {
  input: number | undefined;
  output: number | undefined;
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  reasoning: number | undefined;
}

/** What identifies the price of a request, as reported (not yet bounded for attributes). */
export interface PriceKey {
  provider: unknown;
  /** The response model when reported, else the request model. */
  model: unknown;
  tier: string | undefined;
  modality: string;
}

const PER_TOKEN = 1 / 1_000_000;

/**
 * Prices requests against one PriceBook and records the result. One per
 * LlmMetrics instance; `parts` is its scratch space (the record path is
 * synchronous, so no two requests share it at once).
 */
export class CostRecorder {
  private readonly parts = new Float64Array(COST_TOKEN_TYPES.length);
  private readonly tokens = new Float64Array(COST_TOKEN_TYPES.length);

  constructor(
    readonly book: PriceBook,
    /** Bounds `tokenmeter.service_tier`. */
    private readonly serviceTiers: ValueGuard,
  ) {}

  /**
   * Records the cost of `usage` on `node` (the request's attributes with its
   * response model), or one unpriced increment, on `instruments` (the
   * instance's current set). `errorType` goes on the per-request histogram
   * of a failed call.
   */
  record(
    instruments: InstrumentSet,
    node: AttrNode,
    key: PriceKey,
    usage: UsageCounts,
    errorType: string | undefined,
  ): void {
    if (usage.input === undefined && usage.output === undefined) return;
    const guard = this.serviceTiers;
    const entry = this.book.lookup(key.provider, key.model);
    let tier = guard.bound(key.tier);
    let reason: UnpricedReason | undefined = 'model';
    if (entry) {
      const tierName = key.tier ?? entry.defaultTier;
      if (key.tier === undefined) tier = guard.bound(tierName);
      reason = this.price(entry, tierName, key.modality, usage);
    }
    if (reason !== undefined) {
      node
        .with(ATTR_TM_SERVICE_TIER, tier)
        .with(ATTR_TM_COST_UNPRICED_REASON, reason)
        .add(instruments.counter.clientUsageUnpriced, 1);
      return;
    }
    const tiered = node.with(ATTR_TM_SERVICE_TIER, tier);
    const counter = instruments.counter.clientCost;
    const { tokens, parts } = this;
    let total = 0;
    for (let i = 0; i < COST_TOKEN_TYPES.length; i++) {
      if (tokens[i] === 0) continue;
      tiered.with(ATTR_TM_COST_TOKEN_TYPE, COST_TOKEN_TYPES[i]).add(counter, parts[i] as number);
      total += parts[i] as number;
    }
    tiered.with(ATTR_ERROR_TYPE, errorType).record(instruments.histogram.clientOperationCost, total);
  }

  /**
   * Fills `tokens` and `parts` (in the order of COST_TOKEN_TYPES: input,
   * cache_read, cache_write, output, reasoning) and returns undefined, or
   * returns why the usage cannot be priced.
   */
  private price(
    entry: ModelPrice,
    tierName: string,
    modality: string,
    usage: UsageCounts,
  ): UnpricedReason | undefined {
    const prices = Object.hasOwn(entry.tiers, tierName) ? entry.tiers[tierName] : undefined;
    if (!prices) return 'tier';
    if (modality === 'audio') return 'modality';
    const input = usage.input ?? 0;
    const output = usage.output ?? 0;
    const cacheRead = usage.cacheRead ?? 0;
    const cacheWrite = usage.cacheWrite ?? 0;
    const reasoning = usage.reasoning ?? 0;
    if (cacheRead + cacheWrite > input || reasoning > output) return 'usage';
    const long = prices.longContext;
    const applied: TokenRates = long !== undefined && input > long.aboveInputTokens ? long : prices;
    const { tokens, parts } = this;
    tokens[0] = input - cacheRead - cacheWrite;
    tokens[1] = cacheRead;
    tokens[2] = cacheWrite;
    tokens[3] = output - reasoning;
    tokens[4] = reasoning;
    const rates = [
      applied.input,
      applied.cacheRead,
      applied.cacheWrite,
      applied.output,
      applied.reasoning,
    ] as const;
    for (let i = 0; i < COST_TOKEN_TYPES.length; i++) {
      const tokenCount = tokens[i] as number;
      const rate = rates[i];
      if (tokenCount === 0) parts[i] = 0;
      else if (rate === undefined) return 'token_type';
      else parts[i] = tokenCount * rate * PER_TOKEN;
    }
    return undefined;
  }
}
