import type { CanaryAnalysis } from '@ias/delivery/canary';
import {
  canaryWatcherNames,
  ec2Split,
  kubernetesSplit,
  LAMBDA_STRATEGIES,
  lambdaSplit,
  Naming,
  serviceSplit,
  type SplitWindow,
} from '@ias/targets';
import { environmentCanaryAnalysis, type CanaryAnalysisProfile } from '../config/canary-analysis-schema';
import type { EnvironmentConfig } from '../config/load';

/** How a judged kind is judged, in words: looks, level, what a verdict does. */
function how(a: CanaryAnalysis, promote: string): string {
  const alpha = a.judge.alpha ?? 0.05;
  return `${a.bakeMinutes} look${a.bakeMinutes === 1 ? '' : 's'} a minute apart, alpha ${alpha} spent over them; fail → rollback; pass → ${a.earlyPromotion ? promote : 'the deployment goes on at its pace'}; still inconclusive at the last look → ${a.inconclusive === 'rollback' ? 'rollback' : 'the deployment goes on'}`;
}

/** A kind's line: judged and how, or not and why. */
function line(
  kind: string,
  setting: CanaryAnalysisProfile | undefined,
  window: SplitWindow,
  judged: CanaryAnalysis | undefined,
  judgedLine: (a: CanaryAnalysis) => string,
): string {
  if (judged) return `    ${kind}: ${judgedLine(judged)}`;
  if (!setting?.enabled)
    return `    ${kind}: not judged (canaryAnalysis off): the static alarms alone stop a deployment`;
  return `    ${kind}: not judged: ${'unjudgeable' in window ? window.unjudgeable : 'no split'}`;
}

/** The environment's canary analysis in the plan: per kind, whether the judge decides and how. */
export function canaryPlanLines(env: EnvironmentConfig): string[] {
  const p = env.profile;
  const judged = environmentCanaryAnalysis(p);
  const watcher = canaryWatcherNames(new Naming(env.prefix, env.name)).function;
  const lines = [
    '  canary analysis (the judge beside the static alarms: errors by a conditional binomial test, p50/p99 by a paired signed-rank test, Holm-corrected):',
    line('functions', p.lambda.canaryAnalysis, lambdaSplit(p.lambda.deployment), judged.function, (a) =>
      LAMBDA_STRATEGIES[p.lambda.deployment].controller !== 'CODE_DEPLOY'
        ? `the pipeline's judged-deploy step holds the alias at each of ${p.lambda.judgedSteps.join(', ')} % and judges the new version against the current one (ExecutedVersion) every minute of each step: ${how(a, 'the next step at once')}`
        : `${watcher} every minute judges the alias's new version against the current one (ExecutedVersion) while CodeDeploy splits the traffic: ${how(a, 'CodeDeploy goes on at its pace (it cannot shorten its interval)')}`,
    ),
    line(
      'services',
      p.service.canaryAnalysis,
      serviceSplit(p.service.deployment),
      judged.service,
      (a) =>
        `${watcher} every minute judges the green target group against the blue while CodeDeploy splits the traffic: ${how(a, 'CodeDeploy goes on at its pace (it cannot shorten its interval)')}`,
    ),
  ];
  if (p.kubernetes.enabled) {
    lines.push(
      line(
        'kubernetes',
        p.kubernetes.canaryAnalysis,
        kubernetesSplit(p.kubernetes.deployment),
        judged.kubernetes,
        (a) =>
          `the switch judges the new color's target group against the old one's at each weighted step: ${how(a, "the step's bake ends early")}`,
      ),
    );
  }
  if (p.ec2.enabled) {
    lines.push(
      line(
        'ec2',
        p.ec2.canaryAnalysis,
        ec2Split(p.ec2.deployment),
        judged.ec2,
        (a) =>
          `${watcher} every minute judges the green fleet alone (the target group during the wait before blue is terminated) against the same target group over as many minutes before the deployment (not side by side: CodeDeploy keeps both fleets in one target group): ${how(a, 'the wait ends early and the blue fleet is terminated')}`,
      ),
    );
  }
  return lines;
}
