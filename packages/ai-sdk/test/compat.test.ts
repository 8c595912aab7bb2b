import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import * as ai5 from 'ai-v5';
import * as ai6 from 'ai-v6';
import * as compat1 from 'openai-compatible-v1';
import * as compat2 from 'openai-compatible-v2';
import { type AiSdk, aiSdkAdapter, type OpenAiCompatible } from './adapter.js';

// The same middleware under the older majors the peer range admits, each
// running the whole integration contract over real HTTP against the
// simulator: `ai` 5 (LanguageModelV2: flat usage, string finish reasons)
// with @ai-sdk/openai-compatible 1, and `ai` 6 (LanguageModelV3) with
// @ai-sdk/openai-compatible 2. middleware.test.ts covers `ai` 7 in depth.
runIntegrationContract(
  aiSdkAdapter('ai 5 (LanguageModelV2)', ai5 as unknown as AiSdk, compat1 as OpenAiCompatible),
);
runIntegrationContract(
  aiSdkAdapter('ai 6 (LanguageModelV3)', ai6 as unknown as AiSdk, compat2 as OpenAiCompatible),
);
