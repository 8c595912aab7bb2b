/**
 * Whether an instrument may take the bound-series path. It may when nothing
 * configured would make the SDK treat it differently from the default: no
 * view selects it, and every reader wants the default aggregation for its
 * kind. Otherwise it stays an SDK instrument, so views (renames, attribute
 * filters, other buckets, exponential histograms, drop) keep working exactly
 * as the SDK defines them. When in doubt it says no: the SDK path is always
 * correct, only slower.
 */
import { AggregationType, type InstrumentType, type ViewOptions } from '@opentelemetry/sdk-metrics';

export interface InstrumentIdentity {
  readonly name: string;
  readonly type: InstrumentType;
  readonly unit: string;
  readonly meterName: string;
  readonly meterVersion: string;
  readonly meterSchemaUrl: string | undefined;
}

/** The reader methods that decide how an instrument is aggregated and exported. */
export interface ReaderPreferences {
  selectAggregation(type: InstrumentType): { type: AggregationType };
  selectAggregationTemporality(type: InstrumentType): number;
  selectCardinalityLimit(type: InstrumentType): number;
}

function namePattern(pattern: string): RegExp {
  // The SDK supports `*`; `?` and case-insensitivity are read generously here
  // so that a view the SDK might apply is never bypassed.
  const escaped = pattern
    .replace(/[\^$\\.+()[\]{}|]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** True when `view` selects the instrument (every criterion it sets matches). */
export function viewSelects(view: ViewOptions, i: InstrumentIdentity): boolean {
  if (view.instrumentName !== undefined && !namePattern(view.instrumentName).test(i.name)) return false;
  if (view.instrumentType !== undefined && view.instrumentType !== i.type) return false;
  if (view.instrumentUnit !== undefined && view.instrumentUnit !== i.unit) return false;
  if (view.meterName !== undefined && view.meterName !== i.meterName) return false;
  if (view.meterVersion !== undefined && view.meterVersion !== i.meterVersion) return false;
  if (view.meterSchemaUrl !== undefined && view.meterSchemaUrl !== i.meterSchemaUrl) return false;
  return true;
}

/** Whether an instrument is selected by a view: given the views, or asked of the SDK's own registry. */
export type ViewPredicate = (identity: InstrumentIdentity) => boolean;

/** The predicate for views as the provider was given them. */
export function selectedByAny(views: readonly ViewOptions[]): ViewPredicate {
  return (i) => views.some((v) => viewSelects(v, i));
}

export function mayBind(
  i: InstrumentIdentity,
  selectedByView: ViewPredicate,
  readers: readonly ReaderPreferences[],
): boolean {
  if (selectedByView(i)) return false;
  return readers.every((r) => r.selectAggregation(i.type).type === AggregationType.DEFAULT);
}
