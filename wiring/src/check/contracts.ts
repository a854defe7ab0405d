import { greenCheckEnvironmentSchema } from '@ias/delivery/src/ecs/green-check';
import { hookEnvironmentSchema } from '@ias/delivery/src/traffic-hook';
import type { ZodType } from 'zod';
import type { DatabaseClient } from './database';

/**
 * What a workload's code expects of its surroundings, read from the code itself: the schema it
 * parses its environment with at start, and the database client those settings make.
 */
export interface WorkloadContract {
  /** The schema the code parses its environment with at start (the same object, imported). */
  readonly settings?: ZodType;
  /** Settings a deployed workload must have, or must not have, with what goes wrong otherwise. */
  readonly deployed?: Readonly<
    Record<string, { readonly rule: 'required' | 'forbidden'; readonly why: string }>
  >;
  /** The database client the parsed settings describe, if the workload uses the database. */
  readonly database?: (
    settings: unknown,
    injected: Readonly<Record<string, string>>,
  ) => DatabaseClient | undefined;
}

/** Variables the Lambda runtime and Amazon ECS set themselves. */
export const RUNTIME_VARIABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  function: {
    AWS_REGION: 'ap-northeast-1',
    AWS_DEFAULT_REGION: 'ap-northeast-1',
    AWS_LAMBDA_FUNCTION_NAME: 'fn',
  },
  task: { AWS_REGION: 'ap-northeast-1', AWS_DEFAULT_REGION: 'ap-northeast-1' },
  build: { AWS_REGION: 'ap-northeast-1', AWS_DEFAULT_REGION: 'ap-northeast-1', CODEBUILD_BUILD_ARN: 'arn' },
};

/** Each recording's contract. A workload without one is checked for permissions and network only. */
export const CONTRACTS: Readonly<Record<string, WorkloadContract>> = {
  'delivery:traffic-hook': { settings: hookEnvironmentSchema },
  'delivery:green-check': { settings: greenCheckEnvironmentSchema },
};
