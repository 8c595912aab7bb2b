/**
 * One ValueGuard per user-controlled attribute dimension of an LlmMetrics
 * instance, so that each dimension is bounded on its own.
 */
import type { Diagnostics } from './diagnostics.js';
import { ValueGuard, type ValueGuardOptions } from './value-guard.js';

export interface Guards {
  readonly model: ValueGuard;
  readonly operation: ValueGuard;
  readonly provider: ValueGuard;
  readonly address: ValueGuard;
  readonly finishReason: ValueGuard;
  readonly errorType: ValueGuard;
  readonly stage: ValueGuard;
  readonly worker: ValueGuard;
  /** Names chosen in code: cache kinds, queues, circuit breakers, measure() names, training runs and phases, agents, tools, workflows, MCP methods. */
  readonly name: ValueGuard;
  /** Service tiers as providers report them. */
  readonly serviceTier: ValueGuard;
}

/** The `createLlmMetrics()` options the guards read (documented there). */
export interface GuardOptions {
  models?: ValueGuardOptions;
  maxDistinctValues?: number;
  maxValueLength?: number;
}

/** Distinct model names kept by default. */
const DEFAULT_MAX_DISTINCT_MODELS = 100;
/** Distinct values kept by default for every other dimension. */
const DEFAULT_MAX_DISTINCT_VALUES = 50;

export function createGuards(options: GuardOptions, diagnostics: Diagnostics): Guards {
  const maxLength = options.maxValueLength;
  const maxDistinct = options.maxDistinctValues;
  const other = (what: string) =>
    new ValueGuard(what, { maxLength, maxDistinct }, DEFAULT_MAX_DISTINCT_VALUES, diagnostics);
  return {
    model: new ValueGuard(
      'model',
      { maxLength, ...options.models },
      DEFAULT_MAX_DISTINCT_MODELS,
      diagnostics,
    ),
    operation: other('operation'),
    provider: other('provider'),
    address: other('serverAddress'),
    finishReason: other('finishReason'),
    errorType: other('error.type'),
    stage: other('stage'),
    worker: other('worker'),
    name: other('name'),
    serviceTier: other('serviceTier'),
  };
}
