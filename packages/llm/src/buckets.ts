/**
 * Explicit bucket boundaries passed as `advice.explicitBucketBoundaries`.
 * Without them the SDK uses [0, 5, 10, … 10000], which puts every
 * sub-5-second latency into one bucket.
 */

/** Spec (v1.41) buckets for GenAI durations in seconds. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);

/** Spec (v1.41) buckets for token counts. */
export const TOKEN_BUCKETS: readonly number[] = Object.freeze([
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]);

/** Spec (v1.41) buckets for `gen_ai.server.time_to_first_token`. */
export const TTFT_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
]);

/** Spec (v1.41) buckets for `gen_ai.server.time_per_output_token`. */
export const TPOT_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
]);

/** GenAI repository buckets for `gen_ai.invoke_agent.duration` (agents run for minutes). */
export const AGENT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6,
]);

/** GenAI repository buckets for `gen_ai.invoke_workflow.duration`. */
export const WORKFLOW_DURATION_BUCKETS: readonly number[] = Object.freeze([
  1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200,
]);

/** GenAI repository buckets for `gen_ai.invoke_agent.inference_calls` and `.tool_calls`. */
export const CALL_COUNT_BUCKETS: readonly number[] = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128]);

/** Core v1.41.1 buckets for every `mcp.*.duration`. */
export const MCP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
]);

// --- ours ----------------------------------------------------------------------

/**
 * Pipeline stages (tokenize, serialize, schedule) and generic operations are
 * often sub-millisecond; the spec's 10 ms first bucket would hide them.
 */
export const STAGE_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/** Model loads and training/eval steps can take minutes. */
export const LONG_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68,
  655.36, 1310.72,
]);

/** Batch sizes (requests or sequences per batch). */
export const BATCH_SIZE_BUCKETS: readonly number[] = Object.freeze([
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
]);

/** Ratios in [0, 1] (padding ratio). */
export const RATIO_BUCKETS: readonly number[] = Object.freeze([
  0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
]);

/**
 * Cost of one request in US dollars: 1-3-10 steps from a millionth of a
 * dollar (a short embeddings call) to $10 (a long-context call to a frontier
 * model), so percentiles interpolate within a factor of ~3.
 */
export const COST_BUCKETS: readonly number[] = Object.freeze([
  0.000001, 0.000003, 0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10,
]);
