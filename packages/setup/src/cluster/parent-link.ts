import { diag } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { CollectionEncoder } from './collection-encoder.js';
import { HELLO, TAG, type WireCollection, type WireHello } from './wire.js';

/** The way up to the process or thread that merges this one's metrics. */
export interface UpstreamChannel {
  /** Resolves true once the message is handed over, false when the channel is closed. */
  send(message: WireCollection | WireHello): Promise<boolean>;
  /** Calls `handler` with every tagged message from above; returns a function that stops listening. */
  listen(
    handler: (message: { [TAG]: unknown; type?: unknown; id?: unknown; full?: unknown }) => void,
  ): () => void;
}

/**
 * The reporting side: says hello, answers every `collect` request with a
 * cumulative collection (one at a time, in order), and on `close()` pushes a
 * final one, so the increments since the last scrape are not lost when the
 * process stops on its own terms.
 */
export class ParentLink {
  private readonly encoder = new CollectionEncoder();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly stop: () => void;
  private failed = false;

  constructor(
    private readonly channel: UpstreamChannel,
    private readonly collect: () => Promise<ResourceMetrics>,
  ) {
    this.stop = channel.listen((message) => {
      if (this.closed) return;
      if (message.type === 'probe') void channel.send(HELLO);
      else if (message.type === 'collect' && typeof message.id === 'number') {
        const id = message.id;
        const full = message.full === true;
        this.queue = this.queue.then(() => this.answer('collection', id, full));
      }
    });
    void channel.send(HELLO);
  }

  /** Pushes the final state within `timeoutMillis`, then stops answering. Never rejects. */
  async close(timeoutMillis: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const final = this.queue.then(() => this.answer('final', 0, true));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMillis);
      timer.unref();
    });
    await Promise.race([final, deadline]);
    clearTimeout(timer);
    this.stop();
  }

  private async answer(type: WireCollection['type'], id: number, full: boolean): Promise<void> {
    try {
      const resourceMetrics = await this.collect();
      if (this.closed && type !== 'final') return;
      await this.channel.send(this.encoder.encode(resourceMetrics, type, id, full));
    } catch (error) {
      if (this.failed) return;
      this.failed = true;
      diag.warn(
        'tokenmeter: could not report metrics to the cluster primary; it serves the last state it got',
        error,
      );
    }
  }
}
