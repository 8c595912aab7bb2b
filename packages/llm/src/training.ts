/**
 * Training-loop metrics. Phases are recorded only when measured: an
 * estimated split (say, forward = step/3) would look like data and be wrong.
 */
import type { AttrNode } from './attributes.js';
import type { LlmContext } from './context.js';
import { measureFn } from './measure.js';
import {
  ATTR_TM_TRAINING_METRIC,
  ATTR_TM_TRAINING_MODEL,
  ATTR_TM_TRAINING_PHASE,
  ATTR_TM_TRAINING_RUN,
  ATTR_TM_TRAINING_SPLIT,
  OTHER_VALUE,
} from './semconv.js';
import { bag } from './usage.js';
import { count, finite, nonNegative } from './validate.js';

export interface TrainingOptions {
  /** `tokenmeter.training.run`: a short run name (not a per-step id). Bounded. */
  runName?: string;
  /** `tokenmeter.training.model`: the model being trained. Bounded by the model guard. */
  model?: string;
}

/** One optimiser step. Every field is optional; only what is given is recorded. */
export interface StepInfo {
  loss?: number;
  learningRate?: number;
  gradNorm?: number;
  /** Global batch size (samples per step), a last-value gauge. */
  batchSize?: number;
  /** Samples processed in this step (counter). */
  samples?: number;
  /** Tokens processed in this step (counter). */
  tokens?: number;
  /** Step wall time in seconds, as measured by the caller. */
  durationS?: number;
  forwardS?: number;
  backwardS?: number;
  optimizerS?: number;
  /** Data loading time in seconds. */
  dataS?: number;
  /** Current (possibly fractional) epoch. */
  epoch?: number;
  /** Other metrics of this step by name (`{ accuracy: 0.91 }`): last-value gauge `tokenmeter.training.metric`. */
  metrics?: Readonly<Record<string, number>>;
}

export interface EvalInfo {
  loss?: number;
  durationS?: number;
  samples?: number;
  tokens?: number;
  epoch?: number;
  /** Other evaluation metrics by name (`{ accuracy: 0.88 }`). */
  metrics?: Readonly<Record<string, number>>;
}

export interface TrainingRun {
  step(info: StepInfo): void;
  eval(info: EvalInfo): void;
  /** Times `fn` (sync or async) as the named phase and returns its result. */
  time<T>(phase: string, fn: () => T): T;
  /** Marks the run finished; later step()/eval() calls are ignored. */
  end(): void;
}

const PHASES = [
  ['forwardS', 'forward'],
  ['backwardS', 'backward'],
  ['optimizerS', 'optimizer'],
  ['dataS', 'data'],
] as const;

class Run implements TrainingRun {
  private ended = false;
  /** The run's attributes with `tokenmeter.training.split` = train, and = eval. */
  private readonly trainSplit: AttrNode;
  private readonly evalSplit: AttrNode;

  constructor(
    private readonly ctx: LlmContext,
    private readonly base: AttrNode,
  ) {
    this.trainSplit = base.with(ATTR_TM_TRAINING_SPLIT, 'train');
    this.evalSplit = base.with(ATTR_TM_TRAINING_SPLIT, 'eval');
  }

  step(info: StepInfo): void {
    const { ctx } = this;
    if (this.ended) {
      ctx.diagnostics.warn('after-end', 'step() after end(); ignored');
      return;
    }
    try {
      const step = bag<StepInfo>(info, 'step() info', ctx) ?? {};
      const { diagnostics, instruments } = ctx;
      const attrs = this.base.attrs;
      instruments.counter.trainingSteps.add(1, attrs);
      const duration = nonNegative(step.durationS, 'durationS', diagnostics);
      if (duration !== undefined) instruments.histogram.trainingStepDuration.record(duration, attrs);
      for (const [field, phase] of PHASES) {
        const phaseDuration = nonNegative(step[field], field, diagnostics);
        if (phaseDuration !== undefined)
          instruments.histogram.trainingPhaseDuration.record(
            phaseDuration,
            this.base.with(ATTR_TM_TRAINING_PHASE, phase).attrs,
          );
      }
      const samples = count(step.samples, 'samples', diagnostics);
      if (samples !== undefined) this.trainSplit.add(instruments.counter.trainingSamples, samples);
      const tokens = count(step.tokens, 'tokens', diagnostics);
      if (tokens !== undefined) this.trainSplit.add(instruments.counter.trainingTokens, tokens);
      const loss = finite(step.loss, 'loss', diagnostics);
      if (loss !== undefined) this.trainSplit.record(instruments.gauge.trainingLoss, loss);
      const learningRate = nonNegative(step.learningRate, 'learningRate', diagnostics);
      if (learningRate !== undefined) instruments.gauge.trainingLearningRate.record(learningRate, attrs);
      const gradNorm = nonNegative(step.gradNorm, 'gradNorm', diagnostics);
      if (gradNorm !== undefined) instruments.gauge.trainingGradNorm.record(gradNorm, attrs);
      const batchSize = count(step.batchSize, 'batchSize', diagnostics);
      if (batchSize !== undefined) instruments.gauge.trainingBatchSize.record(batchSize, attrs);
      const epoch = nonNegative(step.epoch, 'epoch', diagnostics);
      if (epoch !== undefined) instruments.gauge.trainingEpoch.record(epoch, attrs);
      this.recordMetrics(step.metrics, this.trainSplit);
    } catch (err) {
      ctx.diagnostics.warn('internal-error', `step(): ${String(err)}`);
    }
  }

