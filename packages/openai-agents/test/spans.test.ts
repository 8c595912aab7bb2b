import { describe, expect, it } from 'vitest';
import { spanErrorType } from '../src/index.js';

// What the OpenAI SDK and the Agents SDK put in a span's error (`setSpanError`:
// the error's message, and for runs `data.error`, the error as a string).
describe('spanErrorType', () => {
  it.each([
    [{ message: '500 The server had an error' }, '500'],
    [{ message: 'Error in agent run', data: { error: 'Error: 429 Rate limit reached' } }, '429'],
    [
      { message: 'Error in agent run', data: { error: 'MaxTurnsExceededError: Max turns (2) exceeded' } },
      'MaxTurnsExceededError',
    ],
    [
      {
        message: 'Error in agent run',
        data: { error: 'InputGuardrailTripwireTriggered: Input guardrail triggered' },
      },
      'InputGuardrailTripwireTriggered',
    ],
    [{ message: 'Request timed out.' }, 'timeout'],
    [{ message: 'Error in agent run', data: { error: 'Error: Request was aborted.' } }, 'aborted'],
    [{ message: 'Connection error.' }, 'APIConnectionError'],
    [{ message: 'Error in agent run', data: { error: 'Error: something else' } }, '_OTHER'],
    [{ message: 'Error running tool (non-fatal)' }, '_OTHER'],
    [null, '_OTHER'],
    ['a string', '_OTHER'],
  ])('%j → %s', (error, expected) => {
    expect(spanErrorType(error)).toBe(expected);
  });
});
