/**
 * The price table shipped with this package. Data, not code: every figure is
 * USD per 1M tokens, copied from the pages listed in its entry as they read on
 * the table's date (public pricing pages change without notice; override or
 * replace this table for billing-grade numbers). Few models on purpose: only
 * figures that two sources agree on, or that an official page shows.
 *
 * Rules the figures follow: `cacheRead`/`cacheWrite`/`reasoning` are given only
 * where a source states them (a request with such tokens and no rate is
 * counted as unpriced, not guessed); reasoning tokens are billed at the output
 * rate where the provider says so; Anthropic cache writes are its 5-minute
 * rate (the 1-hour rate is 2x input, and the usage we receive does not tell
 * them apart).
 */
import { type PriceTable, parsePriceTable } from './price-table.js';

const OPENAI_PRICING = [
  'https://chatgptpricing-akr.pages.dev/api-pricing (quotes developers.openai.com/api/docs/pricing)',
  'https://deploybase.ai/articles/openai-pricing ("Data from OpenAI pricing page, March 2026")',
];
const OPENAI_PRIORITY = 'https://openai.com/api-priority-processing/ (official; Priority tier)';
const ANTHROPIC_PRICING =
  'https://docs.anthropic.com/en/docs/about-claude/pricing (official; base input, 5m cache writes, cache hits, output, long context)';
const GEMINI_PRICING = [
  'https://deploybase.ai/articles/gemini-api-pricing ("Data from Google\'s official pricing page (March 2026)")',
  'https://hivebook.wiki/wiki/gemini-2-5-google-s-multimodal-flagship-family ("Thinking tokens are billed at output rates")',
];

