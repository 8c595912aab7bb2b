import { describe, expect, it } from 'vitest';
import { endpointFromBaseURL, openAiErrorType } from '../src/index.js';

describe('endpointFromBaseURL', () => {
  it.each([
    ['https://api.openai.com/v1', 'openai', 'api.openai.com', 443],
    ['https://my-res.openai.azure.com/openai', 'azure.ai.openai', 'my-res.openai.azure.com', 443],
    [
      'https://x.cognitiveservices.azure.com/openai/v1',
      'azure.ai.openai',
      'x.cognitiveservices.azure.com',
      443,
    ],
    ['https://api.groq.com/openai/v1', 'groq', 'api.groq.com', 443],
    ['http://localhost:11434/v1', 'openai', 'localhost', 11434],
    ['http://10.0.0.5/v1', 'openai', '10.0.0.5', 80],
    ['http://[::1]:8000/v1', 'openai', '::1', 8000],
  ])('%s → %s %s:%s', (url, provider, address, port) => {
    expect(endpointFromBaseURL(url)).toEqual({
      providerName: provider,
      serverAddress: address,
      serverPort: port,
    });
  });

  it('treats an AzureOpenAI client as azure.ai.openai and survives garbage', () => {
    expect(endpointFromBaseURL('http://gateway.internal/v1', true).providerName).toBe('azure.ai.openai');
    expect(endpointFromBaseURL('not a url')).toEqual({
      providerName: 'openai',
      serverAddress: undefined,
      serverPort: undefined,
    });
    expect(endpointFromBaseURL(undefined).serverAddress).toBeUndefined();
  });
});

describe('openAiErrorType', () => {
  class APIConnectionError extends Error {}
  class RateLimitError extends Error {
    status = 429;
  }
  it('maps status, SDK classes, DOM errors, then the fallback', () => {
    expect(openAiErrorType(new RateLimitError())).toBe('429');
    expect(openAiErrorType(new APIConnectionError())).toBe('APIConnectionError');
    expect(openAiErrorType(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe('aborted');
    class APIUserAbortError extends Error {}
    class APIConnectionTimeoutError extends Error {}
    expect(openAiErrorType(new APIUserAbortError())).toBe('aborted');
    expect(openAiErrorType(new APIConnectionTimeoutError())).toBe('timeout');
    expect(openAiErrorType(new TypeError('terminated'))).toBe('APIConnectionError');
    expect(openAiErrorType(new Error('x', { cause: { code: 'ECONNRESET' } }))).toBe('APIConnectionError');
    expect(openAiErrorType(new TypeError('other'))).toBe('_OTHER');
    expect(openAiErrorType(new RangeError('x'), () => 'RangeError')).toBe('RangeError');
    expect(
      openAiErrorType('x', () => {
        throw new Error();
      }),
    ).toBe('_OTHER');
  });
});
