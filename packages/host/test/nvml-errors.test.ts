import { expect, it } from 'vitest';
import { describeNvmlError, NvmlReturn, nvmlErrorName } from '../src/nvml-errors.js';

it('maps every nvmlReturn_t code to a named, explained diagnostic', () => {
  for (const [name, code] of Object.entries(NvmlReturn)) {
    expect(nvmlErrorName(code)).toBe(code === 0 ? 'NVML_SUCCESS' : `NVML_ERROR_${name}`);
    const text = describeNvmlError(code);
    expect(text).toContain(`(${code}): `);
    expect(text).not.toMatch(/unrecognised/);
  }
  expect(describeNvmlError(15)).toMatch(/fell off the bus/);
  expect(describeNvmlError(4242)).toBe(
    'NVML_ERROR_4242 (4242): unrecognised NVML return code (newer driver than this binding)',
  );
});
