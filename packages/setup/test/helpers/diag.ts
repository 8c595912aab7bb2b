import { DiagLogLevel, diag } from '@opentelemetry/api';

/** Collects the `diag` messages at exactly `level` from now on (undo with `diag.disable()`). */
function capture(level: DiagLogLevel.WARN | DiagLogLevel.ERROR): string[] {
  const messages: string[] = [];
  const keep = (m: string) => {
    messages.push(m);
  };
  const skip = () => {};
  diag.setLogger(
    {
      error: level === DiagLogLevel.ERROR ? keep : skip,
      warn: level === DiagLogLevel.WARN ? keep : skip,
      info: skip,
      debug: skip,
      verbose: skip,
    },
    level,
  );
  return messages;
}

/** Collects the `diag` warnings from now on (undo with `diag.disable()`). */
export function captureWarnings(): string[] {
  return capture(DiagLogLevel.WARN);
}

/** Collects the `diag` errors from now on (undo with `diag.disable()`). */
export function captureErrors(): string[] {
  return capture(DiagLogLevel.ERROR);
}
