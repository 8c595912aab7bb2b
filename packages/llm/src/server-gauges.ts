/**
 * Observable server gauges (queue depth, running requests, KV-cache usage)
 * fed by user callbacks. One batch callback per instance reads every
 * registered source once per collection.
 */
import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import type { AttrNode } from './attributes.js';
import type { LlmContext } from './context.js';
import { ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_TM_WORKER_ID } from './semconv.js';
import { bag } from './usage.js';
import { count, ratio } from './validate.js';

export interface ServerGaugeValues {
  /** Requests waiting in the queue. */
  waiting?: number;
  /** Requests being executed. */
  running?: number;
  /** KV-cache usage, 0–1. */
  kvCacheUsage?: number;
}

export interface ObserveServerOptions {
  provider?: string;
  requestModel?: string;
  worker?: string;
}

/**
 * Called at every collection; must be synchronous and fast (a Prometheus
 * scrape waits for it). Return undefined to report nothing this time.
 */
export type ServerGaugeCallback = () => ServerGaugeValues | undefined;

interface Source {
  readonly callback: ServerGaugeCallback;
  readonly node: AttrNode;
}

export class ServerGauges {
  private readonly sources = new Set<Source>();
  private registered = false;

  constructor(
    private readonly ctx: LlmContext,
    private meter: Meter,
  ) {}

  /** Moves the callback to `meter` (whose instruments are now in `ctx.instruments`). */
  rebind(meter: Meter): void {
    this.meter = meter;
    if (!this.registered) return;
    this.registered = false;
    this.register();
  }

  observe(callback: ServerGaugeCallback, options?: ObserveServerOptions): () => void {
    const { ctx } = this;
    try {
      if (typeof callback !== 'function') {
        ctx.diagnostics.warn('invalid-option', 'observeServer() needs a callback; ignored');
        return () => {};
      }
      const given = bag<ObserveServerOptions>(options, 'observeServer() options', ctx);
      const node = ctx.root
        .with(ATTR_GEN_AI_PROVIDER_NAME, ctx.guards.provider.bound(given?.provider))
        .with(ATTR_GEN_AI_REQUEST_MODEL, ctx.guards.model.bound(given?.requestModel))
        .with(ATTR_TM_WORKER_ID, ctx.guards.worker.bound(given?.worker));
      const source: Source = { callback, node };
      this.sources.add(source);
      this.register();
      return () => {
        this.sources.delete(source);
      };
    } catch (err) {
      ctx.diagnostics.warn('internal-error', `observeServer(): ${String(err)}`);
      return () => {};
    }
  }

  private register(): void {
    if (this.registered) return;
    this.registered = true;
    const { observableUpDown, observableGauge } = this.ctx.instruments;
    this.meter.addBatchObservableCallback(
      (result) => this.collect(result),
      [
        observableUpDown.serverWaitingRequests,
        observableUpDown.serverRunningRequests,
        observableGauge.serverKvCacheUsage,
      ],
    );
  }

  private collect(result: BatchObservableResult): void {
    const { ctx } = this;
    const { observableUpDown, observableGauge } = ctx.instruments;
    for (const source of this.sources) {
      let values: ServerGaugeValues | undefined;
      try {
        values = source.callback();
      } catch (err) {
        ctx.diagnostics.warn('callback-error', `observeServer() callback threw: ${String(err)}`);
        continue;
      }
      if (values === undefined || values === null || typeof values !== 'object') continue;
      const waiting = count(values.waiting, 'waiting', ctx.diagnostics);
      const running = count(values.running, 'running', ctx.diagnostics);
      const kvCache = ratio(values.kvCacheUsage, 'kvCacheUsage', ctx.diagnostics);
      const attrs = source.node.attrs;
      if (waiting !== undefined) result.observe(observableUpDown.serverWaitingRequests, waiting, attrs);
      if (running !== undefined) result.observe(observableUpDown.serverRunningRequests, running, attrs);
      if (kvCache !== undefined) result.observe(observableGauge.serverKvCacheUsage, kvCache, attrs);
    }
  }
}
