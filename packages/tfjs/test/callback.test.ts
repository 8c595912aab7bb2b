import * as tf from '@tensorflow/tfjs';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import { createTestMeterProvider, type TestMeterProvider } from '@tokenmeter/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tfjsTrainingCallback } from '../src/index.js';

// @tokenmeter/llm's gauge for metrics other than the loss (written out, not imported).
const METRIC_VALUE = 'tokenmeter.training.metric';

const STEPS = 'tokenmeter.training.steps';
const STEP_DURATION = 'tokenmeter.training.step.duration';
const SAMPLES = 'tokenmeter.training.samples';
const LOSS = 'tokenmeter.training.loss';
const LR = 'tokenmeter.training.learning_rate';
const EPOCH = 'tokenmeter.training.epoch';
const BATCH_SIZE = 'tokenmeter.training.batch_size';
const TOKENS = 'tokenmeter.training.tokens';

/** tfjs's batch/epoch logs as a CustomCallback receives them. */
type Logs = Record<string, number>;

let t: TestMeterProvider;
let llm: LlmMetrics;

beforeAll(async () => {
  // The supported way to silence tfjs's "install tfjs-node" hint (it goes
  // through tfjs's warn(), which is quiet in production mode).
  tf.enableProdMode();
  await tf.setBackend('cpu');
});
beforeEach(() => {
  t = createTestMeterProvider();
  llm = createLlmMetrics({ meterProvider: t.meterProvider });
});
afterEach(() => t.shutdown());

/** A tiny 2-layer regression model on 64 random samples. */
function tiny(learningRate = 0.05) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'meanSquaredError', metrics: ['mae'] });
  const xs = tf.randomNormal([64, 4], 0, 1, 'float32', 1);
  const ys = tf.randomNormal([64, 1], 0, 1, 'float32', 2);
  return { model, xs, ys };
}

describe('model.fit()', () => {
  it('records one step per batch with the loss tfjs produced, step time, samples, epoch and learning rate', async () => {
    const { model, xs, ys } = tiny(0.05);
    const seen: { loss: number; mae: number; size: number }[] = [];
    const recordedLoss: number[] = [];
    const recordedMae: number[] = [];
    const cb = tfjsTrainingCallback({
      llm,
      meterProvider: t.meterProvider,
      runName: 'tiny',
      modelName: 'mlp',
      model,
    });
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      callbacks: [
        cb,
        {
          // runs after ours (tfjs awaits callbacks in order): compare with what was just recorded
          onBatchEnd: async (_batch: number, logs?: Logs) => {
            seen.push({ loss: logs!.loss!, mae: logs!.mae!, size: logs!.size! });
            const [loss] = await t.points(LOSS, { 'tokenmeter.training.split': 'train' });
            recordedLoss.push(loss!.value);
            const [mae] = await t.points(METRIC_VALUE, { 'tokenmeter.training.metric.name': 'mae' });
            recordedMae.push(mae!.value);
          },
        },
      ],
    });
    expect(seen).toHaveLength(8); // 64 samples / 16 = 4 steps per epoch × 2 epochs
    expect(await t.sum(STEPS)).toBe(8);
    expect(recordedLoss).toEqual(seen.map((s) => s.loss)); // exactly the values tfjs logged
    expect(recordedMae).toEqual(seen.map((s) => s.mae));
    const d = await t.histogramTotal(STEP_DURATION);
    expect(d.count).toBe(8);
    expect(d.min).toBeGreaterThan(0);
    expect(await t.sum(SAMPLES, { 'tokenmeter.training.split': 'train' })).toBe(128);
    expect((await t.points(BATCH_SIZE))[0]!.value).toBe(16);
    expect((await t.points(LR))[0]!.value).toBe(0.05);
    expect((await t.points(EPOCH))[0]!.value).toBe(2); // two epochs completed
    expect(await t.points(TOKENS)).toEqual([]);
    const [point] = await t.points(STEPS);
    expect(point!.attributes).toEqual({
      'tokenmeter.training.run': 'tiny',
      'tokenmeter.training.model': 'mlp',
    });
    xs.dispose();
    ys.dispose();
  });

  it('records val_loss as the eval loss and val metrics under split=eval', async () => {
    const { model, xs, ys } = tiny();
    let lastValLoss: number | undefined;
    let lastValMae: number | undefined;
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.25, // 48 training samples: 3 steps per epoch
      callbacks: [
        tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, tokensPerSample: 10 }),
        {
          onEpochEnd: async (_e: number, logs?: Logs) => {
            lastValLoss = logs!.val_loss;
            lastValMae = logs!.val_mae;
          },
        },
      ],
    });
    expect(await t.sum(STEPS)).toBe(6);
    expect(await t.sum(SAMPLES, { 'tokenmeter.training.split': 'train' })).toBe(96);
    expect(await t.sum(TOKENS, { 'tokenmeter.training.split': 'train' })).toBe(960);
    expect((await t.points(LOSS, { 'tokenmeter.training.split': 'eval' }))[0]!.value).toBe(lastValLoss);
    const [valMae] = await t.points(METRIC_VALUE, {
      'tokenmeter.training.split': 'eval',
      'tokenmeter.training.metric.name': 'mae',
    });
    expect(valMae!.value).toBe(lastValMae);
    xs.dispose();
    ys.dispose();
  });
});

