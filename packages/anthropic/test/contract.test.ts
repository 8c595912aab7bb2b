import Anthropic from '@anthropic-ai/sdk';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { anthropicAdapter } from './adapter.js';

runIntegrationContract(anthropicAdapter('@anthropic-ai/sdk 1', Anthropic as never));
