import { canaryGateDeadlineSeconds, type ServiceStrategyTraits } from '@ias/targets';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeliveryCode } from '../../config/delivery-code';
import { canaryGateTimeoutSeconds } from '../../config/service-profile-schema';
import { DeliveryFunction } from '../../constructs/delivery-function';
import { ServiceCanary } from './service-canary';

/** Props of {@link CanaryGate}. */
export interface CanaryGateProps {
  /** `<prefix>-<env>-<service>-canary-gate`: the function's name. */
  readonly functionName: string;
  /** The service it gates, for descriptions. */
  readonly serviceName: string;
  /** The environment's canary (`<prefix>-<env>`), whose runs it reads. */
  readonly canaryName: string;
  /** Minutes between the canary's runs: the deadline is two periods and one run's timeout. */
  readonly everyMinutes: number;
  /**
   * Who invokes it: CodeDeploy, as the appspec's AfterAllowTraffic hook (it waits in one invocation
   * and reports back with PutLifecycleEventHookExecutionStatus), or Amazon ECS, as the service's
   * POST_PRODUCTION_TRAFFIC_SHIFT lifecycle hook (it answers IN_PROGRESS until it decides).
   */
  readonly invokedBy: NonNullable<ServiceStrategyTraits['canaryGate']>;
  /** The delivery code it runs (`canary-gate` handler). */
  readonly code: DeliveryCode;
  readonly logRetention: logs.RetentionDays;
  /** Key of its log group. */
  readonly encryptionKey: kms.IKey;
  readonly retainData: boolean;
}

/**
 * The canary gate of a service's deployment: after production traffic has moved to the new tasks,
 * the deployment goes on only if the environment's canary passes a run that started after the move;
 * a failed run, or none within the deadline (two periods of the canary's schedule and one run's
 * timeout), fails the hook, which rolls the deployment back. A `rolling` deployment has no such hook
 * point; see the strategy table's `canaryGate`.
 *
 * Its role may read that canary's runs and nothing else of Synthetics; invoked by CodeDeploy, it may
 * also report the hook's status. It runs outside the VPC: Synthetics has no VPC endpoint, and the
 * gate reaches AWS APIs only.
 */
export class CanaryGate extends Construct {
  /** The function (invoked by CodeDeploy by name, or by Amazon ECS as the service's hook). */
  readonly function: lambda.Function;
  /** Its execution role. */
  readonly role: iam.Role;
  /** How long after production traffic moved a run must have finished. */
  readonly deadline: Duration;

  constructor(scope: Construct, id: string, props: CanaryGateProps) {
    super(scope, id);
    const reportsToCodeDeploy = props.invokedBy === 'codedeploy-hook';
    const deadlineSeconds = canaryGateDeadlineSeconds(props.everyMinutes);
    this.deadline = Duration.seconds(deadlineSeconds);
    // The profile's validation keeps a CodeDeploy-invoked gate's wait within one invocation.
    const timeoutSeconds = canaryGateTimeoutSeconds(props.invokedBy, props.everyMinutes);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.functionName}: read the runs of canary ${props.canaryName}${reportsToCodeDeploy ? ', report to CodeDeploy' : ''}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['synthetics:GetCanaryRuns'],
        resources: [ServiceCanary.arnOf(Stack.of(this), props.canaryName)],
      }),
    );
    if (reportsToCodeDeploy) {
      // It takes a deployment ID and no resource: IAM authorizes it on `*` only.
      // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
          resources: ['*'],
        }),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'codedeploy:PutLifecycleEventHookExecutionStatus takes a deployment ID and no resource: AWS authorizes it on * only',
      });
    }

    this.function = new DeliveryFunction(this, 'Resource', {
      functionName: props.functionName,
      description: `Lets a deployment of ${props.serviceName} go on once canary ${props.canaryName} passes a run started after production traffic moved`,
      code: props.code,
      handler: 'canary-gate',
      role: this.role,
      timeout: Duration.seconds(timeoutSeconds),
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
      environment: {
        CANARY_NAME: props.canaryName,
        CANARY_GATE_DEADLINE_SECONDS: String(deadlineSeconds),
      },
    }).function;
  }
}
