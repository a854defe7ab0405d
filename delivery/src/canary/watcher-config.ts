import { z } from 'zod';
import { describeIssues } from '../schemas.js';

const configSchema = z.object({
  /**
   * The SSM path under which each judged deployment group describes itself (`/…/canary-watch`, no
   * trailing slash: the ARN IAM authorizes GetParametersByPath on is the path's own).
   */
  CANARY_WATCH_PATH: z
    .string({ error: 'is required' })
    // eslint-disable-next-line security/detect-unsafe-regex -- each repetition starts with a / its class excludes: one way to match
    .regex(/^(\/[A-Za-z0-9_.-]+)+$/, 'must be an SSM path such as /ias/dev/canary-watch (no trailing slash)'),
  /** The environment's releases table, where each look is kept. */
  RELEASES_TABLE: z
    .string({ error: 'is required' })
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
});

/** The canary watcher's settings. */
export interface CanaryWatcherConfig {
  readonly groupsPath: string;
  readonly releasesTable: string;
}

/**
 * The canary watcher's settings, from its function's environment.
 * @throws Error naming every variable that is missing or wrong
 */
export function readCanaryWatcherConfig(env: Record<string, string | undefined>): CanaryWatcherConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new Error(`the canary watcher is misconfigured: ${describeIssues(result.error)}`);
  }
  return { groupsPath: result.data.CANARY_WATCH_PATH, releasesTable: result.data.RELEASES_TABLE };
}
