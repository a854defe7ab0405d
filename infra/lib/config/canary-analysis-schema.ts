import type { CanaryAnalysis } from '@ias/delivery/canary';
import {
  type Ec2DeploymentSettings,
  ec2Split,
  type KubernetesDeploymentSettings,
  kubernetesSplit,
  LAMBDA_STRATEGIES,
  lambdaSplit,
  type LambdaStrategy,
  serviceSplit,
  type ServiceStrategy,
  type ServiceTraffic,
  type SplitWindow,
} from '@ias/targets';
import { z } from 'zod';

const margin = z.number().min(1, 'must be at least 1 (a ratio canary/baseline)').max(10);

/**
 * A kind's `canaryAnalysis` in a profile: whether the canary judge decides its deployments in this
 * environment, and how (`@ias/delivery/canary`; README "Canary analysis"). Absent: not judged, the
 * static alarms alone stop a deployment (they still do when judged).
 */
export const canaryAnalysisProfileSchema = z
  .object({
    /** Judge this kind's deployments. */
    enabled: z.boolean(),
    /**
     * What the last look does with a verdict still `inconclusive`: `rollback` (the new version has not
     * shown itself no worse) or `continue` (let the deployment go on, as without judging).
     */
    inconclusive: z.enum(['rollback', 'continue']).default('rollback'),
    /** End the bake on a confident `pass`, where the controller allows it. */
    earlyPromotion: z.boolean().default(true),
    /**
     * Minutes judged, one look a minute (the judge's alpha is spent over them). At most, and by
     * default, one less than the minutes the kind's deployment keeps both versions serving (the
     * minute in progress is never read; the plan shows them).
     * @default - those minutes less one
     */
    bakeMinutes: z.number().int().min(2).max(1440).optional(),
    /** The whole bake's significance level. @default 0.05 */
    alpha: z.number().gt(0).max(0.2, 'must be at most 0.2').optional(),
    /** The error rate's margins (canary/baseline ratios). @default - fail 1.1, pass 2.5, ceiling 0.001 */
    errorRate: z
      .object({
        failMargin: margin.optional(),
        passMargin: margin.optional(),
        ceiling: z.number().gt(0).lt(1).optional(),
      })
      .strict()
      .optional(),
    /** p50 latency's margins. @default - fail 1.1, pass 1.3 */
    p50: z.object({ failMargin: margin.optional(), passMargin: margin.optional() }).strict().optional(),
    /** p99 latency's margins. @default - fail 1.05, pass 1.3 */
    p99: z.object({ failMargin: margin.optional(), passMargin: margin.optional() }).strict().optional(),
  })
  .strict();

/** A kind's `canaryAnalysis`, validated. */
export type CanaryAnalysisProfile = z.output<typeof canaryAnalysisProfileSchema>;

/**
 * The looks a split of `minutes` allows: a look a minute, each over the complete minutes so far, the
 * minute in progress left out (CloudWatch's latest is still filling), so the last look of a split
 * comes with one minute fewer than it lasts.
 */
export function lookMinutes(minutes: number): number {
  return Math.max(1, minutes - 1);
}

/**
 * Checks a kind's `canaryAnalysis` against its strategy's split (judging on needs one, and
 * `bakeMinutes` must fit in it), reporting at `path` (the kind's field).
 */
export function checkCanaryAnalysis(
  analysis: CanaryAnalysisProfile | undefined,
  window: SplitWindow,
  ctx: z.RefinementCtx,
): void {
  if (!analysis?.enabled) return;
  if ('unjudgeable' in window) {
    ctx.addIssue({
      code: 'custom',
      path: ['canaryAnalysis', 'enabled'],
      message: `cannot be true: ${window.unjudgeable}`,
    });
    return;
  }
  if (analysis.bakeMinutes !== undefined && analysis.bakeMinutes > lookMinutes(window.minutes)) {
    ctx.addIssue({
      code: 'custom',
      path: ['canaryAnalysis', 'bakeMinutes'],
      message: `must be at most ${lookMinutes(window.minutes)}: the deployment keeps both versions serving ${window.minutes} minutes, and CloudWatch's latest minute is still filling`,
    });
  }
  if (window.minutes < 3) {
    ctx.addIssue({
      code: 'custom',
      path: ['canaryAnalysis', 'enabled'],
      message: `cannot be true: the deployment keeps both versions serving ${window.minutes} minutes, and the judge needs 3 at least (2 complete minutes of both sides)`,
    });
  }
}

