import type { CanaryAnalysis } from '@ias/delivery/canary';
import {
  JUDGED_MAX_TIMEOUT_MINUTES,
  JUDGED_STEP_OVERHEAD_MINUTES,
  judgedBakesMinutes,
  judgedTimeoutMinutes,
  LAMBDA_STRATEGIES,
  lambdaSplit,
  type LambdaStrategy,
} from '@ias/targets';
import type { z } from 'zod';
import { type CanaryAnalysisProfile, watcherAnalysis } from './canary-analysis-schema';

/**
 * What a judged function deployment runs with in one environment: the judged-deploy step's
 * UserParameters and `ias-ops deploy lambda`'s `deployJudged` options, from one place.
 */
export interface JudgedLambdaSettings {
  /** The new version's weights in percent, rising, ending at 100 (`lambda.judgedSteps`). */
  readonly steps: readonly number[];
  /** How each step below 100 is judged (the profile's `canaryAnalysis`, in delivery's form). */
  readonly analysis: CanaryAnalysis;
  /** From the first shift: twice the bakes, within what CodePipeline allows (`judgedTimeoutMinutes`). */
  readonly timeoutMinutes: number;
}

/**
 * The judged deployment settings of an environment's functions, from its profile's `lambda`;
 * undefined unless its strategy is one the pipeline's own step runs (controller `PIPELINE`: `judged`).
 *
 * @throws Error when judging is off there (the profile's check refuses such a profile first)
 */
export function judgedLambdaSettings(lambda: {
  readonly deployment: LambdaStrategy;
  readonly judgedSteps: readonly number[];
  readonly canaryAnalysis?: CanaryAnalysisProfile;
}): JudgedLambdaSettings | undefined {
  if (LAMBDA_STRATEGIES[lambda.deployment].controller !== 'PIPELINE') {
    return undefined;
  }
  const analysis = watcherAnalysis(lambda.canaryAnalysis, lambdaSplit(lambda.deployment));
  if (!analysis) {
    throw new Error(
      `lambda.deployment ${lambda.deployment} needs lambda.canaryAnalysis.enabled: the profile's check refuses it without`,
    );
  }
  return {
    steps: [...lambda.judgedSteps],
    analysis,
    timeoutMinutes: judgedTimeoutMinutes(lambda.judgedSteps, analysis.bakeMinutes),
  };
}

/**
 * Checks what a judged deployment needs of the profile's `lambda`, reporting at its fields: the
 * judge on, with a bake of its own (each step bakes it), and bakes that fit in the longest time-out
 * a judged deployment may have. Nothing to check under the CodeDeploy strategies.
 */
export function checkJudgedLambda(
  l: {
    readonly deployment: LambdaStrategy;
    readonly judgedSteps: readonly number[];
    readonly canaryAnalysis?: { readonly enabled: boolean; readonly bakeMinutes?: number };
  },
  ctx: z.RefinementCtx,
): void {
  if (LAMBDA_STRATEGIES[l.deployment].controller !== 'PIPELINE') return;
  const analysis = l.canaryAnalysis;
  if (!analysis?.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['canaryAnalysis', 'enabled'],
      message: `must be true with deployment ${l.deployment}: the canary judge is what moves a judged deployment from one step to the next`,
    });
    return;
  }
  if (analysis.bakeMinutes === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['canaryAnalysis', 'bakeMinutes'],
      message: `must be set with deployment ${l.deployment}: each step of judgedSteps below 100 bakes that many minutes (a judged deployment has no split of its own to take it from)`,
    });
    return;
  }
  const bakes = judgedBakesMinutes(l.judgedSteps, analysis.bakeMinutes);
  if (bakes > JUDGED_MAX_TIMEOUT_MINUTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['judgedSteps'],
      message: `take up to ${bakes} minutes with canaryAnalysis.bakeMinutes ${analysis.bakeMinutes} (each step below 100 bakes, plus ${JUDGED_STEP_OVERHEAD_MINUTES} minutes until its minutes are in CloudWatch), more than the ${JUDGED_MAX_TIMEOUT_MINUTES} a judged deployment may run (CodePipeline ends a Lambda action after 24 hours): fewer steps or a shorter bake`,
    });
  }
}
