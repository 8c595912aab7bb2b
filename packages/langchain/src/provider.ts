/**
 * `gen_ai.provider.name` of a LangChain model run: from the `ls_provider`
 * LangChain's chat models put in a run's metadata (`openai`, `anthropic`,
 * `amazon_bedrock`, `google_vertexai`…), else from the model's class in its
 * serialized id (`ChatOpenAI`, `ChatAnthropic`…), as the conventions spell them.
 */
import { OTHER_VALUE } from '@tokenmeter/llm';
import { isObject, nonEmptyString } from '@tokenmeter/llm/integration';

/** LangChain's `ls_provider` values, and what the conventions call each. */
const LS_PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  anthropic: 'anthropic',
  amazon_bedrock: 'aws.bedrock',
  bedrock: 'aws.bedrock',
  google_vertexai: 'gcp.vertex_ai',
  google_genai: 'gcp.gemini',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
  ibm: 'ibm.watsonx.ai',
  watsonx: 'ibm.watsonx.ai',
  ollama: 'ollama',
};

/** Chat model and LLM classes, for runs without `ls_provider`. */
const CLASSES: Readonly<Record<string, string>> = {
  ChatOpenAI: 'openai',
  OpenAI: 'openai',
  AzureChatOpenAI: 'azure.ai.openai',
  AzureOpenAI: 'azure.ai.openai',
  ChatAnthropic: 'anthropic',
  ChatBedrockConverse: 'aws.bedrock',
  BedrockChat: 'aws.bedrock',
  ChatVertexAI: 'gcp.vertex_ai',
  ChatGoogleGenerativeAI: 'gcp.gemini',
  ChatMistralAI: 'mistral_ai',
  ChatGroq: 'groq',
  ChatDeepSeek: 'deepseek',
  ChatXAI: 'x_ai',
  ChatCohere: 'cohere',
  ChatOllama: 'ollama',
  Ollama: 'ollama',
};

/** What an unknown `ls_provider` may look like to be recorded as given. */
const PLAIN = /^[a-z][a-z0-9_.-]{0,31}$/;

/**
 * The provider of a model run: a known `ls_provider`, else a known class in
 * `serialized.id`, else an unknown `ls_provider` that looks like a plain
 * name (lower case, at most 32 characters; `@tokenmeter/llm` also bounds how
 * many distinct values it records), else `_OTHER`.
 */
export function providerOf(serialized: unknown, metadata: unknown): string {
  const ls = isObject(metadata) ? nonEmptyString(metadata.ls_provider) : undefined;
  const known = ls === undefined ? undefined : LS_PROVIDERS[ls.toLowerCase()];
  if (known !== undefined) return known;
  const id = isObject(serialized) ? serialized.id : undefined;
  const cls = Array.isArray(id) ? nonEmptyString(id.at(-1)) : undefined;
  const byClass = cls === undefined ? undefined : CLASSES[cls];
  if (byClass !== undefined) return byClass;
  return ls !== undefined && PLAIN.test(ls) ? ls : OTHER_VALUE;
}
