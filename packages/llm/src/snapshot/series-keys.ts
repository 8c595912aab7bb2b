/**
 * Keys under which a collection's totals and latency histograms are kept in
 * the ring of earlier collections, and looked up again in a later one: the
 * side, then the model or the training run (a total gets a key no model can
 * have), then what is counted.
 */

/** `c` client, `s` server. */
export type RequestSide = 'c' | 's';

/** The prefix of a side's totals. */
export function totalKey(side: RequestSide): string {
  return `${side}\u0001`;
}

/** The prefix of one model's figures on a side. */
export function modelKey(side: RequestSide, model: string): string {
  return `${side}\u0000${model}\u0000`;
}

/** The prefix of one training run's figures. */
export function runKey(training: { run?: string; model?: string }): string {
  return `t\u0000${training.run ?? ''}\u0000${training.model ?? ''}\u0000`;
}
