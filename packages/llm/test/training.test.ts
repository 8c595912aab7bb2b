import { describe, expect, it } from 'vitest';
import { hist, points, pointWith, rig } from './helpers.js';

const RUN = { 'tokenmeter.training.run': 'sft-1', 'tokenmeter.training.model': 'llama-3-8b' };

describe('training', () => {
  it('records step duration, measured phases only, counters and last-value gauges', async () => {
    const r = rig();
    const run = r.llm.training({ runName: 'sft-1', model: 'llama-3-8b' });
    run.step({
      loss: 2.5,
      learningRate: 3e-4,
      gradNorm: 1.2,
      batchSize: 32,
      samples: 32,
      tokens: 65536,
      durationS: 1.5,
      forwardS: 0.5,
      backwardS: 0.8,
      epoch: 0.1,
    });
    run.step({ loss: 2.25, samples: 32, tokens: 65536, durationS: 1.25 });
    run.eval({ loss: 2.4, samples: 100, tokens: 1000, durationS: 10 });

    const step = hist(pointWith(await r.metric('tokenmeter.training.step.duration'), RUN));
    expect(step.count).toBe(2);
    expect(step.sum).toBeCloseTo(2.75, 9);
    const phases = await r.metric('tokenmeter.training.phase.duration');
    expect(
      points(phases)
        .map((p) => p.attributes['tokenmeter.training.phase'])
        .sort(),
    ).toEqual(['backward', 'forward']);
    expect(hist(pointWith(phases, { ...RUN, 'tokenmeter.training.phase': 'forward' })).sum).toBe(0.5);
    expect(pointWith(await r.metric('tokenmeter.training.steps'), RUN)?.value).toBe(2);
    const samples = await r.metric('tokenmeter.training.samples');
    expect(pointWith(samples, { ...RUN, 'tokenmeter.training.split': 'train' })?.value).toBe(64);
    expect(pointWith(samples, { ...RUN, 'tokenmeter.training.split': 'eval' })?.value).toBe(100);
    const tokens = await r.metric('tokenmeter.training.tokens');
    expect(pointWith(tokens, { ...RUN, 'tokenmeter.training.split': 'train' })?.value).toBe(131072);
    const loss = await r.metric('tokenmeter.training.loss');
    expect(pointWith(loss, { ...RUN, 'tokenmeter.training.split': 'train' })?.value).toBe(2.25);
    expect(pointWith(loss, { ...RUN, 'tokenmeter.training.split': 'eval' })?.value).toBe(2.4);
    expect(pointWith(await r.metric('tokenmeter.training.learning_rate'), RUN)?.value).toBe(3e-4);
    expect(pointWith(await r.metric('tokenmeter.training.grad_norm'), RUN)?.value).toBe(1.2);
    expect(pointWith(await r.metric('tokenmeter.training.epoch'), RUN)?.value).toBe(0.1);
    expect(pointWith(await r.metric('tokenmeter.training.batch_size'), RUN)?.value).toBe(32);
    expect(hist(pointWith(await r.metric('tokenmeter.training.eval.duration'), RUN)).sum).toBe(10);
  });

  it('never estimates phases: a step with only durationS records no phase', async () => {
    const r = rig();
    r.llm.training({ runName: 'x' }).step({ durationS: 2 });
    expect(await r.metric('tokenmeter.training.phase.duration')).toBeUndefined();
  });

  it('time() measures a phase (sync and async) and returns the result', async () => {
    const r = rig();
    const run = r.llm.training({ runName: 'sft-1', model: 'llama-3-8b' });
    const loss = run.time('forward', () => {
      r.clock.advance(120);
      return 1.5;
    });
    expect(loss).toBe(1.5);
    await run.time('backward', async () => {
      r.clock.advance(200);
    });
    const phases = await r.metric('tokenmeter.training.phase.duration');
    expect(hist(pointWith(phases, { ...RUN, 'tokenmeter.training.phase': 'forward' })).sum).toBeCloseTo(
      0.12,
      9,
    );
    expect(hist(pointWith(phases, { ...RUN, 'tokenmeter.training.phase': 'backward' })).sum).toBeCloseTo(
      0.2,
      9,
    );
  });

  it('drops garbage values and ignores steps after end()', async () => {
    const r = rig();
    const run = r.llm.training({ runName: 'sft-1', model: 'llama-3-8b' });
    run.step({
      loss: Number.NaN,
      learningRate: -1,
      samples: 1.5,
      tokens: Number.POSITIVE_INFINITY,
      durationS: -3,
    });
    run.end();
    run.step({ loss: 1 });
    expect(pointWith(await r.metric('tokenmeter.training.steps'), RUN)?.value).toBe(1);
    expect(await r.metric('tokenmeter.training.loss')).toBeUndefined();
    expect(await r.metric('tokenmeter.training.samples')).toBeUndefined();
    expect(await r.metric('tokenmeter.training.step.duration')).toBeUndefined();
  });
});

describe('training: other metrics by name', () => {
  it('step({ metrics }) and eval({ metrics }) record tokenmeter.training.metric per name and split; garbage dropped', async () => {
    const r = rig();
    const run = r.llm.training({ runName: 'sft', model: 'm' });
    run.step({ metrics: { accuracy: 0.5, mae: Number.NaN } });
    run.step({ metrics: { accuracy: 0.75 } });
    run.eval({ metrics: { accuracy: 0.7 } });
    const m = await r.metric('tokenmeter.training.metric');
    const value = (name: string, split: string) =>
      points(m).find(
        (p) =>
          p.attributes['tokenmeter.training.metric.name'] === name &&
          p.attributes['tokenmeter.training.split'] === split,
      )?.value;
    expect(value('accuracy', 'train')).toBe(0.75);
    expect(value('accuracy', 'eval')).toBe(0.7);
    expect(value('mae', 'train')).toBeUndefined();
  });
});
