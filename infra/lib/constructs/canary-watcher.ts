import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { canaryWatcherNames, type Naming } from '@ias/targets';
import type { DeliveryCode } from '../config/delivery-code';
import { codeDeployArn } from '../stacks/arns';
import { DeliveryFunction } from './delivery-function';
import type { ReleaseLedger } from './release-ledger';

/** Props of {@link CanaryWatcher}. */
export interface CanaryWatcherProps {
  /** Names of the environment. */
  readonly naming: Naming;
  /** The delivery code (its `canary-watcher` handler). */
  readonly code: DeliveryCode;
  /** Where each look is kept. */
  readonly ledger: ReleaseLedger;
  readonly logRetention: logs.RetentionDays;
  /** Key for the log group. */
  readonly encryptionKey: kms.IKey;
  /** Keep the log group on `cdk destroy`. */
  readonly retainData: boolean;
}

/**
 * The environment's canary watcher (`delivery/src/handlers/canary-watcher.ts`): every minute it
 * judges each CodeDeploy deployment in progress of the deployment groups that describe themselves
 * under `<prefix>/<env>/canary-watch/` in SSM (one parameter a group, written by the workload's
 * stack), stops a failing one with rollback, ends an EC2 blue/green wait on a confident pass, and
 * keeps each look in the release ledger.
 *
 * It serves the groups of stacks deployed later, so its role holds here only what is the
 * environment's own (its logs, its parameters, the metrics, the ledger): each workload's stack
 * grants the role its CodeDeploy rights on its own deployment group ({@link grantWatch}).
 */
export class CanaryWatcher extends Construct {
  readonly function: lambda.IFunction;
  readonly role: iam.Role;
  /** The schedule: one invocation a minute. */
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CanaryWatcherProps) {
    super(scope, id);
    const names = canaryWatcherNames(props.naming);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: names.role,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.naming.base}: canary watcher (CodeDeploy rights per deployment group come from each workload's stack)`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: names.groupsPath.replace(/^\//, ''),
          }),
        ],
      }),
    );
    // These take no resource: IAM authorizes them on `*` only. GetMetricData reads the judged
    // functions' and load balancers' metrics; the CodeDeploy ones act on a deployment ID the
    // watcher found through ListDeployments, which each workload's stack grants on its own group.
    // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'cloudwatch:GetMetricData',
          'codedeploy:ListDeploymentTargets',
          'codedeploy:BatchGetDeploymentTargets',
          'codedeploy:StopDeployment',
          'codedeploy:ContinueDeployment',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        "cloudwatch:GetMetricData and CodeDeploy's ListDeploymentTargets, BatchGetDeploymentTargets, StopDeployment and ContinueDeployment take no resource (no resource-level permissions): the deployments in progress of the judged groups",
    });
    props.ledger.grantKeepCanaryEvidence(this.role);

    this.function = new DeliveryFunction(this, 'Function', {
      functionName: names.function,
      description: `${props.naming.base}: judges every canary deployment in progress once a minute`,
      code: props.code,
      handler: 'canary-watcher',
      role: this.role,
      // One sweep: a few API calls a deployment in progress, well within the minute before the next.
      timeout: Duration.seconds(50),
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
      environment: {
        CANARY_WATCH_PATH: names.groupsPath,
        RELEASES_TABLE: props.ledger.table.tableName,
      },
    }).function;
    this.schedule = new events.Rule(this, 'EveryMinute', {
      ruleName: names.schedule,
      description: `${props.naming.base}: invokes the canary watcher every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed minute is the next minute's look; never pile invocations up.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }

  /**
   * What the watcher needs on one CodeDeploy deployment group, granted by the stack that holds the
   * group to the watcher's role by name (no reference between the stacks): listing its deployments
   * and reading them.
   */
  static grantWatch(
    scope: Construct,
    naming: Naming,
    application: string,
    deploymentGroup: string,
  ): iam.Policy {
    const role = iam.Role.fromRoleName(scope, 'CanaryWatcherRole', canaryWatcherNames(naming).role);
    const policy = new iam.Policy(scope, 'CanaryWatcherGrant', {
      statements: [
        new iam.PolicyStatement({
          actions: ['codedeploy:ListDeployments', 'codedeploy:GetDeployment'],
          resources: [codeDeployArn(Stack.of(scope), 'deploymentgroup', `${application}/${deploymentGroup}`)],
        }),
      ],
    });
    policy.attachToRole(role);
    return policy;
  }
}
