/**
 * The training side of a snapshot: one TrainingSummary per run and model,
 * and which instruments feed it.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { InstrumentKey } from '../instruments.js';
import {
  ATTR_TM_TRAINING_MODEL,
  ATTR_TM_TRAINING_PHASE,
  ATTR_TM_TRAINING_RUN,
  ATTR_TM_TRAINING_SPLIT,
} from '../semconv.js';
import type { DataPointLike } from './collection.js';
import { addByAttribute, HistogramAccumulator, type SummariseLatency } from './histogram.js';
import { emptyLatency, type TrainingSummary } from './llm-snapshot.js';
import { getOrCreate, type PointHandler, pointValue, stringAttribute } from './points.js';
import { runKey } from './series-keys.js';

export interface TrainingAccumulator {
  readonly summary: TrainingSummary;
  readonly stepDuration: HistogramAccumulator;
  /** By `tokenmeter.training.phase`. */
  readonly phases: Map<string, HistogramAccumulator>;
}

/** The accumulators of the runs seen, by run and model, in the order first seen. */
export class TrainingRuns {
  private readonly runs = new Map<string, TrainingAccumulator>();

  /** Applies a point to the accumulator of its run and model. */
  feed(point: DataPointLike, apply: (accumulator: TrainingAccumulator) => void): void {
    const run = stringAttribute(point.attributes, ATTR_TM_TRAINING_RUN);
    const model = stringAttribute(point.attributes, ATTR_TM_TRAINING_MODEL);
    apply(
      getOrCreate(this.runs, `${run ?? ''}\u0000${model ?? ''}`, () => newTrainingAccumulator(run, model)),
    );
  }

  values(): IterableIterator<TrainingAccumulator> {
    return this.runs.values();
  }
}

function newTrainingAccumulator(run: string | undefined, model: string | undefined): TrainingAccumulator {
  const summary: TrainingSummary = {
    steps: 0,
    samples: 0,
    tokens: 0,
    evalSamples: 0,
    evalTokens: 0,
    stepDuration: emptyLatency(),
    phases: {},
  };
  if (run !== undefined) summary.run = run;
  if (model !== undefined) summary.model = model;
  return { summary, stepDuration: new HistogramAccumulator(), phases: new Map() };
}

const isEval = (point: DataPointLike) => stringAttribute(point.attributes, ATTR_TM_TRAINING_SPLIT) === 'eval';

/** What each training instrument does to its run's summary. */
export function trainingHandlers(
  runs: TrainingRuns,
  diagnostics: Diagnostics,
): [InstrumentKey, PointHandler][] {
  /** A counter: added to `field`, or to `evalField` for points of `tokenmeter.training.split=eval`. */
  const add =
    (field: 'steps' | 'samples' | 'tokens', evalField?: 'evalSamples' | 'evalTokens'): PointHandler =>
    (point) =>
      runs.feed(point, ({ summary }) => {
        summary[evalField && isEval(point) ? evalField : field] += pointValue(point);
      });
  /** A gauge: its last value, in `evalField` for eval points when there is one. */
  const last =
    (field: 'loss' | 'learningRate' | 'gradNorm' | 'epoch', evalField?: 'evalLoss'): PointHandler =>
    (point) =>
      runs.feed(point, ({ summary }) => {
        summary[evalField && isEval(point) ? evalField : field] = pointValue(point);
      });
  return [
    ['trainingSteps', add('steps')],
    ['trainingSamples', add('samples', 'evalSamples')],
    ['trainingTokens', add('tokens', 'evalTokens')],
    ['trainingLoss', last('loss', 'evalLoss')],
    ['trainingLearningRate', last('learningRate')],
    ['trainingGradNorm', last('gradNorm')],
    ['trainingEpoch', last('epoch')],
    [
      'trainingStepDuration',
      (point) => runs.feed(point, (accumulator) => accumulator.stepDuration.add(point.value, diagnostics)),
    ],
    [
      'trainingPhaseDuration',
      (point) =>
        runs.feed(point, (accumulator) =>
          addByAttribute(accumulator.phases, ATTR_TM_TRAINING_PHASE, point, diagnostics),
        ),
    ],
  ];
}

/** The run's summary with its latencies, each noted under its run key + its name. */
export function finishTraining(
  accumulator: TrainingAccumulator,
  summarise: SummariseLatency,
): TrainingSummary {
  const { summary } = accumulator;
  const key = runKey(summary);
  summary.stepDuration = summarise(`${key}step`, accumulator.stepDuration);
  for (const [phase, histogram] of accumulator.phases)
    summary.phases[phase] = summarise(`${key}phase\u0000${phase}`, histogram);
  return summary;
}
