/**
 * Storages that hand each point's exemplars over with it (see
 * `ExemplarDataPoint`). A cumulative reader gets a copy of the series'
 * exemplars, taken at collection like the bucket counts, since the serializer
 * renders while the app keeps recording; a delta reader gets only those
 * recorded since its last collection (told by record count, not by clock, so
 * a record in the same millisecond as a collection lands on the right side).
 */
import type { Exemplar } from '../exemplar.js';
import type { ExemplarHistogramCell } from './exemplar-histogram-cell.js';
import type { ExemplarSumCell } from './exemplar-sum-cell.js';
import type { HistogramCell } from './histogram-cell.js';
import { HistogramStorage } from './histogram-storage.js';
import type { SumCell } from './sum-cell.js';
import { SumStorage } from './sum-storage.js';

export class ExemplarHistogramStorage extends HistogramStorage {
  protected override exemplars(
    cell: HistogramCell,
    slot: number,
  ): readonly (Exemplar | undefined)[] | undefined {
    const { exemplars, seqs } = cell as ExemplarHistogramCell;
    if (exemplars === undefined || seqs === undefined) return undefined;
    if (slot < 0) return exemplars.slice();
    const since = cell.reportedCount[slot] as number;
    let any = false;
    const recent = exemplars.map((e, i) => {
      if (e === undefined || (seqs[i] as number) <= since) return undefined;
      any = true;
      return e;
    });
    return any ? recent : undefined;
  }
}

export class ExemplarSumStorage extends SumStorage {
  protected override exemplars(cell: SumCell, slot: number): readonly (Exemplar | undefined)[] | undefined {
    const { exemplar, exemplarSeq } = cell as ExemplarSumCell;
    if (exemplar === undefined) return undefined;
    if (slot >= 0 && exemplarSeq <= (cell.reportedSeq[slot] as number)) return undefined;
    return [exemplar];
  }
}
