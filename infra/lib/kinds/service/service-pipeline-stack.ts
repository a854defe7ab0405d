import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/load';
import type { ServiceDefinition } from '../../config/services';
import { ECS_DEPLOY_WAIT_MINUTES } from '../../config/service-profile-schema';
import { SERVICE_STRATEGIES, serviceTarget, type ServiceTarget } from '@ias/targets';
import { ECR_PUSH_ACTIONS } from '../../constructs/container-repository';
import type { DeliveryFunction } from '../../constructs/delivery-function';
import {
  ledgerParameters,
  WorkloadPipelineStack,
  type WorkloadPipelineStackProps,
} from '../../pipelines/workload-pipeline-stack';
import type { PipelineContext } from '../kind';
import { ServiceStack } from './service-stack';
import type { KubernetesDefinition } from '../../config/kubernetes';
import {
  deployProjectStatement,
  kubernetesAppOf,
  kubernetesDeployAction,
} from '../kubernetes/pipeline-action';
import type { Ec2Definition } from '../../config/ec2';
import { ec2AppOf, ec2DeployActions, ec2RecordStatement, grantRevisionReads } from '../ec2/pipeline-action';
import { ackAccount } from '../../aspects/acknowledgements';
import { SERVICE_BUILDSPEC } from '../../pipelines/buildspecs';
import { supplyChainGate } from '../../pipelines/supply-chain-gate';

/** Code every service shares: a change there starts every service's pipeline. */
export const SERVICE_SHARED_CODE = ['app/core/**'] as const;

/** Props of {@link ServicePipelineStack}. */
export interface ServicePipelineStackProps
  extends WorkloadPipelineStackProps<ServiceDefinition>, PipelineContext {
  /**
   * The project's Kubernetes applications: where one runs this service's image, each environment's
   * stage deploys it to the cluster after the service (`DeployKubernetes`). @default - none
   */
  readonly kubernetes?: readonly KubernetesDefinition[];
  /**
   * The project's EC2 applications: where one runs this service's bundle, each environment's stage
   * deploys the build's revision to its fleet after the service (`DeployEc2`, `RecordEc2`).
   * @default - none
   */
  readonly ec2?: readonly Ec2Definition[];
}

/**
 * The pipeline of one container service (seeds 000, 002 §10-03, 004), promoted through every
 * environment with the same image digest:
 *
 * Source (GitHub through CodeConnections; only the service's folder or the shared core start it)
 * → Build (CodeBuild: tests, the production image tagged with the commit, pushed to every
 * environment's repository, and per environment imageDetail.json, imagedefinitions.json, a task
 * definition with `<IMAGE1_NAME>` and an appspec, written by TypeScript, and the npm audit) → per
 * environment: SupplyChainGate (stops on findings of the image's ECR scan or the audit at or above
 * the environment's threshold), EnsureService (the first delivery creates the service through its stack), Deploy (CodeDeploy
 * blue/green, or Amazon ECS's own blue/green, linear, canary or rolling update, as the profile
 * chooses), RecordImage (the image the environment now runs, so that re-deploying the
 * infrastructure keeps it); a manual approval before each environment the settings name, after
 * the previous one's green side was checked through its test listener.
 */
export class ServicePipelineStack extends WorkloadPipelineStack<ServiceDefinition, ServiceTarget> {
  /** The build project: the image, pushed to every environment's repository, and its task definitions. */
  readonly buildProject: codebuild.PipelineProject;
  /** The function that runs EnsureService and RecordImage. */
  readonly steps: DeliveryFunction;