  eval(info: EvalInfo): void {
    const { ctx } = this;
    if (this.ended) {
      ctx.diagnostics.warn('after-end', 'eval() after end(); ignored');
      return;
    }
    try {
      const evaluation = bag<EvalInfo>(info, 'eval() info', ctx) ?? {};
      const { diagnostics, instruments } = ctx;
      const duration = nonNegative(evaluation.durationS, 'durationS', diagnostics);
      if (duration !== undefined) this.base.record(instruments.histogram.trainingEvalDuration, duration);
      const samples = count(evaluation.samples, 'samples', diagnostics);
      if (samples !== undefined) this.evalSplit.add(instruments.counter.trainingSamples, samples);
      const tokens = count(evaluation.tokens, 'tokens', diagnostics);
      if (tokens !== undefined) this.evalSplit.add(instruments.counter.trainingTokens, tokens);
      const loss = finite(evaluation.loss, 'loss', diagnostics);
      if (loss !== undefined) this.evalSplit.record(instruments.gauge.trainingLoss, loss);
      const epoch = nonNegative(evaluation.epoch, 'epoch', diagnostics);
      if (epoch !== undefined) this.base.record(instruments.gauge.trainingEpoch, epoch);
      this.recordMetrics(evaluation.metrics, this.evalSplit);
    } catch (err) {
      ctx.diagnostics.warn('internal-error', `eval(): ${String(err)}`);
    }
  }

  /** Metric names come from code (compile() metrics), but are bounded like any name. */
  private recordMetrics(metrics: unknown, split: AttrNode): void {
    const { ctx } = this;
    const byName = bag<Record<string, unknown>>(metrics, 'metrics', ctx);
    if (!byName) return;
    for (const key of Object.keys(byName)) {
      const value = finite(byName[key], `metrics.${key}`, ctx.diagnostics);
      if (value === undefined) continue;
      const name = ctx.guards.name.bound(key) ?? OTHER_VALUE;
      ctx.instruments.gauge.trainingMetric.record(value, split.with(ATTR_TM_TRAINING_METRIC, name).attrs);
    }
  }

  time<T>(phase: string, fn: () => T): T {
    const { ctx } = this;
    let node = this.base;
    try {
      node = node.with(ATTR_TM_TRAINING_PHASE, ctx.guards.name.bound(phase) ?? OTHER_VALUE);
    } catch (err) {
      ctx.diagnostics.warn('internal-error', `time(): ${String(err)}`);
    }
    return measureFn(
      ctx,
      fn,
      (elapsed) => ctx.instruments.histogram.trainingPhaseDuration.record(elapsed, node.attrs),
      undefined,
    );
  }

  end(): void {
    this.ended = true;
  }
}

export function startTraining(ctx: LlmContext, options?: TrainingOptions): TrainingRun {
  let base = ctx.root;
  try {
    const start = bag<TrainingOptions>(options, 'training() options', ctx);
    base = base
      .with(ATTR_TM_TRAINING_RUN, ctx.guards.name.bound(start?.runName))
      .with(ATTR_TM_TRAINING_MODEL, ctx.guards.model.bound(start?.model));
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `training(): ${String(err)}`);
  }
  return new Run(ctx, base);
}
