/**
 * For callback-based frameworks (LangChain callback handlers, OpenAI Agents
 * tracing processors) that report a run's start, tokens and end as separate
 * callbacks carrying a run id.
 */
import type { Call } from './call.js';

export interface RunRegistryOptions {
  /**
   * Most runs kept open at once. Beyond it, the oldest open run is let go:
   * nothing ends it, so llm counts it as `abandoned` once it is garbage-collected
   * — a framework that never reports a run's end cannot grow memory without bound.
   * @default 10000
   */
  maxOpen?: number;
}

/** Open calls by run id. */
export class RunRegistry<C extends Call = Call> {
  private readonly runs = new Map<string, C>();
  private readonly maxOpen: number;

  constructor(options: RunRegistryOptions = {}) {
    const max = options.maxOpen;
    this.maxOpen = typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 10_000;
  }

  /** Number of open runs. */
  get size(): number {
    return this.runs.size;
  }

  /** Registers `call` as run `id` (a run started again under the same id replaces the old one, which is let go). */
  start(id: string, call: C): void {
    this.runs.delete(id);
    this.runs.set(id, call);
    if (this.runs.size > this.maxOpen) {
      const oldest = this.runs.keys().next();
      if (!oldest.done) this.runs.delete(oldest.value);
    }
  }

  /** The open call of run `id` (for its chunks), if any. */
  get(id: string): C | undefined {
    return this.runs.get(id);
  }

  /** Removes and returns the call of run `id`, to end or fail it. */
  take(id: string): C | undefined {
    const call = this.runs.get(id);
    if (call !== undefined) this.runs.delete(id);
    return call;
  }
}
