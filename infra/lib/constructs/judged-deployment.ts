import { Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { WatchedGroup } from '@ias/delivery/canary';
import { canaryWatcherNames, type Naming } from '@ias/targets';
import { CanaryWatcher } from './canary-watcher';

/** Props of {@link JudgedDeployment}. */
export interface JudgedDeploymentProps {
  /** Names of the environment (the watcher's path and role). */
  readonly naming: Naming;
  /**
   * The deployment group as the canary watcher reads it: its kind, names, how it is judged and, for
   * a load balancer, its ARN and the target groups' (tokens of this stack are fine).
   */
  readonly group: WatchedGroup;
}

/**
 * One CodeDeploy deployment group judged by the environment's canary watcher: the SSM parameter
 * `<prefix>/<env>/canary-watch/<deployment group>` describing it (the watcher reads them all at each
 * sweep) and the watcher's rights on the group. Lives in the stack of the group, so that deploying or
 * destroying that stack adds or removes it from the watch.
 */
export class JudgedDeployment extends Construct {
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: JudgedDeploymentProps) {
    super(scope, id);
    const { group, naming } = props;
    this.parameter = new ssm.StringParameter(this, 'Group', {
      parameterName: `${canaryWatcherNames(naming).groupsPath}/${group.deploymentGroup}`,
      description: `${naming.base}: how the canary watcher judges ${group.deploymentGroup}`,
      stringValue: Stack.of(this).toJsonString(group),
    });
    CanaryWatcher.grantWatch(this, naming, group.application, group.deploymentGroup);
  }
}
