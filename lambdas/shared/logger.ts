/**
 * The one structured logger of the handlers. Every line carries the service
 * name of the pipeline; `withPhase` adds deploymentId, service and phase.
 * Log only ids, ARNs and key names: never a secret value (docs/architecture.md I5).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: 'baton',
  logLevel: (process.env.BATON_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as 'INFO',
});
