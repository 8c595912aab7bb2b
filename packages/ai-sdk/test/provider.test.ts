import { describe, expect, it } from 'vitest';
import { isOutputChunk } from '../src/extract.js';
import { aiSdkErrorType, operationFromId, providerFromId } from '../src/index.js';

describe('providerFromId', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gcp.gemini'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['azure.chat', 'azure.ai.openai'],
    ['azure', 'azure.ai.openai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['mistral.chat', 'mistral_ai'],
    ['xai.chat', 'x_ai'],
    ['groq.chat', 'groq'],
    ['deepseek.chat', 'deepseek'],
    ['cohere.chat', 'cohere'],
    ['perplexity', 'perplexity'],
    ['vllm.chat', 'vllm'],
    ['OpenRouter.chat', 'OpenRouter'],
    ['openai-compatible', 'openai-compatible'],
    ['', '_OTHER'],
    [undefined, '_OTHER'],
  ])('%s → %s', (id, expected) => {
    expect(providerFromId(id)).toBe(expected);
  });

  it('does not match partial segments and bounds unknown ids', () => {
    expect(providerFromId('openaix.chat')).toBe('openaix');
    expect(providerFromId(`${'p'.repeat(200)}.chat`)).toHaveLength(64);
  });

  it('operation', () => {
    expect(operationFromId('vllm.chat')).toBe('chat');
    expect(operationFromId('vllm.completion')).toBe('text_completion');
  });
});

describe('aiSdkErrorType', () => {
  it('maps statuses, aborts, socket codes and in-stream error objects', () => {
    expect(aiSdkErrorType({ name: 'AI_APICallError', statusCode: 429 })).toBe('429');
    expect(aiSdkErrorType(new DOMException('x', 'AbortError'))).toBe('aborted');
    expect(aiSdkErrorType(new DOMException('x', 'TimeoutError'))).toBe('timeout');
    const refused = Object.assign(new Error('Cannot connect'), {
      cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    });
    expect(aiSdkErrorType(refused)).toBe('ECONNREFUSED');
    expect(aiSdkErrorType({ message: 'x', type: 'server_error', code: null })).toBe('server_error');
    expect(aiSdkErrorType({ message: 'x', code: 'context_length_exceeded' })).toBe('context_length_exceeded');
    expect(aiSdkErrorType('boom', () => '_OTHER')).toBe('_OTHER');
  });
});

describe('isOutputChunk', () => {
  it('counts output deltas, files and unstreamed tool calls only', () => {
    const s = { streamedToolCalls: new Set<string>() };
    expect(isOutputChunk({ type: 'text-delta', id: '1', delta: 'a' }, s)).toBe(true);
    expect(isOutputChunk({ type: 'text-delta', id: '1', delta: '' }, s)).toBe(false);
    expect(isOutputChunk({ type: 'reasoning-delta', id: '1', delta: 'a' }, s)).toBe(true);
    expect(isOutputChunk({ type: 'text-start', id: '1' }, s)).toBe(false);
    expect(isOutputChunk({ type: 'tool-input-delta', id: 't1', delta: '{' }, s)).toBe(true);
    expect(isOutputChunk({ type: 'tool-call', toolCallId: 't1' }, s)).toBe(false);
    expect(isOutputChunk({ type: 'tool-call', toolCallId: 't2' }, s)).toBe(true);
    expect(isOutputChunk({ type: 'finish' }, s)).toBe(false);
    expect(isOutputChunk({ type: 'file' }, s)).toBe(true);
  });
});
