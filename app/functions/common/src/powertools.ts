import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** One logger, metrics and tracer per function, as Powertools recommends (module scope). */
export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * Powertools for a function, its metrics in `namespace` (the setting POWERTOOLS_METRICS_NAMESPACE).
 * Powertools reads its other `POWERTOOLS_*` variables itself (log level, tracing on or off).
 */
export function powertools(serviceName: string, namespace = 'Inventory'): Powertools {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ serviceName, namespace }),
    tracer: new Tracer({ serviceName }),
  };
}
