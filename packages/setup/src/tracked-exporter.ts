import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import type {
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * Wraps a push exporter to remember how its last export went. The SDK's
 * `forceFlush()`/`shutdown()` resolve even when the export failed; this is how
 * ours can report the failure instead of pretending all is well.
 */
export class TrackedExporter implements PushMetricExporter {
  /** The error of the most recent export, or undefined when it succeeded. */
  lastError: Error | undefined;
  /** Exports attempted / failed since start: surfaced for diagnostics and tests. */
  exports = 0;
  failures = 0;
  /**
   * While true, a failed export is remembered here but answered to the SDK as
   * a success. `shutdown()` sets it for the final export, whose failure it
   * reports itself in one line: the SDK's reader would log the same failure
   * again as a stack trace, often after `shutdown()` has already resolved.
   */
  quiet = false;
  readonly selectAggregationTemporality?: (instrumentType: InstrumentType) => AggregationTemporality;
  readonly selectAggregation?: PushMetricExporter['selectAggregation'];

  constructor(
    readonly name: string,
    private readonly inner: PushMetricExporter,
  ) {
    if (inner.selectAggregationTemporality) {
      this.selectAggregationTemporality = inner.selectAggregationTemporality.bind(inner);
    }
    if (inner.selectAggregation) this.selectAggregation = inner.selectAggregation.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.exports++;
    let called = false;
    const done = (result: ExportResult) => {
      if (called) return;
      called = true;
      if (result.code === ExportResultCode.SUCCESS) {
        this.lastError = undefined;
      } else {
        this.failures++;
        this.lastError = result.error ?? new Error('export failed');
      }
      resultCallback(this.quiet ? { code: ExportResultCode.SUCCESS } : result);
    };
    try {
      this.inner.export(metrics, done);
    } catch (error) {
      done({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
