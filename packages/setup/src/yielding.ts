/**
 * Long synchronous walks over every series (rendering a scrape, merging a
 * cluster's collections) cut into slices, with a turn of the application's
 * event loop between them: at 10k series one pass blocks the application
 * for hundreds of milliseconds, a slice of a few hundred series for a few.
 * The walks are generators that yield where they may pause.
 */
import { anchorShape } from '@tokenmeter/exposition';

/** Series (or other units of work) per slice when nothing else is configured. */
export const DEFAULT_YIELD_EVERY = 500;

/** The slice length for a `yieldEvery` option: its default when absent, `Infinity` (one pass) for 0. */
export function sliceLength(yieldEvery: number | undefined): number {
  const every = yieldEvery ?? DEFAULT_YIELD_EVERY;
  return every > 0 ? every : Number.POSITIVE_INFINITY;
}

/**
 * Counts a walk's units of work and says when a slice is full. The walk asks
 * before each unit, not after: a walk that ends exactly on a slice boundary
 * then never yields after its last unit, a turn that would only delay its
 * result (after a full GC the first turn of the loop also runs the
 * collector's follow-up tasks: ~45 µs on the benchmark VM, against ~4 µs).
 */
export class Slices {
  private left: number;

  constructor(private readonly length: number) {
    this.left = length;
  }

  /** Called before each unit: true when a full slice lies behind it and the walk should yield first. */
  due(): boolean {
    if (this.left > 0) {
      this.left--;
      return false;
    }
    this.left = this.length - 1;
    return true;
  }
}

// Each walk's counter dies with it; its shape must not (see anchorShape).
anchorShape(new Slices(1));

/** Runs a walk to the end, giving the event loop a turn wherever it yields; resolves with what it returns. */
export async function runYielding<T>(steps: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