  constructor(scope: Construct, id: string, props: ServicePipelineStackProps) {
    super(scope, id, props, serviceTarget);
    const { definition } = props;
    const { names, targets } = this;
    const repositoryUri = (t: ServiceTarget) =>
      `${t.account ?? this.account}.dkr.ecr.${this.region}.${this.urlSuffix}/${t.repositoryName}`;

    this.buildProject = this.parts.project('Build', {
      projectName: names.build,
      buildSpec: SERVICE_BUILDSPEC,
      description: `Build project for ${definition.name}: tests, the production image tagged with the commit, task definitions and appspecs`,
      privileged: true,
      environmentVariables: {
        SERVICE_NAME: definition.name,
        CONTAINER_NAME: definition.name,
        CONTAINER_PORT: String(definition.manifest.containerPort),
        DOCKERFILE: definition.manifest.dockerfile,
        DOCKER_TARGET: definition.manifest.target,
        TARGETS: Stack.of(this).toJsonString(
          Object.fromEntries(
            targets.map((t) => [
              t.environment,
              {
                repositoryUri: repositoryUri(t),
                family: t.family,
                // CodeDeploy runs the green check and the canary gate as the appspec's hooks; Amazon
                // ECS as the service's own.
                hooks: t.hooks,
              },
            ]),
          ),
        ),
      },
    });
    this.grantBuild(targets);
    Validations.of(this.buildProject).acknowledge({
      id: 'cdk-validator-cfnguard::codebuild_project_environment_privileged_check',
      reason: 'The project builds the container image with Docker, which needs a privileged build container',
    });

    // The steps: this service's stacks, image parameters and image scans only (in other accounts:
    // their roles).
    const { role: stepsRole, steps } = this.parts.steps({
      name: names.steps,
      roleDescription: `${names.pipeline}: EnsureService and RecordImage steps`,
      description: `${names.pipeline}: EnsureService (first delivery through the stack) and RecordImage`,
      code: props.deliveryCode,
      targets,
      statements: (local) => {
        // And the deploy projects of its Kubernetes application in these environments.
        const apps = local.flatMap((t) => {
          const env = props.environments.find((e) => e.name === t.environment);
          const app = env && kubernetesAppOf(env, definition.name, props.kubernetes ?? []);
          return app ? [app] : [];
        });
        // And the deployment groups of its EC2 application, whose deployments RecordEc2 reads.
        const fleets = local.flatMap((t) => {
          const env = props.environments.find((e) => e.name === t.environment);
          const fleet = env && ec2AppOf(env, definition.name, props.ec2 ?? []);
          return fleet ? [fleet] : [];
        });
        return [
          ...ServiceStack.deliverStatements(this, local),
          ...(apps.length > 0 ? [deployProjectStatement(this, apps)] : []),
          ...(fleets.length > 0 ? [ec2RecordStatement(this, fleets)] : []),
        ];
      },
    });
    this.steps = steps;
    Validations.of(stepsRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'codepipeline:PutJobSuccessResult/PutJobFailureResult, secretsmanager:ListSecrets (names and version IDs for the release ledger, never values) and, where a profile turns enhanced scanning on, inspector2:ListFindings for the supply-chain gate, which AWS does not scope to resources',
      },
      ...targets.map((t) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:${this.region}:${ackAccount(this)}:stack/${t.stackName}/*]`,
        reason:
          'This service’s stack in one environment; the wildcard is the stack ID CloudFormation appends',
      })),
    );

    const images = new Map(
      targets.map((t) => [t.environment, new codepipeline.Artifact(`Image_${t.environment}`)]),
    );
    // The build's primary output is the EC2 revision, built once (every service's build makes one; only
    // an EC2 application's is deployed).
    const revision = this.built;
    const stagesProps = this.sourceAndBuild(this.buildProject, [], [...images.values()]);
    const fleets = props.environments.flatMap((env) => {
      const fleet = ec2AppOf(env, definition.name, props.ec2 ?? [], props.delivery.account);
      return fleet ? [{ env, fleet }] : [];
    });
    grantRevisionReads(
      this.artifactStore,
      props.encryptionKey,
      this.region,
      fleets.map((f) => f.fleet),
    );
    const ec2Actions = (env: EnvironmentConfig, runOrder: number): codepipeline.IAction[] => {
      const found = fleets.find((f) => f.env.name === env.name);
      return found ? ec2DeployActions(this, this.steps.function, revision, env, found.fleet, runOrder) : [];
    };
    const kubernetesActions = (env: EnvironmentConfig, runOrder: number): codepipeline.IAction[] => {
      const app = kubernetesAppOf(env, definition.name, props.kubernetes ?? []);
      const image = images.get(env.name) as codepipeline.Artifact;
      return app ? [kubernetesDeployAction(this.steps.function, image, env, app, runOrder)] : [];
    };
    targets.forEach((target, i) => {
      const env = props.environments[i] as EnvironmentConfig;
      const earlier = targets.slice(0, i).map((t) => t.environment);
      const approval = this.parts.approval(
        env,
        `Promote ${definition.name} to ${env.name}: the same image digest that runs in ${earlier.join(' and ')}, whose green side was checked through the test listener before it took traffic`,
      );
      if (approval) {
        stagesProps.push(approval);
      }
      const image = images.get(target.environment) as codepipeline.Artifact;
      const parameters = (step: 'ensure-service' | 'record-service-image') => ({
        step,
        environment: target.environment,
        stackName: target.stackName,
        imageParameter: target.imageParameter,
        timeoutMinutes: 60,
        roleArn: target.roleArn,
      });
      stagesProps.push({
        stageName: `Deploy-${env.name}`,
        actions: [
          // First, the image's scan and the bundle's audit against this environment's threshold.
          supplyChainGate(this.steps.function, image, env, {
            environment: target.environment,
            workload: definition.name,
            repository: target.repositoryName,
            roleArn: target.roleArn,
            account: target.account,
          }),
          new actions.LambdaInvokeAction({
            actionName: 'EnsureService',
            lambda: this.steps.function,
            inputs: [image],
            userParameters: parameters('ensure-service'),
            runOrder: 2,
          }),
          this.deployAction(target, image, 3),
          new actions.LambdaInvokeAction({
            actionName: 'RecordImage',
            lambda: this.steps.function,
            inputs: [image],
            userParameters: {
              ...parameters('record-service-image'),
              ledger: ledgerParameters(env, target.serviceName),
            },
            runOrder: 4,
          }),
          // The same image to the environment's cluster, where the service runs there too.
          ...kubernetesActions(env, 5),
          // The same build's revision to the environment's EC2 fleet, where the service runs there too.
          ...ec2Actions(env, 6),
        ],
      });
    });

    this.assemble(stagesProps, SERVICE_SHARED_CODE);
    this.parts.acknowledgeGrants(this.pipeline, [this.buildProject], this.steps.function);
    Validations.of(this.pipeline).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        "aws-cdk-lib's ECS and CodeDeploy deploy actions: ecs:DescribeServices/DescribeTaskDefinition/RegisterTaskDefinition and iam:PassRole (to ECS tasks only), which AWS does not scope or which name revisions not yet registered",
    });
  }

  /** The deploy action of the environment's strategy. */
  private deployAction(
    target: ServiceTarget,
    image: codepipeline.Artifact,
    runOrder: number,
  ): codepipeline.IAction {
    const id = target.environment;
    // In another account, CodePipeline runs the action as that environment's delivery role.
    const role = target.roleArn
      ? iam.Role.fromRoleArn(this, `DeliveryRole-${id}`, target.roleArn, { mutable: false })
      : undefined;
    const action = SERVICE_STRATEGIES[target.strategy].pipelineAction;
    if (action === 'codedeploy-ecs') {
      const application = codedeploy.EcsApplication.fromEcsApplicationName(
        this,
        `App-${id}`,
        target.application,
      );
      return new actions.CodeDeployEcsDeployAction({
        actionName: 'Deploy',
        deploymentGroup: codedeploy.EcsDeploymentGroup.fromEcsDeploymentGroupAttributes(this, `Group-${id}`, {
          application,
          deploymentGroupName: target.deploymentGroup,
        }),
        taskDefinitionTemplateFile: image.atPath(`taskdef-${id}.json`),
        appSpecTemplateFile: image.atPath(`appspec-${id}.yaml`),
        containerImageInputs: [{ input: image, taskDefinitionPlaceholder: 'IMAGE1_NAME' }],
        runOrder,
        role,
      });
    }
    if (action !== 'ecs') {
      throw new Error(`${target.serviceName}: a service strategy cannot deploy by pipeline action ${action}`);
    }
    // Amazon ECS's own deployments (blue/green, linear, canary, rolling): a new revision of the
    // service's task definition with this image; ECS applies the service's strategy, its hooks
    // and alarms, and the action waits for the outcome.
    return new actions.EcsDeployAction({
      actionName: 'Deploy',
      service: ecs.BaseService.fromServiceArnWithCluster(
        this,
        `Service-${id}`,
        this.formatArn({
          service: 'ecs',
          resource: 'service',
          resourceName: `${target.clusterName}/${target.serviceName}`,
        }),
      ),
      imageFile: image.atPath('imagedefinitions.json'),
      deploymentTimeout: Duration.minutes(ECS_DEPLOY_WAIT_MINUTES),
      runOrder,
      role,
    });
  }

  /** The build: push to this service's repositories, read its task definition templates. */
  private grantBuild(targets: readonly ServiceTarget[]): void {
    const repositories = targets.map((t) =>
      this.formatArn({
        service: 'ecr',
        resource: 'repository',
        resourceName: t.repositoryName,
        account: t.account ?? this.account,
      }),
    );
    this.buildProject.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...ECR_PUSH_ACTIONS],
        resources: repositories,
      }),
    );
    this.buildProject.addToRolePolicy(
      new iam.PolicyStatement({
        // Neither call takes a resource: AWS does not scope them.
        actions: ['ecr:GetAuthorizationToken', 'ecs:DescribeTaskDefinition'],
        resources: ['*'],
      }),
    );
    Validations.of(this.buildProject).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken and ecs:DescribeTaskDefinition, which AWS does not scope to resources (and the CodeArtifact bearer token, conditioned on its service)',
    });
  }
}
