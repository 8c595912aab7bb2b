import { diag } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { WarnOnce } from '../warn-once.js';
import { sliceLength } from '../yielding.js';
import { CollectionEncoder } from './collection-encoder.js';
import { MergedState } from './merged-state.js';
import { Reporter } from './reporter.js';
import { TAG, WIRE_VERSION, type WireRequest } from './wire.js';

export interface ClusterAggregatorOptions {
  /** Attribute sets per merged metric (N − 1 plus one overflow series). */
  readonly cardinalityLimit: number;
  /** How long one scrape waits for each reporter. */
  readonly timeoutMillis: number;
  /** The most series one reporter's collection may carry. */
  readonly maxSeries: number;
  /**
   * This process's value of `tokenmeter.worker.id` on its own gauges;
   * undefined leaves them unlabelled (a level that reports further up labels them).
   */
  readonly ownLabel: string | undefined;
  /** Samples of slots and merged series per slice of a merge, between event-loop turns (0: one pass). @default 8500 */
  readonly yieldEvery?: number;
}

/** How the aggregator reaches one reporter; `send` returns false when the channel is closed. */
export type SendToReporter = (message: WireRequest) => boolean;

interface Pending {
  readonly id: number;
  readonly done: Promise<void>;
  settle(): void;
}

interface Child {
  /** For diagnostics: "cluster worker 3", "worker thread 7". */
  readonly name: string;
  readonly reporter: Reporter;
  readonly send: SendToReporter;
  pending: Pending | undefined;
  /** It pushed its final state: it will not answer again. */
  finished: boolean;
  /** One diagnostic per kind of trouble, for the life of the reporter. */
  readonly warnings: WarnOnce;
}

/**
 * Merges this process's own collection with those of the processes or
 * threads that report to it. Transports (`node:cluster`, worker threads)
 * tell it who joined, what arrived and who left; at each `collect()` it asks
 * every live reporter in parallel, waits at most `timeoutMillis` for each,
 * and merges whatever it has: a reporter that did not answer, or answered
 * with something malformed, counts with its last good state (so no total
 * steps back), and is named once in a diagnostic.
 */
export class ClusterAggregator {
  private readonly state: MergedState;
  private readonly own: Reporter;
  private readonly ownEncoder = new CollectionEncoder();
  private readonly children = new Map<string, Child>();
  private nextRequest = 0;
  private ownWarned = false;
  private joined = false;
  /**
   * While a merge walks the state, what would change it (a reporter's
   * collection, its leaving) waits here, in order, and is applied as soon as
   * the walk ends: the merge sees the state as it was when it began.
   */
  private held: (() => void)[] | undefined;
  /** The merge in progress (settled when none is): the next one waits for it. */
  private merged: Promise<void> = Promise.resolve();

  constructor(private readonly options: ClusterAggregatorOptions) {
    this.state = new MergedState(options.cardinalityLimit);
    this.own = new Reporter(this.state, options.ownLabel, Number.MAX_SAFE_INTEGER);
  }

  /**
   * True once any reporter joined. From then on its collections must go
   * through `collect()`: what departed reporters left is in the merge, and a
   * level above would see this process's totals drop without it.
   */
  get merging(): boolean {
    return this.joined;
  }

  /**
   * A reporter said hello. `key` is unique per reporter for the life of the
   * transport; `label` becomes its `tokenmeter.worker.id`. A second hello
   * from the same reporter means it started over: it is asked for everything.
   */
  join(key: string, name: string, label: string, send: SendToReporter): void {
    const known = this.children.get(key);
    if (known) {
      known.reporter.needFull = true;
      known.finished = false;
      return;
    }
    this.joined = true;
    this.children.set(key, {
      name,
      reporter: new Reporter(this.state, label, this.options.maxSeries),
      send,
      pending: undefined,
      finished: false,
      warnings: new WarnOnce(),
    });
  }

