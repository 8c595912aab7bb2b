/**
 * Input validation at the API boundary: garbage is dropped (undefined) with
 * one diagnostic per kind, never recorded.
 */
import type { Diagnostics } from './diagnostics.js';

/** A finite number ≥ 0, else undefined (missing values are silently undefined). */
export function nonNegative(v: unknown, what: string, d: Diagnostics): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  d.warn('invalid-number', `${what} must be a finite number >= 0, got ${describe(v)}; dropped`);
  return undefined;
}

/** Any finite number (loss may legitimately be negative). */
export function finite(v: unknown, what: string, d: Diagnostics): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  d.warn('invalid-number', `${what} must be a finite number, got ${describe(v)}; dropped`);
  return undefined;
}

/** A token/sample count: a safe integer ≥ 0. */
export function count(v: unknown, what: string, d: Diagnostics): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  d.warn('invalid-token-count', `${what} must be an integer >= 0, got ${describe(v)}; dropped`);
  return undefined;
}

/** A ratio in [0, 1]. */
export function ratio(v: unknown, what: string, d: Diagnostics): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && v >= 0 && v <= 1) return v;
  d.warn('invalid-number', `${what} must be a number in [0, 1], got ${describe(v)}; dropped`);
  return undefined;
}

/** Whether `v` is a TCP port: an integer in 1..65535. */
export function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** A TCP port, or undefined (with a diagnostic when one was given but invalid). */
export function port(v: unknown, d: Diagnostics): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (isPort(v)) return v;
  d.warn('invalid-attribute', `serverPort must be an integer in 1..65535, got ${describe(v)}; dropped`);
  return undefined;
}

/** Short, safe description of a bad value for a diagnostic (never the value of a long string). */
export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `a string of length ${v.length}`;
  if (v === null) return 'null';
  return `a value of type ${typeof v}`;
}
