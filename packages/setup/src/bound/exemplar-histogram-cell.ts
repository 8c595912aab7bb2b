/**
 * A histogram series that also keeps, per bucket, the latest measurement
 * recorded inside a sampled span (as Prometheus client libraries do): memory
 * is bounded by the bucket count, whatever the traffic. The slots are
 * allocated with the series' first exemplar, so series that never see a
 * sampled span cost one field more than a plain cell.
 */
import type { Context } from '@opentelemetry/api';
import type { Exemplar } from '../exemplar.js';
import { HistogramCell } from './histogram-cell.js';
import { spanExemplar } from './span-exemplar.js';

export class ExemplarHistogramCell extends HistogramCell {
  /** `exemplars[i]`: the latest exemplar of bucket `i`; undefined until the first one. */
  exemplars: (Exemplar | undefined)[] | undefined;
  /** `seqs[i]`: `count` just after `exemplars[i]` was recorded, to tell a delta reader's interval exactly. */
  seqs: number[] | undefined;

  /** `record()` plus the exemplar, from `ctx` or the active context. */
  override record(value: number, ctx?: Context): number {
    const bucket = super.record(value);
    if (bucket < 0) return bucket;
    const exemplar = spanExemplar(this.int ? Math.trunc(value) : value, ctx);
    if (exemplar !== undefined) {
      this.exemplars ??= new Array<Exemplar | undefined>(this.boundaries.length + 1).fill(undefined);
      this.seqs ??= new Array<number>(this.boundaries.length + 1).fill(0);
      this.exemplars[bucket] = exemplar;
      this.seqs[bucket] = this.count;
    }
    return bucket;
  }
}
