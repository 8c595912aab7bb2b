/**
 * Input validation at the API boundary: garbage is dropped (undefined) with
 * one diagnostic per kind, never recorded.
 */
import type { Diagnostics } from './diagnostics.js';

/** A finite number ≥ 0, else undefined (missing values are silently undefined). */
export function nonNegative(value: unknown, what: string, diagnostics: Diagnostics): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  diagnostics.warn('invalid-number', `${what} must be a finite number >= 0, got ${describe(value)}; dropped`);
  return undefined;
}

/** Any finite number (loss may legitimately be negative). */
export function finite(value: unknown, what: string, diagnostics: Diagnostics): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  diagnostics.warn('invalid-number', `${what} must be a finite number, got ${describe(value)}; dropped`);
  return undefined;
}

/** A token/sample count: a safe integer ≥ 0. */
export function count(value: unknown, what: string, diagnostics: Diagnostics): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  diagnostics.warn('invalid-token-count', `${what} must be an integer >= 0, got ${describe(value)}; dropped`);
  return undefined;
}

/** A ratio in [0, 1]. */
export function ratio(value: unknown, what: string, diagnostics: Diagnostics): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  diagnostics.warn('invalid-number', `${what} must be a number in [0, 1], got ${describe(value)}; dropped`);
  return undefined;
}

/** Whether `value` is a TCP port: an integer in 1..65535. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A TCP port, or undefined (with a diagnostic when one was given but invalid). */
export function port(value: unknown, diagnostics: Diagnostics): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (isPort(value)) return value;
  diagnostics.warn(
    'invalid-attribute',
    `serverPort must be an integer in 1..65535, got ${describe(value)}; dropped`,
  );
  return undefined;
}

/** Short, safe description of a bad value for a diagnostic (never the value of a long string). */
export function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (value === null) return 'null';
  return `a value of type ${typeof value}`;
}