describe('model.fit(): what fit() reported is what was recorded', () => {
  it('per-batch losses average to the History loss of each epoch; steps, samples and step time add up', async () => {
    const { model, xs, ys } = tiny(0.05);
    const batchLosses: { epoch: number; loss: number; size: number }[] = [];
    let epoch = 0;
    const started = performance.now();
    const history = await model.fit(xs, ys, {
      epochs: 3,
      batchSize: 24, // 64 samples: batches of 24, 24 and 16
      shuffle: false,
      callbacks: [
        tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, model }),
        {
          onEpochBegin: async (e: number) => {
            epoch = e;
          },
          onBatchEnd: async (_b: number, logs?: Logs) => {
            const [recorded] = await t.points(LOSS, { 'tokenmeter.training.split': 'train' });
            batchLosses.push({ epoch, loss: recorded!.value, size: logs!.size! });
          },
        },
      ],
    });
    const wallS = (performance.now() - started) / 1000;
    // tfjs's epoch loss is the size-weighted mean of its batch losses: the
    // values we recorded must reproduce the History fit() returned.
    for (const [e, reported] of (history.history.loss as number[]).entries()) {
      const batches = batchLosses.filter((b) => b.epoch === e);
      const weighted = batches.reduce((a, b) => a + b.loss * b.size, 0);
      const samples = batches.reduce((a, b) => a + b.size, 0);
      expect(batches.map((b) => b.size)).toEqual([24, 24, 16]);
      expect(weighted / samples).toBeCloseTo(reported, 5);
    }
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(await t.sum(STEPS)).toBe(9);
    expect(await t.sum(SAMPLES, { 'tokenmeter.training.split': 'train' })).toBe(3 * 64);
    const steps = await t.histogramTotal(STEP_DURATION);
    expect(steps.count).toBe(9);
    // Measured, not estimated: every step took time, and all of them fit inside fit()'s own wall time.
    expect(steps.min).toBeGreaterThan(0);
    expect(steps.sum).toBeLessThan(wallS);
    expect((await t.points(BATCH_SIZE))[0]!.value).toBe(16); // the last, smaller batch
    expect((await t.points(EPOCH))[0]!.value).toBe(3);
    xs.dispose();
    ys.dispose();
  });

  it('early stopping: the steps recorded are those of the epochs that ran', async () => {
    const { model, xs, ys } = tiny(0.05);
    const cb = tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, runName: 'early', model });
    const history = await model.fit(xs, ys, {
      epochs: 20,
      batchSize: 16,
      validationSplit: 0.25, // 48 training samples: 3 steps per epoch
      // A plain callback object mixed with a tf.Callback instance must be wrapped (see README).
      // minDelta larger than any loss: no epoch after the first counts as an improvement.
      callbacks: [
        new tf.CustomCallback(cb),
        tf.callbacks.earlyStopping({ monitor: 'val_loss', minDelta: 1e9, patience: 1 }),
      ],
    });
    const epochs = history.epoch.length;
    expect(epochs).toBe(2); // stopped long before 20
    expect(await t.sum(STEPS)).toBe(epochs * 3);
    expect(await t.sum(SAMPLES, { 'tokenmeter.training.split': 'train' })).toBe(epochs * 48);
    expect((await t.points(EPOCH))[0]!.value).toBe(epochs);
    const valLoss = history.history.val_loss as number[];
    expect((await t.points(LOSS, { 'tokenmeter.training.split': 'eval' }))[0]!.value).toBe(valLoss.at(-1));
    xs.dispose();
    ys.dispose();
  });

  it('follows the optimizer when a schedule changes the learning rate during fit()', async () => {
    const { model, xs, ys } = tiny(0.1);
    const recorded: number[] = [];
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 32,
      callbacks: [
        {
          onEpochBegin: async (e: number) => {
            if (e === 1) (model.optimizer as tf.SGDOptimizer).setLearningRate(0.01);
          },
        },
        tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, model }),
        {
          onBatchEnd: async () => {
            recorded.push((await t.points(LR))[0]!.value);
          },
        },
      ],
    });
    expect(recorded).toEqual([0.1, 0.1, 0.01, 0.01]);
    xs.dispose();
    ys.dispose();
  });

  it('one callback across two fit() calls records into one run', async () => {
    const { model, xs, ys } = tiny();
    const cb = tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, runName: 'resumed' });
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, callbacks: cb });
    await model.fit(xs, ys, { epochs: 2, batchSize: 32, callbacks: cb });
    const points = await t.points(STEPS);
    expect(points).toHaveLength(1);
    expect(points[0]!.value).toBe(6);
    expect(points[0]!.attributes).toEqual({ 'tokenmeter.training.run': 'resumed' });
    expect(await t.sum(SAMPLES)).toBe(3 * 64);
    xs.dispose();
    ys.dispose();
  });
});

