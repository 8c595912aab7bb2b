/** Thrown by registerHostMetrics() for an option it cannot use; never thrown at record or collection time. */
export class HostMetricsConfigError extends TypeError {
  constructor(message: string) {
    super(`@tokenmeter/host: ${message}`);
    this.name = 'HostMetricsConfigError';
  }
}
