/**
 * Releases the in-flight count of handles that were dropped without
 * end/fail/abort, through a FinalizationRegistry — without making every
 * request pay for one.
 *
 * A registry entry costs ~0.2–0.8 µs per request (register, unregister and the
 * GC's weak-cell bookkeeping): most of the gap between a request recorded
 * through `@tokenmeter/llm` and the same records made with raw SDK calls.
 * Most handles end long before anything could collect them, so a new handle
 * first waits in a small nursery. The nursery is swept when it holds
 * `NURSERY_SIZE` handles or `NURSERY_MS` after its first entry, whichever
 * comes first; only the handles still open then are registered. So:
 * - a handle that ends before the sweep never touches the registry;
 * - a long request (a stream of seconds) is registered once, as before;
 * - an abandoned handle is reported at most `NURSERY_MS` later than with
 *   direct registration, and the nursery holds at most `NURSERY_SIZE`
 *   handles (ended or not) alive for at most that long.
 */

/** What a never-ended handle leaves behind for the abandon tracker. */
export interface Finalizable {
  done: boolean;
  /** Set when the handle left the nursery for the FinalizationRegistry. */
  registered: boolean;
  /** Called once if the handle is collected while not done. */
  abandon(): void;
}

/** Handles held before a sweep. */
export const NURSERY_SIZE = 256;
/** Longest wait before a handle that is still open is registered, ms. */
export const NURSERY_MS = 1000;

export class AbandonTracker {
  private handles: object[] = [];
  private cores: Finalizable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sweepLater = () => {
    this.timer = undefined;
    this.sweep();
  };

  constructor(private readonly registry: FinalizationRegistry<Finalizable>) {}

  /** A handle started: `core` is what the finalizer gets if `handle` is collected while open. */
  track(handle: object, core: Finalizable): void {
    this.handles.push(handle);
    this.cores.push(core);
    if (this.handles.length >= NURSERY_SIZE) this.sweep();
    else if (this.timer === undefined) this.schedule();
  }

  /** The handle ended: only a registered one has anything to undo. */
  release(handle: object, core: Finalizable): void {
    if (core.registered) this.registry.unregister(handle);
  }

  /** Registers every nursery handle that is still open, and empties the nursery. */
  sweep(): void {
    const { handles, cores } = this;
    if (handles.length === 0) return;
    this.handles = [];
    this.cores = [];
    for (let i = 0; i < cores.length; i++) {
      const core = cores[i]!;
      if (core.done) continue;
      core.registered = true;
      this.registry.register(handles[i]!, core, handles[i]);
    }
  }

  private schedule(): void {
    const t = setTimeout(this.sweepLater, NURSERY_MS);
    // A pending sweep must not keep the process alive.
    (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }
}

export function createAbandonTracker(): AbandonTracker | undefined {
  if (typeof FinalizationRegistry !== 'function') return undefined;
  const registry = new FinalizationRegistry<Finalizable>((state) => {
    try {
      if (!state.done) {
        state.done = true;
        state.abandon();
      }
    } catch {
      // Finalizers run outside any caller; nothing may escape.
    }
  });
  return new AbandonTracker(registry);
}
