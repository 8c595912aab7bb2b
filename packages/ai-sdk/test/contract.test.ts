import * as compat from '@ai-sdk/openai-compatible';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import * as ai from 'ai';
import { aiSdkAdapter } from './adapter.js';

runIntegrationContract(aiSdkAdapter('ai 7', ai, compat));
