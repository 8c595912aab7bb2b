import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { Ollama } from 'ollama';
import { ollamaAdapter } from './adapter.js';

runIntegrationContract(ollamaAdapter('ollama 0.6', Ollama));
