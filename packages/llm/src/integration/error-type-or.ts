/**
 * The last step of an integration's public error classifier
 * (`openAiErrorType(err, llm.errorType)`).
 */
import { OTHER_VALUE } from '../semconv.js';

/**
 * What `classify` (usually the `LlmMetrics` instance's `errorType`, which may
 * be a user's own object) makes of `err`, or `_OTHER` when it gives nothing
 * or throws.
 */
export function errorTypeOr(err: unknown, classify: ((err: unknown) => string) | undefined): string {
  if (classify) {
    try {
      const type = classify(err);
      if (typeof type === 'string' && type) return type;
    } catch {
      // a broken classifier must not break the recording
    }
  }
  return OTHER_VALUE;
}
