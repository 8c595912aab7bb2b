/**
 * Zero-code entry point: `node --import @tokenmeter/setup/register app.js`.
 * Configures everything from the `OTEL_*` environment. A bad value stops the
 * process at start-up with an error naming the variable — better than running
 * for days without the metrics you thought you had.
 */
import { registerMetrics } from './register-metrics.js';

const handle = registerMetrics();
handle.ready.then(
  () => {
    if (handle.prometheus?.url) process.stderr.write(`tokenmeter: metrics at ${handle.prometheus.url}\n`);
  },
  (error: Error) => process.stderr.write(`tokenmeter: ${error.message}\n`),
);
