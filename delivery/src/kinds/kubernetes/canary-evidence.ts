/**
 * The evidence of a judged Kubernetes deploy: each look the switch's canary judge takes, kept in the
 * environment's release ledger table (`canary/evidence.ts`: partition `canary#<id>`, one item a look)
 * under the deploy's own id, the CodeBuild build ID of the deploy project's run (`CODEBUILD_BUILD_ID`),
 * which `ias-ops deployments list` shows the live verdict of, and whose last look the release then
 * carries (`ReleaseChange.canary`, written by whoever records the release: the pipeline step or
 * `ias-ops deploy kubernetes`, which read it back by that build ID).
 *
 * A look that cannot be kept (no permission, no table, DynamoDB throttling) is reported and judged
 * all the same: the evidence is never a reason to stop judging, nor to leave users on a failing color.
 *
 * The caller needs `dynamodb:PutItem` on the table (and the use of its key through DynamoDB).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CanaryEvidence, recordCanaryLook } from '../../canary/evidence.js';
import { describeError } from '../../errors.js';
import type { Clock } from '../../time.js';
import type { CanaryWatch } from './canary-watch.js';

/** The variable CodeBuild sets to the build's ID (`<project>:<UUID>`): the id a deploy's looks are kept under. */
export const DEPLOY_ID_VARIABLE = 'CODEBUILD_BUILD_ID';

/** Options of {@link keepingLooks}. */
export interface KeepingLooksOptions {
  readonly dynamodb: DynamoDBClient;
  /** The environment's release ledger table. */
  readonly table: string;
  /** The deploy's id: its CodeBuild build ID. */
  readonly deploymentId: string;
  /** When each look is taken. */
  readonly clock: Pick<Clock, 'now'>;
  /** Receives one line when a look cannot be kept. */
  readonly say: (line: string) => void;
}

/** A {@link CanaryWatch} that keeps its looks, and the last one it kept. */
export interface KeptCanaryWatch extends CanaryWatch {
  /** The last look kept, as stored. @default - none kept yet */
  readonly lastKept: () => CanaryEvidence | undefined;
}

/**
 * `watch`, each of its looks kept with `recordCanaryLook` before the switch acts on it (see the
 * file's header): a look that cannot be kept is said and returned all the same.
 */
export function keepingLooks(watch: CanaryWatch, options: KeepingLooksOptions): KeptCanaryWatch {
  let last: CanaryEvidence | undefined;
  return {
    analysis: watch.analysis,
    lastKept: () => last,
    async judge(window, sides) {
      const look = await watch.judge(window, sides);
      try {
        last = await recordCanaryLook(
          options.dynamodb,
          options.table,
          options.deploymentId,
          look,
          new Date(options.clock.now()),
        );
      } catch (error) {
        options.say(
          `canary: look ${look.look} of ${options.deploymentId} not kept in ${options.table} (${describeError(error)}); judging goes on`,
        );
      }
      return look;
    },
  };
}
