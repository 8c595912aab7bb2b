/**
 * A counter series that also keeps the latest measurement recorded inside a
 * sampled span: one exemplar per series, as Prometheus client libraries keep.
 */
import type { Context } from '@opentelemetry/api';
import type { Exemplar } from '../exemplar.js';
import { spanExemplar } from './span-exemplar.js';
import { SumCell } from './sum-cell.js';

export class ExemplarSumCell extends SumCell {
  /** The latest exemplar, or undefined before the first one. */
  exemplar: Exemplar | undefined;
  /** `seq` just after `exemplar` was recorded, to tell a delta reader's interval exactly. */
  exemplarSeq = 0;

  /** `add()` plus the exemplar, from `ctx` or the active context. */
  override add(value: number, ctx?: Context): void {
    const seq = this.seq;
    super.add(value);
    if (this.seq === seq) return;
    const exemplar = spanExemplar(this.int ? Math.trunc(value) : value, ctx);
    if (exemplar !== undefined) {
      this.exemplar = exemplar;
      this.exemplarSeq = this.seq;
    }
  }
}
