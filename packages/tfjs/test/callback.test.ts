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