export const BUNDLED_PRICES: PriceTable = parsePriceTable(
  {
    date: '2026-12-04',
    currency: 'USD',
    models: [
      // --- OpenAI -----------------------------------------------------------
      {
        provider: 'openai',
        model: 'gpt-4o',
        aliases: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'],
        defaultTier: 'default',
        tiers: {
          default: { input: 2.5, cacheRead: 1.25, output: 10 },
          priority: { input: 4.25, cacheRead: 2.125, output: 17 },
        },
        sources: [...OPENAI_PRICING, OPENAI_PRIORITY],
        note: 'gpt-4o-2024-05-13 is priced differently ($5/$15) and is deliberately not an alias.',
      },
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        aliases: ['gpt-4o-mini-2024-07-18'],
        defaultTier: 'default',
        tiers: {
          default: { input: 0.15, cacheRead: 0.075, output: 0.6 },
          priority: { input: 0.25, cacheRead: 0.125, output: 1 },
        },
        sources: [
          ...OPENAI_PRICING,
          OPENAI_PRIORITY,
          'https://openrouter.ai/openai/gpt-4o-mini-2024-07-18/parameters (the snapshot at $0.15/$0.60)',
        ],
      },
      {
        provider: 'openai',
        model: 'o4-mini',
        defaultTier: 'default',
        tiers: {
          default: { input: 1.1, cacheRead: 0.275, output: 4.4, reasoning: 4.4 },
          priority: { input: 2, cacheRead: 0.5, output: 8, reasoning: 8 },
        },
        sources: [
          'https://deploybase.ai/articles/openai-pricing ("Data from OpenAI pricing page, March 2026": $1.10/$4.40)',
          'https://github.com/RooCodeInc/Roo-Code/pull/2691.patch (2025-04-17, from platform.openai.com/docs/models/o4-mini: cached $0.275)',
          OPENAI_PRIORITY,
        ],
        note: 'Reasoning tokens are output tokens billed at the output rate.',
      },
      {
        provider: 'openai',
        model: 'text-embedding-3-small',
        defaultTier: 'default',
        tiers: { default: { input: 0.02, output: 0 } },
        sources: [
          'https://tokenmath.io/openai-api-pricing-explained ("Verified … Checked Jun 21, 2026")',
          'https://chatgptpricing-akr.pages.dev/api-pricing',
        ],
        note: 'Embeddings have no output tokens.',
      },
      // --- Anthropic ----------------------------------------------------------
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-20250514',
        aliases: ['claude-sonnet-4-0'],
        defaultTier: 'standard',
        tiers: {
          standard: {
            input: 3,
            cacheWrite: 3.75,
            cacheRead: 0.3,
            output: 15,
            longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5 },
          },
        },
        sources: [ANTHROPIC_PRICING],
        note: 'Above 200K input tokens (1M-context beta) the page lists input and output only, so cached tokens there are unpriced.',
      },
      {
        provider: 'anthropic',
        model: 'claude-opus-4-1-20250805',
        aliases: ['claude-opus-4-1'],
        defaultTier: 'standard',
        tiers: { standard: { input: 15, cacheWrite: 18.75, cacheRead: 1.5, output: 75 } },
        sources: [ANTHROPIC_PRICING],
      },
      {
        provider: 'anthropic',
        model: 'claude-3-5-haiku-20241022',
        aliases: ['claude-3-5-haiku-latest'],
        defaultTier: 'standard',
        tiers: { standard: { input: 0.8, cacheWrite: 1, cacheRead: 0.08, output: 4 } },
        sources: [
          ANTHROPIC_PRICING,
          'https://tokenmix.ai/blog/aws-bedrock-pricing (2026-04-10: $0.80 input, direct and on Bedrock)',
        ],
      },
      // --- Google (Gemini Developer API) ---------------------------------------
      {
        provider: 'gcp.gemini',
        model: 'gemini-2.5-flash',
        defaultTier: 'standard',
        tiers: { standard: { input: 0.3, output: 2.5, reasoning: 2.5 } },
        sources: [
          ...GEMINI_PRICING,
          'https://deploybase.ai/articles/gemini-2.5-pricing (2026: $0.30/$2.50)',
          'https://nicolalazzari.ai/articles/gemini-api-pricing-explained-2026 (Gemini Flash $0.30/$2.50; thinking billed as output)',
        ],
        note: 'Text, image and video input; audio input is priced apart and counted as unpriced. Context-cache reads are not in the table (no two sources agree), so cached requests are unpriced.',
      },
      {
        provider: 'gcp.gemini',
        model: 'gemini-2.5-pro',
        defaultTier: 'standard',
        tiers: {
          standard: {
            input: 1.25,
            output: 10,
            reasoning: 10,
            longContext: { aboveInputTokens: 200_000, input: 2.5, output: 15, reasoning: 15 },
          },
        },
        sources: [
          ...GEMINI_PRICING,
          'https://docs.rs/crate/gemini-cost/latest/source/tests/integration.rs ($1.25/$10, $2.50 above 200K)',
        ],
        note: 'Context-cache reads are not in the table, so cached requests are unpriced.',
      },
      // --- Amazon Bedrock (on-demand) -------------------------------------------
      {
        provider: 'aws.bedrock',
        model: 'amazon.nova-micro-v1:0',
        defaultTier: 'standard',
        tiers: { standard: { input: 0.035, output: 0.14 } },
        sources: [
          'https://techdailyfeed.com/understanding-amazon-bedrock-pricing-from-on-demand-to-fine-tuning ($0.000035 / $0.00014 per 1K tokens, from the Bedrock pricing page)',
          'https://pristren.com/blog/amazon-nova-micro-ultra-fast ($0.035 / $0.140 per 1M; model id amazon.nova-micro-v1:0)',
        ],
        note: 'On-demand, in-region model id only: cross-region inference profiles (us.…) are not aliased.',
      },
      {
        provider: 'aws.bedrock',
        model: 'amazon.nova-pro-v1:0',
        defaultTier: 'standard',
        tiers: { standard: { input: 0.8, output: 3.2 } },
        sources: [
          'https://www.swfte.com/de/blog/amazon-nova-pro-pricing ("As of May 2026 … $0.80 … $3.20 per 1M tokens (on-demand)")',
          'https://tokenmix.ai/blog/aws-bedrock-pricing (2026-04-10: Nova Pro $0.80 input)',
          'https://pristren.com/blog/amazon-nova-micro-ultra-fast ($0.800 / $3.200 per 1M)',
        ],
        note: 'On-demand, in-region model id only. Cached input is not in the table (one source), so cached requests are unpriced.',
      },
    ],
  },
  'bundled price table',
);
