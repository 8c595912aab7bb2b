import { type DiagLogger, diag, type MeterProvider, metrics } from '@opentelemetry/api';
import { createLlmMetrics, type LlmMetrics, type TrainingRun } from '@tokenmeter/llm';
import { finiteNumber, isObject, type UnknownRecord } from '@tokenmeter/llm/integration';

export interface TfjsCallbackOptions {
  /** The `@tokenmeter/llm` metrics to record through. @default createLlmMetrics({ meterProvider }) */
  llm?: LlmMetrics;
  /** Used to create `llm` when it is not given. @default the global MeterProvider */
  meterProvider?: MeterProvider;
  /** Record into this run (e.g. one run across several `fit()` calls). @default llm.training({ runName, model: modelName }) */
  run?: TrainingRun;
  /** `tokenmeter.training.run`: a short run name. @default omitted */
  runName?: string;
  /** `tokenmeter.training.model`: the model's name. @default omitted */
  modelName?: string;
  /**
   * The model being trained, to read `model.optimizer.learningRate` at every
   * step (every built-in tfjs optimizer has it). tfjs does not hand the model
   * to a `CustomCallback`. @default none
   */
  model?: object;
  /** Learning rate per step: a number or a function returning one. Wins over `model`. @default from `model` */
  learningRate?: number | (() => number | undefined);
  /** Tokens per sample, for sequence models with a fixed length: tokens = samples × this. @default none (no token count) */
  tokensPerSample?: number;
  /** Pass the batch logs' other metrics and `val_*` metrics to `step()`/`eval()` as `metrics`. @default true */
  metrics?: boolean;
}

/** Batch/epoch logs as tfjs hands them to a `CustomCallback` (scalars already resolved to numbers). */
export type Logs = Record<string, unknown>;

/**
 * The callback: a `CustomCallbackArgs` object, so it works with
 * `@tensorflow/tfjs`, `@tensorflow/tfjs-node` and `@tensorflow/tfjs-layers`
 * without importing any of them. Pass it in `callbacks` (alone or in an array
 * of plain callback objects), or wrap it: `new tf.CustomCallback(cb)`.
 */
export interface TfjsTrainingCallback {
  onTrainBegin(logs?: Logs): void;
  onEpochBegin(epoch: number, logs?: Logs): void;
  onBatchBegin(batch: number, logs?: Logs): void;
  onBatchEnd(batch: number, logs?: Logs): void;
  onEpochEnd(epoch: number, logs?: Logs): void;
  /** The run the steps are recorded into. */
  readonly run: TrainingRun;
}

let logger: DiagLogger | undefined;
function guard(where: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    try {
      logger ??= diag.createComponentLogger({ namespace: '@tokenmeter/tfjs' });
      logger.warn(`telemetry error in ${where} (training is unaffected)`, error);
    } catch {
      // never let reporting break training
    }
  }
}

const posInt = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : undefined;

/** Keys of the batch logs that are not metrics. */
const NOT_METRICS = new Set(['batch', 'size', 'loss']);

/** `model.optimizer.learningRate` of a tfjs LayersModel, when it is a finite number. */
function optimizerLearningRate(model: unknown): number | undefined {
  const optimizer = isObject(model) ? model.optimizer : undefined;
  return isObject(optimizer) ? finiteNumber(optimizer.learningRate) : undefined;
}

/**
 * Optimiser steps per epoch from the fit parameters tfjs hands every callback
 * (`setParams()`: `steps`, or ⌈samples / batchSize⌉). `self` is the
 * `CustomCallback` tfjs wraps this object in (it calls our functions as its methods).
 */
function stepsPerEpoch(self: unknown): number | undefined {
  const params = isObject(self) ? self.params : undefined;
  if (!isObject(params)) return undefined;
  const steps = posInt(params.steps);
  if (steps !== undefined) return steps;
  const samples = posInt(params.samples);
  const batchSize = posInt(params.batchSize);
  return samples !== undefined && batchSize !== undefined ? Math.ceil(samples / batchSize) : undefined;
}

/**
 * A `model.fit()` / `model.fitDataset()` callback that records one training
 * step per batch through `@tokenmeter/llm`'s `training().step()`: step time
 * (between `onBatchBegin` and `onBatchEnd`), loss, learning rate, batch size,
 * samples, (fractional) epoch, and the other batch metrics; `val_loss` at the
 * end of an epoch as the eval loss.
 *
 * ```ts
 * await model.fit(xs, ys, { epochs: 5, batchSize: 32, callbacks: tfjsTrainingCallback({ runName: 'mnist' }) });
 * ```
 */
export function tfjsTrainingCallback(options: TfjsCallbackOptions = {}): TfjsTrainingCallback {
  const mp = options.meterProvider ?? metrics.getMeterProvider();
  let run: TrainingRun;
  try {
    run =
      options.run ??
      (options.llm ?? createLlmMetrics({ meterProvider: mp })).training({
        runName: options.runName,
        model: options.modelName,
      });
  } catch (error) {
    guard('tfjsTrainingCallback', () => {
      throw error;
    });
    run = { step() {}, eval() {}, time: (_p, fn) => fn(), end() {} };
  }
  const lr = options.learningRate;
  const tokensPerSample = finiteNumber(options.tokensPerSample);

  let epoch = 0;
  let begin = -1;

  return {
    run,
    onTrainBegin() {
      begin = -1;
    },
    onEpochBegin(e: number) {
      if (typeof e === 'number' && Number.isInteger(e) && e >= 0) epoch = e;
    },
    onBatchBegin() {
      begin = performance.now();
    },
    onBatchEnd(this: unknown, batch: number, logs?: Logs) {
      const end = performance.now();
      const started = begin;
      begin = -1;
      guard('onBatchEnd', () => {
        const l: UnknownRecord = isObject(logs) ? logs : {};
        const size = posInt(l.size);
        const steps = stepsPerEpoch(this);
        const index = typeof batch === 'number' && Number.isInteger(batch) && batch >= 0 ? batch : undefined;
        const extra: Record<string, number> = {};
        if (options.metrics !== false) {
          for (const key of Object.keys(l)) {
            const v = finiteNumber(l[key]);
            if (!NOT_METRICS.has(key) && v !== undefined) extra[key] = v;
          }
        }
        run.step({
          loss: finiteNumber(l.loss),
          learningRate: typeof lr === 'function' ? lr() : (lr ?? optimizerLearningRate(options.model)),
          batchSize: size,
          samples: size,
          tokens: size !== undefined && tokensPerSample !== undefined ? size * tokensPerSample : undefined,
          durationS: started >= 0 ? (end - started) / 1000 : undefined,
          // epochs completed, fractional when the steps per epoch are known
          epoch:
            steps !== undefined && index !== undefined ? epoch + Math.min(1, (index + 1) / steps) : epoch,
          metrics: extra,
        });
      });
    },
    onEpochEnd(e: number, logs?: Logs) {
      guard('onEpochEnd', () => {
        if (!isObject(logs)) return;
        const extra: Record<string, number> = {};
        if (options.metrics !== false) {
          for (const key of Object.keys(logs)) {
            const v = finiteNumber(logs[key]);
            if (key.startsWith('val_') && key !== 'val_loss' && v !== undefined) extra[key.slice(4)] = v;
          }
        }
        const valLoss = finiteNumber(logs.val_loss);
        if (valLoss !== undefined || Object.keys(extra).length > 0) {
          run.eval({ loss: valLoss, epoch: (Number.isInteger(e) ? e : epoch) + 1, metrics: extra });
        }
      });
    },
  };
}
