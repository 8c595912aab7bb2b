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
  readonly cb: ServerGaugeCallback;
  readonly node: AttrNode;
}

export class ServerGauges {
  private readonly sources = new Set<Source>();
  private registered = false;

  constructor(
    private readonly ctx: LlmContext,
    private meter: Meter,
  ) {}

  /** Moves the callback to `meter` (whose instruments are now in `ctx.i`). */
  rebind(meter: Meter): void {
    this.meter = meter;
    if (!this.registered) return;
    this.registered = false;
    this.register();
  }

  observe(cb: ServerGaugeCallback, options?: ObserveServerOptions): () => void {
    const { ctx } = this;
    try {
      if (typeof cb !== 'function') {
        ctx.d.warn('invalid-option', 'observeServer() needs a callback; ignored');
        return () => {};
      }
      const o = bag<ObserveServerOptions>(options, 'observeServer() options', ctx);
      const node = ctx.root
        .with(ATTR_GEN_AI_PROVIDER_NAME, ctx.g.provider.bound(o?.provider))
        .with(ATTR_GEN_AI_REQUEST_MODEL, ctx.g.model.bound(o?.requestModel))
        .with(ATTR_TM_WORKER_ID, ctx.g.worker.bound(o?.worker));
      const source: Source = { cb, node };
      this.sources.add(source);
      this.register();
      return () => {
        this.sources.delete(source);
      };
    } catch (err) {
      ctx.d.warn('internal-error', `observeServer(): ${String(err)}`);
      return () => {};
    }
  }

  private register(): void {
    if (this.registered) return;
    this.registered = true;
    const { observableUpDown: u, observableGauge: g } = this.ctx.i;
    this.meter.addBatchObservableCallback(
      (r) => this.collect(r),
      [u.serverWaitingRequests, u.serverRunningRequests, g.serverKvCacheUsage],
    );
  }

  private collect(r: BatchObservableResult): void {
    const { ctx } = this;
    const { observableUpDown: u, observableGauge: g } = ctx.i;
    for (const s of this.sources) {
      let v: ServerGaugeValues | undefined;
      try {
        v = s.cb();
      } catch (err) {
        ctx.d.warn('callback-error', `observeServer() callback threw: ${String(err)}`);
        continue;
      }
      if (v === undefined || v === null || typeof v !== 'object') continue;
      const waiting = count(v.waiting, 'waiting', ctx.d);
      const running = count(v.running, 'running', ctx.d);
      const kv = ratio(v.kvCacheUsage, 'kvCacheUsage', ctx.d);
      if (waiting !== undefined) r.observe(u.serverWaitingRequests, waiting, s.node.attrs);
      if (running !== undefined) r.observe(u.serverRunningRequests, running, s.node.attrs);
      if (kv !== undefined) r.observe(g.serverKvCacheUsage, kv, s.node.attrs);
    }
  }
}
