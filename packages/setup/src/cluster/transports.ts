import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { BroadcastChannel, type Worker as ThreadWorker, threadId } from 'node:worker_threads';
import type { ClusterAggregator } from './cluster-aggregator.js';
import type { UpstreamChannel } from './parent-link.js';
import { isTagged, PROBE, type WireProbe, type WireRequest } from './wire.js';

/** Node publishes every `new Worker()` of this thread here. */
const WORKER_CREATED = 'worker_threads';

/** One channel per thread, so our messages never reach the application's `parentPort` listeners. */
function threadChannelName(id: number): string {
  return `tokenmeter:metrics:thread:${id}`;
}

/**
 * The primary side of `node:cluster`: every worker that says hello is asked
 * at each scrape over the cluster IPC channel; a worker whose channel closes
 * (it exited, was killed or disconnected) leaves. Returns the function that
 * stops listening.
 */
export function listenToClusterWorkers(aggregator: ClusterAggregator): () => void {
  const key = (worker: ClusterWorker) => `cluster:${worker.id}`;
  const sender = (worker: ClusterWorker) => (message: WireRequest | WireProbe) => {
    if (!worker.isConnected()) return false;
    // With a callback, a failed send is reported there instead of as an 'error' event.
    worker.send(message, () => {});
    return true;
  };
  const onMessage = (worker: ClusterWorker, message: unknown) => {
    if (!isTagged(message)) return; // the application's own message
    if (message.type === 'hello') {
      aggregator.join(key(worker), `cluster worker ${worker.id}`, String(worker.id), sender(worker));
    }
    aggregator.receive(key(worker), message);
  };
  const onGone = (worker: ClusterWorker) => aggregator.leave(key(worker));
  cluster.on('message', onMessage);
  cluster.on('disconnect', onGone);
  cluster.on('exit', onGone);
  // Workers forked before this registration said hello to nobody: ask them again.
  for (const worker of Object.values(cluster.workers ?? {})) if (worker) sender(worker)(PROBE);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('disconnect', onGone);
    cluster.off('exit', onGone);
  };
}

/** The way up from a `node:cluster` worker: its IPC channel to the primary. */
export function clusterWorkerChannel(): UpstreamChannel {
  return {
    send: (message) =>
      new Promise((resolve) => {
        if (!process.connected || process.send === undefined) {
          resolve(false);
          return;
        }
        try {
          process.send(message, undefined, undefined, (error) =>
            resolve(error === null || error === undefined),
          );
        } catch {
          resolve(false);
        }
      }),
    listen: (handler) => {
      const onMessage = (message: unknown) => {
        if (isTagged(message)) handler(message);
      };
      process.on('message', onMessage);
      return () => process.off('message', onMessage);
    },
  };
}

/** What {@link listenToWorkerThreads} returns. */
export interface ThreadListener {
  /** Takes in a thread created before the registration (later ones are found by themselves). */
  attach(worker: ThreadWorker): void;
  close(): void;
}

/**
 * The main-thread side of worker threads: every `Worker` this thread creates
 * from now on (and any passed to `attach()`) gets a private BroadcastChannel;
 * a thread that says hello on it is asked at each scrape, and leaves when it
 * exits.
 */
export function listenToWorkerThreads(aggregator: ClusterAggregator): ThreadListener {
  const channels = new Map<ThreadWorker, BroadcastChannel>();
  const attach = (worker: ThreadWorker) => {
    const id = worker.threadId;
    if (channels.has(worker) || id < 0) return; // attached already, or exited
    const channel = new BroadcastChannel(threadChannelName(id));
    channel.unref();
    channels.set(worker, channel);
    const key = `thread:${id}`;
    const send = (message: WireRequest | WireProbe) => {
      try {
        channel.postMessage(message);
        return true;
      } catch {
        return false;
      }
    };
    channel.onmessage = (event) => {
      const message: unknown = (event as MessageEvent).data;
      if (!isTagged(message)) return;
      if (message.type === 'hello') aggregator.join(key, `worker thread ${id}`, `thread-${id}`, send);
      aggregator.receive(key, message);
    };
    worker.once('exit', () => {
      // Messages the thread posted just before it ended are delivered first.
      setImmediate(() => {
        aggregator.leave(key);
        channel.close();
        channels.delete(worker);
      });
    });
    send(PROBE);
  };
  const onCreated = (message: unknown) => {
    const worker = (message as { worker?: ThreadWorker } | undefined)?.worker;
    if (worker) attach(worker);
  };
  subscribe(WORKER_CREATED, onCreated);
  return {
    attach,
    close: () => {
      unsubscribe(WORKER_CREATED, onCreated);
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}

/** The way up from a worker thread: its private channel to the main thread. */
export function workerThreadChannel(): UpstreamChannel {
  const channel = new BroadcastChannel(threadChannelName(threadId));
  channel.unref();
  return {
    send: (message) => {
      try {
        channel.postMessage(message);
        return Promise.resolve(true);
      } catch {
        return Promise.resolve(false);
      }
    },
    listen: (handler) => {
      channel.onmessage = (event) => {
        const message: unknown = (event as MessageEvent).data;
        if (isTagged(message)) handler(message);
      };
      return () => channel.close();
    },
  };
}
