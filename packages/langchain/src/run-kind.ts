/**
 * Which chain runs are agent or workflow invocations. Every LCEL step (a
 * prompt template, a parser, a lambda, a graph node) reports itself as a
 * chain run, so only a run with no parent — what the application invoked —
 * is measured: `invoke_agent` for an agent, `invoke_workflow` for anything
 * else (an LCEL chain, a LangGraph graph).
 */
import { isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/**
 * `invoke_agent` for LangChain's agents: `createAgent()` (langchain 1.x,
 * whose runs carry `ls_integration: 'langchain_create_agent'`) and the
 * legacy `AgentExecutor`; `invoke_workflow` for any other root chain run.
 */
export function chainOperation(serialized: unknown, metadata: unknown): 'invoke_agent' | 'invoke_workflow' {
  if (isObject(metadata) && metadata.ls_integration === 'langchain_create_agent') return 'invoke_agent';
  const id = isObject(serialized) ? serialized.id : undefined;
  if (Array.isArray(id) && id.at(-1) === 'AgentExecutor') return 'invoke_agent';
  return 'invoke_workflow';
}

/**
 * The name an application gave an agent or workflow (`createAgent({ name })`,
 * `.withConfig({ runName })`): the run's name, unless it is only the
 * runnable's class or LangGraph's default (`LangGraph`), which name nothing.
 */
export function chainName(serialized: unknown, runName: unknown): string | undefined {
  const name = nonEmptyString(runName);
  if (name === undefined || name === 'LangGraph') return undefined;
  const id = isObject(serialized) ? serialized.id : undefined;
  return Array.isArray(id) && id.at(-1) === name ? undefined : name;
}
