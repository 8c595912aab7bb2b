import { DiagLogLevel, diag } from '@opentelemetry/api';

/** Collects the `diag` warnings from now on (undo with `diag.disable()`). */
export function captureWarnings(): string[] {
  const warnings: string[] = [];
  diag.setLogger(
    { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
    DiagLogLevel.WARN,
  );
  return warnings;
}
