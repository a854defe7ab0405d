import { codeDeployNames, type trafficHookNames } from '@ias/targets';
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { ackAccount } from '../../aspects/acknowledgements';

/** Props of {@link FunctionDeployment}. */
export interface FunctionDeploymentProps {
  /** The function's name (prefixed): names the application and the deployment group. */
  readonly functionName: string;
  readonly function: lambda.Function;
  /** The alias CodeDeploy shifts. */
  readonly alias: lambda.Alias;
  /** The alarms that stop and roll back a deployment. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** How CodeDeploy shifts the alias. */
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** The environment's traffic hooks, by name. */
  readonly trafficHooks: ReturnType<typeof trafficHookNames>;
  /** The event the traffic hooks invoke a new version with (JSON; answered without side effects). */
  readonly smokeEvent: string;
}

/**
 * How a function's alias moves to a new version: the CodeDeploy application and deployment group
 * (rolling back on failure, on stop and on alarm), CodeDeploy's role, and what the environment's
 * traffic hooks may do for this function (its smoke event, its alarms, its hook results).
 *
 * Not a construct of its own: its resources are children of the function's construct (`scope`),
 * so that they keep the logical IDs the functions' stacks were first deployed with.
 */
export class FunctionDeployment {
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** CodeDeploy's service role for this deployment group (seed 003 §5.1.3, narrowed). */
  readonly deployRole: iam.Role;
  /** The SSM parameter holding the smoke event. */
  readonly smokeEventParameter: ssm.StringParameter;

  constructor(scope: Construct, props: FunctionDeploymentProps) {
    // Seed 003 §5.1.3's CodeDeploy service role, narrowed: instead of the AWS-managed
    // AWSCodeDeployRoleForLambdaLimited (alias updates on every function, SNS publish and S3 reads
    // everywhere), it moves this function's alias only, reads this function's alarms only and
    // invokes the environment's two traffic hooks only. Revisions are inline appspecs: no S3.
    const { functionName } = props;
    const stack = Stack.of(scope);
    const hookArn = (name: string) =>
      stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.deployRole = new iam.Role(scope, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: `${functionName}: CodeDeploy shifts the alias live (seed 003 §5.1.3)`,
    });
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        resources: [props.function.functionArn, props.alias.functionArn],
      }),
    );
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [hookArn(props.trafficHooks.preTraffic), hookArn(props.trafficHooks.postTraffic)],
      }),
    );
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: props.alarms.map((a) => a.alarmArn),
      }),
    );

    // Seed 003: `${ProjectName}-app` and `${ProjectName}-group`.
    this.application = new codedeploy.LambdaApplication(scope, 'Application', {
      applicationName: codeDeployNames(functionName).application,
    });
    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(scope, 'DeploymentGroup', {
      application: this.application,
      deploymentGroupName: codeDeployNames(functionName).deploymentGroup,
      alias: props.alias,
      // Immutable view: aws-cdk-lib would attach AWSCodeDeployRoleForLambdaLimited to any role.
      role: this.deployRole.withoutPolicyUpdates(),
      deploymentConfig: props.deploymentConfig,
      alarms: [...props.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });

    // What the environment's traffic hooks may do for this function, granted from here so that a
    // function added later brings its own grants: invoke it (any version), read its smoke event,
    // read its alarms, and report hook results for its deployment group only.
    this.smokeEventParameter = new ssm.StringParameter(scope, 'SmokeEvent', {
      parameterName: `${props.trafficHooks.smokeEventsPath}${functionName}`,
      description: `${functionName}: the event the traffic hooks invoke a new version with`,
      stringValue: props.smokeEvent,
    });
    const hooksRole = iam.Role.fromRoleName(scope, 'TrafficHooksRole', props.trafficHooks.role);
    const hookAccess = new iam.Policy(scope, 'TrafficHookAccess', {
      roles: [hooksRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [props.function.functionArn, `${props.function.functionArn}:*`],
        }),
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [this.smokeEventParameter.parameterArn],
        }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [
            stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${functionName}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        // These take a deployment ID and no resource: IAM authorizes them on `*` only.
        // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
        new iam.PolicyStatement({
          actions: [
            'codedeploy:ListDeploymentTargets',
            'codedeploy:GetDeploymentTarget',
            'codedeploy:PutLifecycleEventHookExecutionStatus',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(hookAccess).acknowledge(
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(props.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason:
          'Any published version of this function: the pre-traffic hook invokes the version being deployed',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudwatch:${stack.region}:${ackAccount(stack)}:alarm:${functionName}-*]`,
        reason: 'This function’s own alarms, which the post-traffic hook reads by name prefix',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'codedeploy:ListDeploymentTargets, GetDeploymentTarget and PutLifecycleEventHookExecutionStatus take a deployment ID and no resource: IAM authorizes them on * only',
      },
    );
  }
}
