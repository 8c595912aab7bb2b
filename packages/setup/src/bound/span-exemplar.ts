/**
 * The exemplar of one measurement: kept only when it is recorded inside a
 * sampled span (the OTel "trace-based" exemplar filter), taken from the
 * context passed to `record()`/`add()` or, without one, the active context.
 */
import { type Context, context, TraceFlags, trace } from '@opentelemetry/api';
import type { Exemplar } from '../exemplar.js';

/**
 * W3C ids are 32 and 16 characters. OpenMetrics caps an exemplar's labels at
 * 128 characters and Prometheus rejects the whole scrape past that, so a span
 * context from an odd propagator with longer ids is not kept.
 */
const TRACE_ID_LENGTH = 32;
const SPAN_ID_LENGTH = 16;

/** An exemplar for `value` when `ctx` (else the active context) holds a sampled span; never throws. */
export function spanExemplar(value: number, ctx: Context | undefined): Exemplar | undefined {
  let traceId: unknown;
  let spanId: unknown;
  try {
    const span = trace.getSpanContext(ctx ?? context.active());
    if (span === undefined || (span.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
    traceId = span.traceId;
    spanId = span.spanId;
  } catch {
    // Not a Context (the caller passed something else as the third argument): no exemplar.
    return undefined;
  }
  if (
    typeof traceId !== 'string' ||
    typeof spanId !== 'string' ||
    traceId.length !== TRACE_ID_LENGTH ||
    spanId.length !== SPAN_ID_LENGTH
  ) {
    return undefined;
  }
  return { value, timeMs: Date.now(), traceId, spanId };
}
