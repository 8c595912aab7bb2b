/**
 * summarize(): the client, server and training summaries of one collection.
 * Pure; the Snapshotter adds the rates and windows that need an earlier
 * collection, and passes `latencies` to learn every histogram summarised.
 */
import type { Diagnostics } from '../diagnostics.js';
import { definition, type SemconvShape } from '../instruments.js';
import {
  type ClientAccumulator,
  clientHandlers,
  finishClient,
  newClientAccumulator,
} from './client-summary.js';
import { type CollectionLike, isDelta, llmMetrics } from './collection.js';
import type { LatencyTarget, SummariseLatency } from './histogram.js';
import type { ClientSummary, ServerSummary, SnapshotSummaries } from './llm-snapshot.js';
import type { PointHandler } from './points.js';
import { PerModel } from './request-side.js';
import { modelKey, totalKey } from './series-keys.js';
import {
  finishServer,
  newServerAccumulator,
  type ServerAccumulator,
  serverHandlers,
} from './server-summary.js';
import { finishTraining, TrainingRuns, trainingHandlers } from './training-summary.js';

export function summarize(
  collection: CollectionLike,
  shape: SemconvShape,
  diagnostics: Diagnostics,
  latencies?: LatencyTarget[],
): SnapshotSummaries {
  const client = new PerModel<ClientAccumulator>(newClientAccumulator, diagnostics);
  const server = new PerModel<ServerAccumulator>(newServerAccumulator, diagnostics);
  const training = new TrainingRuns();

  // The handlers by the name their instrument has in this shape.
  const byName = new Map<string, PointHandler>();
  for (const [key, handler] of [
    ...clientHandlers(client),
    ...serverHandlers(server, diagnostics),
    ...trainingHandlers(training, diagnostics),
  ]) {
    const def = definition(key);
    if (def.shapes.includes(shape)) byName.set(def.name, handler);
  }

  for (const metric of llmMetrics(collection)) {
    const handler = byName.get(metric.descriptor?.name);
    if (!handler || !Array.isArray(metric.dataPoints)) continue;
    if (isDelta(metric)) {
      diagnostics.warn(
        'snapshot',
        'snapshot() needs a cumulative collection; delta points only cover one interval',
      );
    }
    for (const point of metric.dataPoints) if (point?.attributes) handler(point);
  }

  const summarise: SummariseLatency = (key, histogram) => {
    const out = histogram.summary();
    latencies?.push({ key, histogram, out });
    return out;
  };
  const clientModels: Record<string, ClientSummary> = {};
  for (const [model, accumulator] of client.byModel)
    clientModels[model] = finishClient(accumulator, modelKey('c', model), summarise);
  const serverModels: Record<string, ServerSummary> = {};
  for (const [model, accumulator] of server.byModel)
    serverModels[model] = finishServer(accumulator, modelKey('s', model), summarise);
  const trainingSummaries = [...training.values()].map((accumulator) =>
    finishTraining(accumulator, summarise),
  );
  return {
    client: { total: finishClient(client.total, totalKey('c'), summarise), byModel: clientModels },
    server: { total: finishServer(server.total, totalKey('s'), summarise), byModel: serverModels },
    training: trainingSummaries,
  };
}
