import { ec2Target, type Ec2Target } from '@ias/targets';
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Ec2Definition } from '../../config/ec2';
import type { EnvironmentConfig } from '../../config/load';
import { ledgerParameters } from '../../pipelines/workload-pipeline-stack';

/** CodeDeploy's ARNs put the resource name after a colon. */
const COLON = ArnFormat.COLON_RESOURCE_NAME;

/** The EC2 application of `service` in `env`, where the profile runs it. */
export function ec2AppOf(
  env: EnvironmentConfig,
  service: string,
  apps: readonly Ec2Definition[],
  toolingAccount?: string,
): Ec2Target | undefined {
  const app = apps.find((a) => a.name === service);
  return app && env.profile.ec2.enabled ? ec2Target(env, app, toolingAccount) : undefined;
}

/**
 * The `DeployEc2` and `RecordEc2` actions of a service pipeline's `Deploy-<env>` stage: CodePipeline's
 * CodeDeploy action deploys the revision to the environment's deployment group (in place or
 * blue/green, as the group is made; in another account as its delivery role), then the steps'
 * `ec2-record` records the deployment and the revision in the release ledger.
 */
export function ec2DeployActions(
  scope: Construct,
  steps: lambda.IFunction,
  revision: codepipeline.Artifact,
  env: EnvironmentConfig,
  target: Ec2Target,
  runOrder: number,
): codepipeline.IAction[] {
  const id = target.environment;
  const role = target.roleArn
    ? iam.Role.fromRoleArn(scope, `Ec2DeliveryRole-${id}`, target.roleArn, { mutable: false })
    : undefined;
  const application = codedeploy.ServerApplication.fromServerApplicationName(
    scope,
    `Ec2App-${id}`,
    target.application,
  );
  return [
    new actions.CodeDeployServerDeployAction({
      actionName: 'DeployEc2',
      input: revision,
      deploymentGroup: codedeploy.ServerDeploymentGroup.fromServerDeploymentGroupAttributes(
        scope,
        `Ec2Group-${id}`,
        { application, deploymentGroupName: target.deploymentGroup },
      ),
      runOrder,
      role,
    }),
    new actions.LambdaInvokeAction({
      actionName: 'RecordEc2',
      lambda: steps,
      inputs: [revision],
      userParameters: {
        step: 'ec2-record',
        environment: target.environment,
        application: target.application,
        deploymentGroup: target.deploymentGroup,
        roleArn: target.roleArn,
        // Recorded under the application's name, as ias-ops reads and records it.
        ledger: ledgerParameters(env, target.app),
      },
      runOrder: runOrder + 1,
    }),
  ];
}

/** Reading the fleets' deployment groups and their deployments, which `ec2-record` does. */
export function ec2RecordStatement(stack: Stack, targets: readonly Ec2Target[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['codedeploy:GetDeploymentGroup', 'codedeploy:GetDeployment'],
    resources: targets.map((t) => deploymentGroupArn(stack, t)),
  });
}

/** What CodePipeline's CodeDeploy (Server) action does with a fleet's group, as the role that runs it. */
export function ec2DeployStatements(stack: Stack, targets: readonly Ec2Target[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
      resources: targets.map((t) => deploymentGroupArn(stack, t)),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision'],
      resources: targets.map((t) =>
        stack.formatArn({
          service: 'codedeploy',
          resource: 'application',
          resourceName: t.application,
          arnFormat: COLON,
        }),
      ),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:GetDeploymentConfig'],
      resources: targets.map((t) =>
        stack.formatArn({
          service: 'codedeploy',
          resource: 'deploymentconfig',
          resourceName: t.deploymentConfig as string,
          arnFormat: COLON,
        }),
      ),
    }),
  ];
}

/**
 * Lets each environment's fleet read this pipeline's revisions where the environment is in another
 * account: the artifact store's objects and its key (through S3), for the instances' role only.
 * Conditions on the principal's ARN rather than the role as principal, so that the policies hold
 * before the environment's stack has made the role.
 */
export function grantRevisionReads(
  artifactStore: s3.IBucket,
  key: kms.IKey,
  region: string,
  targets: readonly Ec2Target[],
): void {
  for (const t of targets.filter((t) => t.roleArn !== undefined && t.account !== undefined)) {
    const account = t.account as string;
    const instanceRole = `arn:aws:iam::${account}:role/${t.instanceRoleName}`;
    const principal = new iam.AccountPrincipal(account);
    const condition = { ArnEquals: { 'aws:PrincipalArn': instanceRole } };
    artifactStore.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [artifactStore.arnForObjects('*')],
        conditions: condition,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ...condition, StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
  }
}

/** A fleet's deployment group's ARN. */
function deploymentGroupArn(stack: Stack, t: Ec2Target): string {
  return stack.formatArn({
    service: 'codedeploy',
    resource: 'deploymentgroup',
    resourceName: `${t.application}/${t.deploymentGroup}`,
    arnFormat: COLON,
  });
}
