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
  private readonly train: AttrNode;
  private readonly evalNode: AttrNode;

  constructor(
    private readonly ctx: LlmContext,
    private readonly base: AttrNode,
  ) {
    this.train = base.with(ATTR_TM_TRAINING_SPLIT, 'train');
    this.evalNode = base.with(ATTR_TM_TRAINING_SPLIT, 'eval');
  }

  step(info: StepInfo): void {
    const { ctx } = this;
    if (this.ended) {
      ctx.d.warn('after-end', 'step() after end(); ignored');
      return;
    }
    try {
      const o = bag<StepInfo>(info, 'step() info', ctx) ?? {};
      const { d, i } = ctx;
      const a = this.base.attrs;
      i.counter.trainingSteps.add(1, a);
      const duration = nonNegative(o.durationS, 'durationS', d);
      if (duration !== undefined) i.histogram.trainingStepDuration.record(duration, a);
      for (const [field, phase] of PHASES) {
        const v = nonNegative(o[field], field, d);
        if (v !== undefined)
          i.histogram.trainingPhaseDuration.record(v, this.base.with(ATTR_TM_TRAINING_PHASE, phase).attrs);
      }
      const samples = count(o.samples, 'samples', d);
      if (samples !== undefined) i.counter.trainingSamples.add(samples, this.train.attrs);
      const tokens = count(o.tokens, 'tokens', d);
      if (tokens !== undefined) i.counter.trainingTokens.add(tokens, this.train.attrs);
      const loss = finite(o.loss, 'loss', d);
      if (loss !== undefined) i.gauge.trainingLoss.record(loss, this.train.attrs);
      const lr = nonNegative(o.learningRate, 'learningRate', d);
      if (lr !== undefined) i.gauge.trainingLearningRate.record(lr, a);
      const gn = nonNegative(o.gradNorm, 'gradNorm', d);
      if (gn !== undefined) i.gauge.trainingGradNorm.record(gn, a);
      const bs = count(o.batchSize, 'batchSize', d);
      if (bs !== undefined) i.gauge.trainingBatchSize.record(bs, a);
      const epoch = nonNegative(o.epoch, 'epoch', d);
      if (epoch !== undefined) i.gauge.trainingEpoch.record(epoch, a);
      this.recordMetrics(o.metrics, this.train);
    } catch (err) {
      ctx.d.warn('internal-error', `step(): ${String(err)}`);
    }
  }

  eval(info: EvalInfo): void {
    const { ctx } = this;
    if (this.ended) {
      ctx.d.warn('after-end', 'eval() after end(); ignored');
      return;
    }
    try {
      const o = bag<EvalInfo>(info, 'eval() info', ctx) ?? {};
      const { d, i } = ctx;
      const duration = nonNegative(o.durationS, 'durationS', d);
      if (duration !== undefined) i.histogram.trainingEvalDuration.record(duration, this.base.attrs);
      const samples = count(o.samples, 'samples', d);
      if (samples !== undefined) i.counter.trainingSamples.add(samples, this.evalNode.attrs);
      const tokens = count(o.tokens, 'tokens', d);
      if (tokens !== undefined) i.counter.trainingTokens.add(tokens, this.evalNode.attrs);
      const loss = finite(o.loss, 'loss', d);
      if (loss !== undefined) i.gauge.trainingLoss.record(loss, this.evalNode.attrs);
      const epoch = nonNegative(o.epoch, 'epoch', d);
      if (epoch !== undefined) i.gauge.trainingEpoch.record(epoch, this.base.attrs);
      this.recordMetrics(o.metrics, this.evalNode);
    } catch (err) {
      ctx.d.warn('internal-error', `eval(): ${String(err)}`);
    }
  }

  /** Metric names come from code (compile() metrics), but are bounded like any name. */
  private recordMetrics(metrics: unknown, split: AttrNode): void {
    const { ctx } = this;
    const m = bag<Record<string, unknown>>(metrics, 'metrics', ctx);
    if (!m) return;
    for (const key of Object.keys(m)) {
      const v = finite(m[key], `metrics.${key}`, ctx.d);
      if (v === undefined) continue;
      const name = ctx.g.name.bound(key) ?? '_OTHER';
      ctx.i.gauge.trainingMetric.record(v, split.with(ATTR_TM_TRAINING_METRIC, name).attrs);
    }
  }

  time<T>(phase: string, fn: () => T): T {
    const { ctx } = this;
    let node = this.base;
    try {
      node = node.with(ATTR_TM_TRAINING_PHASE, ctx.g.name.bound(phase) ?? '_OTHER');
    } catch (err) {
      ctx.d.warn('internal-error', `time(): ${String(err)}`);
    }
    return measureFn(ctx, fn, (s) => ctx.i.histogram.trainingPhaseDuration.record(s, node.attrs), undefined);
  }

  end(): void {
    this.ended = true;
  }
}

export function startTraining(ctx: LlmContext, options?: TrainingOptions): TrainingRun {
  let base = ctx.root;
  try {
    const o = bag<TrainingOptions>(options, 'training() options', ctx);
    base = base
      .with(ATTR_TM_TRAINING_RUN, ctx.g.name.bound(o?.runName))
      .with(ATTR_TM_TRAINING_MODEL, ctx.g.model.bound(o?.model));
  } catch (err) {
    ctx.d.warn('internal-error', `training(): ${String(err)}`);
  }
  return new Run(ctx, base);
}