/**
 * What the watcher receives of a kind's judging (delivery's `CanaryAnalysis`), or undefined when the
 * kind is not judged here. `window` must be judgeable (the profile's check saw to it).
 */
export function watcherAnalysis(
  analysis: CanaryAnalysisProfile | undefined,
  window: SplitWindow,
): CanaryAnalysis | undefined {
  if (!analysis?.enabled || !('minutes' in window)) return undefined;
  const { alpha, errorRate, p50, p99 } = analysis;
  return {
    judge: {
      ...(alpha !== undefined && { alpha }),
      ...(errorRate && { errorRate }),
      ...(p50 && { p50 }),
      ...(p99 && { p99 }),
    },
    bakeMinutes: analysis.bakeMinutes ?? lookMinutes(window.minutes),
    inconclusive: analysis.inconclusive,
    earlyPromotion: analysis.earlyPromotion,
  };
}

/**
 * Each kind's judging in an environment, as the watcher receives it (undefined: not judged), from
 * the profile and the kind's strategy.
 */
export function environmentCanaryAnalysis(profile: {
  readonly lambda: { readonly deployment: LambdaStrategy; readonly canaryAnalysis?: CanaryAnalysisProfile };
  readonly service: {
    readonly deployment: { readonly strategy: ServiceStrategy; readonly traffic: ServiceTraffic };
    readonly canaryAnalysis?: CanaryAnalysisProfile;
  };
  readonly kubernetes?: {
    readonly enabled: boolean;
    readonly deployment: KubernetesDeploymentSettings;
    readonly canaryAnalysis?: CanaryAnalysisProfile;
  };
  readonly ec2?: {
    readonly enabled: boolean;
    readonly deployment: Ec2DeploymentSettings;
    readonly canaryAnalysis?: CanaryAnalysisProfile;
  };
}) {
  const { lambda, service, kubernetes, ec2 } = profile;
  return {
    function: watcherAnalysis(lambda.canaryAnalysis, lambdaSplit(lambda.deployment)),
    service: watcherAnalysis(service.canaryAnalysis, serviceSplit(service.deployment)),
    kubernetes: kubernetes?.enabled
      ? watcherAnalysis(kubernetes.canaryAnalysis, kubernetesSplit(kubernetes.deployment))
      : undefined,
    ec2: ec2?.enabled ? watcherAnalysis(ec2.canaryAnalysis, ec2Split(ec2.deployment)) : undefined,
  };
}

/**
 * Whether functions are judged by the CodeDeploy canary watcher: judged, and shifted by CodeDeploy
 * (the `judged` strategy's own pipeline step judges them itself).
 */
export function functionsWatched(
  profile: Parameters<typeof environmentCanaryAnalysis>[0],
): CanaryAnalysis | undefined {
  const judged = environmentCanaryAnalysis(profile).function;
  return LAMBDA_STRATEGIES[profile.lambda.deployment].controller === 'CODE_DEPLOY' ? judged : undefined;
}

/**
 * Whether the environment needs its CodeDeploy canary watcher: a judged kind that CodeDeploy deploys
 * (functions on CodeDeploy, container services on CodeDeploy blue/green, EC2). Kubernetes
 * applications are judged by their own switch, the `judged` Lambda strategy by its pipeline step.
 */
export function needsCanaryWatcher(profile: Parameters<typeof environmentCanaryAnalysis>[0]): boolean {
  const analysis = environmentCanaryAnalysis(profile);
  return [functionsWatched(profile), analysis.service, analysis.ec2].some((a) => a !== undefined);
}