  /** A tagged message from a reporter: its answer, or its final state. Never throws. */
  receive(key: string, message: { [TAG]: unknown; type?: unknown }): void {
    const child = this.children.get(key);
    if (child === undefined) return; // it never said hello, or it left
    if (message[TAG] !== WIRE_VERSION) {
      this.warn(
        child,
        'version',
        `speaks tokenmeter cluster protocol ${String(message[TAG])}, this process ${WIRE_VERSION} (a different tokenmeter version); its data is left out`,
      );
      return;
    }
    if (message.type === 'hello') return;
    if (message.type === 'final') {
      child.finished = true;
      this.change(() => this.applyFrom(child, message));
      child.pending?.settle();
      return;
    }
    const pending = child.pending;
    // A late answer to a request that timed out: that request already asked for everything again.
    const answers = pending !== undefined && (message as { id?: unknown }).id === pending.id;
    if (message.type !== 'collection') {
      this.warn(
        child,
        'malformed',
        `sent a message of unknown type ${JSON.stringify(message.type)}; it is ignored`,
      );
      if (answers) {
        child.reporter.needFull = true;
        pending.settle();
      }
      return;
    }
    if (!answers) return;
    this.change(() => this.applyFrom(child, message));
    pending.settle();
  }

  /** The reporter is gone: its monotonic totals are kept, its gauges dropped. */
  leave(key: string): void {
    const child = this.children.get(key);
    if (child === undefined) return;
    this.children.delete(key);
    this.change(() => child.reporter.leave());
    child.pending?.settle();
  }

  /**
   * This process's collection merged with every reporter's latest one.
   * Resolves within `timeoutMillis` however the reporters behave.
   */
  async collect(own: ResourceMetrics): Promise<ResourceMetrics> {
    this.change(() => this.applyOwn(own));
    const asks: Promise<void>[] = [];
    for (const child of this.children.values()) if (!child.finished) asks.push(this.ask(child));
    await Promise.all(asks);
    // One merge at a time: the next starts once this one and what it held are done.
    const before = this.merged;
    let finished!: () => void;
    this.merged = new Promise((resolve) => {
      finished = resolve;
    });
    await before;
    const reporters = [this.own, ...[...this.children.values()].map((c) => c.reporter)];
    this.held = [];
    try {
      return await this.state.build(own.resource, reporters, hrTime(), sliceLength(this.options.yieldEvery));
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      for (const change of held) {
        try {
          change();
        } catch (error) {
          // One failed change must not keep the others, or the next merge, waiting.
          diag.error('tokenmeter: a cluster merge update failed', error);
        }
      }
      finished();
    }
  }

  /** Runs `change` to the merged state now, or once the merge in progress has finished its walk. */
  private change(change: () => void): void {
    if (this.held) this.held.push(change);
    else change();
  }

  private applyOwn(own: ResourceMetrics): void {
    const message = this.ownEncoder.encode(own, 'collection', 0, this.own.needFull);
    const rejected = this.own.apply(message);
    if (rejected === undefined) return;
    this.own.needFull = true;
    if (!this.ownWarned) {
      this.ownWarned = true;
      diag.warn(
        `tokenmeter: this process's own metrics could not be merged (${rejected}); serving the last good state`,
      );
    }
  }

  /** Stops waiting for anyone: pending requests settle now. */
  close(): void {
    for (const child of this.children.values()) child.pending?.settle();
  }

  private ask(child: Child): Promise<void> {
    if (child.pending) return child.pending.done; // a concurrent collect() already asked
    const id = ++this.nextRequest;
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(() => {
      if (child.pending?.id !== id) return;
      child.reporter.needFull = true;
      this.warn(
        child,
        'timeout',
        `did not answer within ${this.options.timeoutMillis} ms; its last reported state is served`,
      );
      pending.settle();
    }, this.options.timeoutMillis);
    timer.unref();
    const pending: Pending = {
      id,
      done,
      settle: () => {
        clearTimeout(timer);
        if (child.pending === pending) child.pending = undefined;
        settle();
      },
    };
    child.pending = pending;
    const request: WireRequest = { [TAG]: WIRE_VERSION, type: 'collect', id, full: child.reporter.needFull };
    let sent = false;
    try {
      sent = child.send(request);
    } catch {
      sent = false;
    }
    if (!sent) pending.settle(); // its channel is closed: it is leaving
    return done;
  }

  private applyFrom(child: Child, message: unknown): void {
    let rejected: string | undefined;
    try {
      rejected = child.reporter.apply(message);
    } catch (error) {
      rejected = `could not be applied: ${String(error)}`;
    }
    if (rejected === undefined) return;
    child.reporter.needFull = true;
    this.warn(
      child,
      'malformed',
      `sent a malformed collection (${rejected}); it is skipped and its last good state served`,
    );
  }

  private warn(child: Child, kind: string, text: string): void {
    child.warnings.warn(kind, `tokenmeter: ${child.name} ${text}`);
  }
}
