/**
 * @tokenmeter/tfjs — training-step metrics from TensorFlow.js `model.fit()` /
 * `model.fitDataset()` through `@tokenmeter/llm`'s training API.
 */
export {
  type Logs,
  type TfjsCallbackOptions,
  type TfjsTrainingCallback,
  tfjsTrainingCallback,
} from './callback.js';
