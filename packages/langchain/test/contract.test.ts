import { ChatOpenAI } from '@langchain/openai';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { langChainAdapter } from './adapter.js';

runIntegrationContract(langChainAdapter('@langchain/core 1 (@langchain/openai 1)', ChatOpenAI));
