import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import OpenAI from 'openai';
import { openAiAdapter } from './adapter.js';

runIntegrationContract(openAiAdapter('openai 7', OpenAI as never));
