/**
 * The options every client integration takes — where to record, and the
 * request attributes a user may need to set — so that `instrumentX(client,
 * options)` reads the same for every SDK.
 */
import type { MeterProvider } from '@opentelemetry/api';
import { createLlmMetrics, type LlmMetrics } from '../index.js';

export interface ClientIntegrationOptions {
  /**
   * The `@tokenmeter/llm` metrics to record through (`createLlmMetrics(...)`).
   * @default createLlmMetrics({ meterProvider })
   */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /** `gen_ai.provider.name`. Each integration documents its default. */
  providerName?: string;
  /** Overrides `server.address` (default: the host the client sends to). */
  serverAddress?: string;
  /** Overrides `server.port` (default: the port the client sends to, or 443 / 80). */
  serverPort?: number;
}

/** The metrics `options` name: `llm`, or new ones on `meterProvider` (the global provider when absent). */
export function metricsOf(options: Pick<ClientIntegrationOptions, 'llm' | 'meterProvider'>): LlmMetrics {
  return (
    options.llm ?? createLlmMetrics(options.meterProvider ? { meterProvider: options.meterProvider } : {})
  );
}