describe('batch logs', () => {
  it('every other numeric key of the batch logs becomes a metric; none without compiled metrics or with metrics: false', async () => {
    const compiled = tiny();
    compiled.model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae', 'mse'] });
    await compiled.model.fit(compiled.xs, compiled.ys, {
      epochs: 1,
      batchSize: 64,
      callbacks: tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, runName: 'with' }),
    });
    const names = (await t.points(METRIC_VALUE, { 'tokenmeter.training.run': 'with' }))
      .map((p) => p.attributes['tokenmeter.training.metric.name'])
      .sort();
    expect(names).toEqual(['mae', 'mse']);

    const bare = tiny();
    bare.model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }); // batch logs: batch, size, loss
    await bare.model.fit(bare.xs, bare.ys, {
      epochs: 1,
      batchSize: 64,
      callbacks: tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, runName: 'bare' }),
    });
    await compiled.model.fit(compiled.xs, compiled.ys, {
      epochs: 1,
      batchSize: 64,
      callbacks: tfjsTrainingCallback({
        llm,
        meterProvider: t.meterProvider,
        runName: 'off',
        metrics: false,
      }),
    });
    expect(await t.points(METRIC_VALUE, { 'tokenmeter.training.run': 'bare' })).toEqual([]);
    expect(await t.points(METRIC_VALUE, { 'tokenmeter.training.run': 'off' })).toEqual([]);
    // The loss is recorded either way.
    expect(await t.points(LOSS, { 'tokenmeter.training.run': 'bare' })).toHaveLength(1);
    expect(await t.points(LOSS, { 'tokenmeter.training.run': 'off' })).toHaveLength(1);
    for (const m of [compiled, bare]) {
      m.xs.dispose();
      m.ys.dispose();
    }
  });

  it('without logs (a caller that passes none) a step still counts, with its time and nothing invented', async () => {
    const cb = tfjsTrainingCallback({ llm, meterProvider: t.meterProvider });
    cb.onTrainBegin();
    cb.onEpochBegin(0);
    cb.onBatchBegin(0);
    cb.onBatchEnd(0);
    cb.onEpochEnd(0);
    expect(await t.sum(STEPS)).toBe(1);
    expect((await t.histogramTotal(STEP_DURATION)).count).toBe(1);
    expect(await t.points(LOSS)).toEqual([]);
    expect(await t.points(SAMPLES)).toEqual([]);
    expect(await t.points(BATCH_SIZE)).toEqual([]);
    expect(await t.points(METRIC_VALUE)).toEqual([]);
  });
});

describe('model.fitDataset()', () => {
  it('records one step per dataset batch', async () => {
    const { model } = tiny();
    const xs = tf.data.array(Array.from({ length: 40 }, (_, i) => [i / 40, 0, 1, -1]));
    const ys = tf.data.array(Array.from({ length: 40 }, (_, i) => [i / 20]));
    const ds = tf.data.zip({ xs, ys }).batch(16); // 16 + 16 + 8
    const sizes: number[] = [];
    await model.fitDataset(ds, {
      epochs: 2,
      callbacks: [
        tfjsTrainingCallback({ llm, meterProvider: t.meterProvider, learningRate: () => 0.01 }),
        { onBatchEnd: async (_b: number, logs?: Logs) => void sizes.push(logs!.size!) },
      ],
    });
    expect(sizes).toEqual([16, 16, 8, 16, 16, 8]);
    expect(await t.sum(STEPS)).toBe(6);
    expect(await t.sum(SAMPLES)).toBe(80);
    expect((await t.histogramTotal(STEP_DURATION)).count).toBe(6);
    expect((await t.points(BATCH_SIZE))[0]!.value).toBe(8); // the last batch's size
    expect((await t.points(LR))[0]!.value).toBe(0.01);
    expect((await t.points(EPOCH))[0]!.value).toBe(2); // the dataset's size (3 batches) gives the steps per epoch
  });
});

describe('safety', () => {
  it('a throwing run never breaks training', async () => {
    const { model, xs, ys } = tiny();
    const run = {
      step() {
        throw new Error('telemetry bug');
      },
      eval() {},
      time: <T>(_p: string, fn: () => T) => fn(),
      end() {},
    };
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: 32, callbacks: tfjsTrainingCallback({ run }) });
    expect(h.history.loss).toHaveLength(1);
  });
});
