import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';

/**
 * Reads the `context` of cdk.json (feature flags and validation settings), so that a synth run
 * in-process by `npm start` uses exactly the settings the CDK CLI would pass.
 */
export function readCdkJsonContext(cdkJsonPath: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
    return parsed.context ?? {};
  } catch (err) {
    throw new ConfigError(`${cdkJsonPath} could not be read as JSON: ${(err as Error).message}`);
  }
}
