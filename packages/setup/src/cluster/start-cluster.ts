import cluster from 'node:cluster';
import { isMainThread, type Worker as ThreadWorker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { Readers } from '../readers.js';
import type { ResolvedConfig } from '../resolve-config.js';
import { ClusterAggregator } from './cluster-aggregator.js';
import { ClusterPrometheusReader } from './cluster-prometheus-reader.js';
import { ParentLink } from './parent-link.js';
import {
  clusterWorkerChannel,
  listenToClusterWorkers,
  listenToWorkerThreads,
  type ThreadListener,
  workerThreadChannel,
} from './transports.js';

/** What a registration with `cluster` on holds, to stop it. */
export interface ClusterControl {
  /** A worker pushes its final state (within `timeoutMillis`); everyone stops listening. */
  close(timeoutMillis: number): Promise<void>;
}

/** One registration per process listens: two would ask every worker twice and split its answers. */
let active: { threads: ThreadListener | undefined } | undefined;

/**
 * Starts what the role needs: a primary listens to its `node:cluster` workers
 * and worker threads (its Prometheus reader merges them); a worker reports to
 * its primary, or a worker thread to its main thread, after merging its own
 * worker threads if it has any.
 */
export function startCluster(config: ResolvedConfig, readers: Readers): ClusterControl | undefined {
  const { role } = config.cluster;
  if (role === 'off' || config.disabled) return undefined;
  if (active) {
    diag.warn(
      'tokenmeter: another registration in this process already aggregates the cluster; this one does not',
    );
    return undefined;
  }
  if (role === 'primary') {
    const reader = readers.prometheus;
    if (!(reader instanceof ClusterPrometheusReader)) {
      diag.warn(
        'tokenmeter: cluster role "primary" without the prometheus exporter: nothing serves the merged metrics, and the workers are not asked',
      );
      return undefined;
    }
    const stopWorkers =
      cluster.isPrimary && isMainThread ? listenToClusterWorkers(reader.aggregator) : undefined;
    const threads = isMainThread ? listenToWorkerThreads(reader.aggregator) : undefined;
    return hold(threads, () => {
      stopWorkers?.();
      reader.aggregator.close();
    });
  }
  const snapshot = readers.snapshot;
  if (snapshot === undefined) return undefined; // disabled
  // A cluster worker's main thread merges its own threads before it answers.
  const aggregator = isMainThread
    ? new ClusterAggregator({
        cardinalityLimit: config.cardinalityLimit,
        timeoutMillis: Math.max(1, Math.floor(config.cluster.timeoutMillis / 2)),
        maxSeries: config.cluster.maxSeriesPerWorker,
        ownLabel: undefined,
      })
    : undefined;
  const threads = aggregator ? listenToWorkerThreads(aggregator) : undefined;
  const link = new ParentLink(isMainThread ? clusterWorkerChannel() : workerThreadChannel(), async () => {
    const own = (await snapshot.collect()).resourceMetrics;
    // Until a thread joins, this process's own collection is the answer: no merge to pay for.
    return aggregator?.merging ? aggregator.collect(own) : own;
  });
  return hold(threads, () => aggregator?.close(), link);
}

function hold(threads: ThreadListener | undefined, stop: () => void, link?: ParentLink): ClusterControl {
  const mine = { threads };
  active = mine;
  let closing: Promise<void> | undefined;
  return {
    close(timeoutMillis) {
      closing ??= (async () => {
        await link?.close(timeoutMillis);
        threads?.close();
        stop();
        if (active === mine) active = undefined;
      })();
      return closing;
    },
  };
}

/**
 * Merges a worker thread created before `registerMetrics({ cluster })` ran
 * (threads created after it are found by themselves). Returns false, with a
 * diagnostic, when this thread runs no cluster aggregation.
 */
export function attachWorkerThread(worker: ThreadWorker): boolean {
  if (active?.threads === undefined) {
    diag.warn(
      'tokenmeter: attachWorkerThread() does nothing: no registerMetrics({ cluster }) aggregates in this thread',
    );
    return false;
  }
  active.threads.attach(worker);
  return true;
}
