import type { Ec2DeploymentSettings } from './kinds/ec2/strategies';
import { SEED_LINEAR_CONFIG, type LambdaStrategy } from './kinds/function/strategies';
import type { KubernetesDeploymentSettings } from './kinds/kubernetes/strategies';
import type { ServiceStrategy, ServiceTraffic } from './kinds/service/strategies';
import type { Naming } from './naming';

/**
 * How long a deployment keeps both versions serving, in minutes (what the canary judge can compare,
 * side by side or, for EC2, one after the other); or why it has none.
 */
export type SplitWindow = { readonly minutes: number } | { readonly unjudgeable: string };

/** Minutes CodeDeploy's predefined traffic configurations keep both versions serving. */
const CODEDEPLOY_SPLIT_MINUTES: Readonly<Record<ServiceTraffic, number>> = {
  'all-at-once': 0,
  // 10 % more every minute: 10 % at minute 0, 100 % at minute 9.
  linear: 9,
  // 10 %, then the rest after 5 minutes.
  canary: 5,
};

const ALL_AT_ONCE =
  'it moves every request at once: choose canary or linear traffic to have two sides to judge';

/** The longest split a judged function deployment's step may have, in minutes: a day. */
const JUDGED_STEP_SPLIT_MINUTES = 24 * 60;

/**
 * A function strategy's split. CodeDeploy's shifts have one, fixed by their configuration. The
 * `judged` strategy's is per step and chosen by the profile (each step below 100 of
 * `lambda.judgedSteps` bakes `canaryAnalysis.bakeMinutes`, which the profile requires there): it
 * answers the longest a step may take, a day, so that the canary analysis check holds the bake to
 * no bound of its own but that day; the profile bounds the bakes' total by the deployment's longest
 * time-out itself (`JUDGED_MAX_TIMEOUT_MINUTES`).
 */
export function lambdaSplit(strategy: LambdaStrategy): SplitWindow {
  if (strategy === 'all-at-once') return { unjudgeable: `lambda.deployment all-at-once: ${ALL_AT_ONCE}` };
  if (strategy === 'judged') return { minutes: JUDGED_STEP_SPLIT_MINUTES };
  if (strategy === 'linear-25-every-10-minutes') {
    const steps = 100 / SEED_LINEAR_CONFIG.percentage - 1;
    return { minutes: steps * SEED_LINEAR_CONFIG.intervalMinutes };
  }
  return { minutes: CODEDEPLOY_SPLIT_MINUTES[strategy] };
}

/** A container service strategy's split. */
export function serviceSplit(deployment: {
  readonly strategy: ServiceStrategy;
  readonly traffic: ServiceTraffic;
}): SplitWindow {
  const { strategy, traffic } = deployment;
  if (strategy === 'codedeploy-blue-green') {
    return traffic === 'all-at-once'
      ? { unjudgeable: `service.deployment.traffic all-at-once: ${ALL_AT_ONCE}` }
      : { minutes: CODEDEPLOY_SPLIT_MINUTES[traffic] };
  }
  if (strategy === 'rolling') {
    return { unjudgeable: 'a rolling update mixes old and new tasks in one target group: no two sides' };
  }
  return {
    unjudgeable: `Amazon ECS's own ${strategy} deployments are not judged yet (no lifecycle stage is documented to hold while both revisions take production traffic): use codedeploy-blue-green with canary or linear traffic`,
  };
}

/** A Kubernetes switch's split: every step before 100 % bakes with both colors serving. */
export function kubernetesSplit(deployment: KubernetesDeploymentSettings): SplitWindow {
  const split = deployment.steps.filter((s) => s < 100).length;
  if (deployment.strategy !== 'ingress-switch' || split === 0) {
    return {
      unjudgeable: `${deployment.strategy} with steps [${deployment.steps.join(', ')}] moves every user at once: use ingress-switch with a step below 100`,
    };
  }
  return { minutes: split * deployment.bakeMinutes };
}

/**
 * An EC2 deployment's window: blue/green's wait before the old fleet is terminated, when the new
 * fleet serves alone (judged against the minutes before the deployment; CodeDeploy EC2 keeps old and
 * new instances in one target group, never side by side).
 */
export function ec2Split(deployment: Ec2DeploymentSettings): SplitWindow {
  if (deployment.style === 'in-place') {
    return {
      unjudgeable:
        'an in-place deployment updates the instances where they serve: no moment when the new version serves alone with the old one kept; use blue-green',
    };
  }
  return { minutes: deployment.terminateBlueAfterMinutes };
}

/**
 * The canary watcher's names: the function that judges the environment's CodeDeploy deployments
 * every minute, its role (each workload's stack grants it what it needs on that workload's group),
 * and the SSM path under which each judged deployment group describes itself.
 */
export function canaryWatcherNames(naming: Naming) {
  return {
    function: naming.name('canary-watcher'),
    role: naming.name('canary-watcher'),
    schedule: naming.name('canary-watcher-minute'),
    /** The path of the judged groups' parameters (`<path>/<deployment group>`), no trailing slash. */
    groupsPath: naming.path('canary-watch'),
  };
}
