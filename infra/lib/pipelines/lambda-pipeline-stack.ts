import {
  ArnFormat,
  Aws,
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery-schema';
import type { FunctionDefinition } from '../config/functions';
import type { EnvironmentConfig } from '../config/load';
import { Naming } from '../config/naming';
import { DeliveryFunction, type DeliveryCode } from '../constructs/delivery-function';
import { SecureBucket } from '../constructs/secure-bucket';
import { functionTarget, PIPELINE_LOG_RETENTION, pipelineNames, type FunctionTarget } from './names';

/** Where the buildspecs live in the repository (CodeBuild reads them from the source revision). */
export const BUILDSPECS = {
  build: 'infra/lib/pipelines/buildspecs/lambda-build.yml',
  check: 'infra/lib/pipelines/buildspecs/lambda-check.yml',
} as const;

/** Props of {@link LambdaPipelineStack}. */
export interface LambdaPipelineStackProps extends StackProps {
  /** The project prefix. */
  readonly prefix: string;
  /** The function the pipeline delivers. */
  readonly definition: FunctionDefinition;
  /** The environments, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /** The delivery settings (source, time-out, retention). */
  readonly delivery: DeliveryConfig;
  /** Encrypts artifacts and logs. */
  readonly encryptionKey: kms.IKey;
  /** Where the artifact store sends its access logs. */
  readonly accessLogBucket: s3.IBucket;
  /** The CodeConnections connection to GitHub. */
  readonly connectionArn: string;
  /** The delivery code the pipeline steps run. */
  readonly deliveryCode: DeliveryCode;
}

/** The stages of a function's pipeline, in order, as the plan shows them. */
export interface PipelineStageSummary {
  readonly name: string;
  readonly actions: readonly string[];
}

/**
 * Seed 003's CI/CD pipeline for one function, promoted through every environment:
 *
 * Source (GitHub through CodeConnections; only changes under the function's folder or the shared
 * code start it) → CheckLambdaFunction (creates the function's stack in the first environment
 * when the function does not exist yet) → Build (CodeBuild: CodeArtifact install, tests, lint,
 * bundle; the zip is built once) → per environment: CreateAppSpecFile (updates the code from that
 * zip, publishes a version, writes appspec.yml) and Deploy (a CodeDeploy deployment with the
 * environment's traffic shifting, followed until it succeeds or rolls back); a manual approval
 * before each environment the settings name (prod by default).
 *
 * Its roles (seed 003 §5.1) are scoped to this function's resources: the build role reads and writes
 * only this artifact store and reads packages from CodeArtifact; the steps role updates, publishes
 * and deploys only this function's versions and deployment groups; CodeDeploy's role (in each
 * function stack) moves only this alias.
 */
export class LambdaPipelineStack extends Stack {
  /** The pipeline. */
  readonly pipeline: codepipeline.Pipeline;
  /** The artifact store (seed 003 §5.7). */
  readonly artifactStore: s3.Bucket;
  /** The build project (seed 003 §5.2). */
  readonly buildProject: codebuild.PipelineProject;
  /** The project that runs the CheckLambdaFunction step. */
  readonly checkProject: codebuild.PipelineProject;
  /** The function that runs CreateAppSpecFile and Deploy. */
  readonly steps: DeliveryFunction;
  /** Stage and action names, in order. */
  readonly stages: readonly PipelineStageSummary[];

  constructor(scope: Construct, id: string, props: LambdaPipelineStackProps) {
    super(scope, id, props);
    const { prefix, definition, delivery } = props;
    const names = pipelineNames(prefix, definition.name);
    const removalPolicy = delivery.retainArtifacts ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retention = PIPELINE_LOG_RETENTION as logs.RetentionDays;
    const targets = props.environments.map((env) => functionTarget(env, definition));
    const first = props.environments[0];
    if (!first) {
      throw new Error(`${names.pipeline}: no environment to deliver to`);
    }
    const firstNaming = new Naming(prefix, first.name);

    this.artifactStore = new SecureBucket(this, 'ArtifactStore', {
      bucketName: `${names.artifactStore}-${this.account}-${this.region}`,
      retainData: delivery.retainArtifacts,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.accessLogBucket,
      noncurrentVersionExpiration: Duration.days(30),
    }).bucket;

    // --- roles and projects -------------------------------------------------------------------
    const codeArtifact = {
      CODEARTIFACT_DOMAIN: firstNaming.name('packages'),
      CODEARTIFACT_DOMAIN_OWNER: Aws.ACCOUNT_ID,
      CODEARTIFACT_REPOSITORY: firstNaming.name('npm'),
    };
    const readPackages = [
      new iam.PolicyStatement({
        actions: ['codeartifact:GetAuthorizationToken'],
        resources: [
          this.formatArn({
            service: 'codeartifact',
            resource: 'domain',
            resourceName: codeArtifact.CODEARTIFACT_DOMAIN,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository'],
        resources: [
          this.formatArn({
            service: 'codeartifact',
            resource: 'repository',
            resourceName: `${codeArtifact.CODEARTIFACT_DOMAIN}/${codeArtifact.CODEARTIFACT_REPOSITORY}`,
          }),
          this.formatArn({
            service: 'codeartifact',
            resource: 'repository',
            resourceName: `${codeArtifact.CODEARTIFACT_DOMAIN}/${codeArtifact.CODEARTIFACT_REPOSITORY}-store`,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['sts:GetServiceBearerToken'],
        resources: ['*'],
        conditions: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
      }),
    ];
    const project = (
      idName: 'Build' | 'Check',
      projectName: string,
      buildSpec: string,
      description: string,
      extraEnvironment: Record<string, string> = {},
    ): codebuild.PipelineProject => {
      const logGroup = new logs.LogGroup(this, `${idName}Logs`, {
        logGroupName: `/aws/codebuild/${projectName}`,
        retention,
        encryptionKey: props.encryptionKey,
        removalPolicy,
      });
      const p = new codebuild.PipelineProject(this, idName, {
        projectName,
        description,
        buildSpec: codebuild.BuildSpec.fromSourceFilename(buildSpec),
        environment: {
          buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
          computeType: codebuild.ComputeType.SMALL,
        },
        environmentVariables: Object.fromEntries(
          Object.entries({ FUNCTION_NAME: definition.name, ...codeArtifact, ...extraEnvironment }).map(
            ([k, value]) => [k, { value }],
          ),
        ),
        encryptionKey: props.encryptionKey,
        logging: { cloudWatch: { logGroup } },
        timeout: Duration.minutes(30),
      });
      readPackages.forEach((s) => p.addToRolePolicy(s));
      Validations.of(p).acknowledge({
        id: 'AwsSolutions::AwsSolutions-CB4',
        reason:
          'The project encrypts its artifacts with the pipelines KMS key (EncryptionKey is set); the rule misses an imported key',
      });
      return p;
    };
    this.buildProject = project(
      'Build',
      names.build,
      BUILDSPECS.build,
      `Build project for ${definition.name}: CodeArtifact install, unit tests, lint, bundle and zip (seed 003 §5.2)`,
    );
    this.checkProject = project(
      'Check',
      names.check,
      BUILDSPECS.check,
      `CheckLambdaFunction for ${definition.name}: creates the function's stack when the function does not exist`,
      { CFN_EXECUTION_ROLE_ARN: this.bootstrap().execRoleArn },
    );
    this.grantCheck(this.checkProject, targets);

    // The pipeline steps: CreateAppSpecFile and Deploy, on this function's targets only.
    const stepsRole = new iam.Role(this, 'StepsRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${names.pipeline}: CreateAppSpecFile and Deploy steps`,
    });
    this.grantSteps(stepsRole, targets);
    this.steps = new DeliveryFunction(this, 'Steps', {
      functionName: names.steps,
      description: `${names.pipeline}: CreateAppSpecFile (update code, publish, appspec) and Deploy (CodeDeploy, followed to the end)`,
      code: props.deliveryCode,
      handler: 'pipeline-step',
      role: stepsRole,
      timeout: Duration.minutes(5),
      logRetention: retention,
      encryptionKey: props.encryptionKey,
      retainData: delivery.retainArtifacts,
    });

    // --- the pipeline ---------------------------------------------------------------------------
    const source = new codepipeline.Artifact('SourceOutput');
    const built = new codepipeline.Artifact('BuildOutput');
    const [owner, repo] = delivery.source.repository.split('/') as [string, string];
    const sourceAction = new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: props.connectionArn,
      owner,
      repo,
      branch: delivery.source.branch,
      output: source,
      // Full clone: the build needs the workspaces' lockfile and shared code, not an archive.
      codeBuildCloneOutput: false,
    });
    const check = (env: FunctionTarget, runOrder?: number) =>
      new actions.CodeBuildAction({
        actionName: 'CheckLambdaFunction',
        project: this.checkProject,
        input: source,
        runOrder,
        environmentVariables: { TARGET_ENV: { value: env.environment } },
      });
    const stagesProps: codepipeline.StageProps[] = [
      { stageName: 'Source', actions: [sourceAction] },
      { stageName: 'CheckLambdaFunction', actions: [check(targets[0] as FunctionTarget)] },
      {
        stageName: 'Build',
        actions: [
          new actions.CodeBuildAction({
            actionName: 'Build',
            project: this.buildProject,
            input: source,
            outputs: [built],
          }),
        ],
      },
    ];
    const timeoutMinutes = delivery.deploymentTimeoutMinutes;
    targets.forEach((target, i) => {
      const env = props.environments[i] as EnvironmentConfig;
      if (delivery.approvalBefore.includes(env.name)) {
        stagesProps.push({
          stageName: `Approve-${env.name}`,
          actions: [
            new actions.ManualApprovalAction({
              actionName: 'Approve',
              additionalInformation: `Promote ${definition.name} to ${env.name}: the same zip that passed ${targets
                .slice(0, i)
                .map((t) => t.environment)
                .join(' and ')}`,
            }),
          ],
        });
      }
      const appSpec = new codepipeline.Artifact(`AppSpec_${env.name}`);
      const parameters = (step: 'create-appspec' | 'deploy') => ({
        step,
        environment: target.environment,
        functionName: target.functionName,
        alias: target.alias,
        application: target.application,
        deploymentGroup: target.deploymentGroup,
        hooks: target.hooks,
        timeoutMinutes,
      });
      const stageActions: codepipeline.IAction[] = [];
      // The first environment was checked before the build; later ones right before their deploy.
      if (i > 0) {
        stageActions.push(check(target, 1));
      }
      stageActions.push(
        new actions.LambdaInvokeAction({
          actionName: 'CreateAppSpecFile',
          lambda: this.steps.function,
          inputs: [built],
          outputs: [appSpec],
          userParameters: parameters('create-appspec'),
          variablesNamespace: `AppSpec-${env.name}`,
          runOrder: i > 0 ? 2 : 1,
        }),
        new actions.LambdaInvokeAction({
          actionName: 'Deploy',
          lambda: this.steps.function,
          inputs: [appSpec],
          userParameters: parameters('deploy'),
          runOrder: i > 0 ? 3 : 2,
        }),
      );
      stagesProps.push({ stageName: `Deploy-${env.name}`, actions: stageActions });
    });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: names.pipeline,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactStore,
      // One delivery at a time per stage, each run kept (not superseded) so none is lost midway.
      executionMode: codepipeline.ExecutionMode.QUEUED,
      restartExecutionOnUpdate: false,
      stages: stagesProps,
      triggers: [
        {
          providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
          gitConfiguration: {
            sourceAction,
            pushFilter: [
              {
                branchesIncludes: [delivery.source.branch],
                filePathsIncludes: [`${definition.folder}/**`, ...SHARED_CODE],
              },
            ],
          },
        },
      ],
    });
    this.acknowledgeGrants(targets);
    this.stages = stagesProps.map((s) => ({
      name: s.stageName,
      actions: (s.actions ?? []).map((a) => a.actionProperties.actionName),
    }));
  }

  /** The CheckLambdaFunction project: look up each target function, create its stack if missing. */
  private grantCheck(checkProject: codebuild.PipelineProject, targets: readonly FunctionTarget[]): void {
    checkProject.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetFunction'],
        resources: targets.map((t) => this.functionArn(t.functionName)),
      }),
    );
    checkProject.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:CreateStack',
        ],
        resources: targets.map((t) =>
          this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${t.stackName}/*` }),
        ),
      }),
    );
    // CloudFormation creates the stack with the CDK bootstrap's execution role, as `cdk deploy`
    // would; the project may pass that role to CloudFormation and to nothing else.
    const { qualifier, execRoleArn } = this.bootstrap();
    checkProject.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [execRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
    // The template's file assets (if any) must already be in the bootstrap bucket; it checks, read-only.
    checkProject.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::cdk-${qualifier}-assets-${this.account}-${this.region}/*`],
      }),
    );
  }

  /** The steps role: update, publish and deploy this function in each environment, nothing else. */
  private grantSteps(role: iam.Role, targets: readonly FunctionTarget[]): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionCode',
          'lambda:PublishVersion',
          'lambda:GetAlias',
        ],
        resources: targets.flatMap((t) => [
          this.functionArn(t.functionName),
          `${this.functionArn(t.functionName)}:${t.alias}`,
        ]),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment', 'codedeploy:StopDeployment'],
        resources: targets.map((t) =>
          this.formatArn({
            service: 'codedeploy',
            resource: 'deploymentgroup',
            resourceName: `${t.application}/${t.deploymentGroup}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
        resources: targets.map((t) =>
          this.formatArn({
            service: 'codedeploy',
            resource: 'application',
            resourceName: t.application,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: [...new Set(targets.map((t) => t.deploymentConfig))].map((name) =>
          this.formatArn({
            service: 'codedeploy',
            resource: 'deploymentconfig',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    // CodePipeline's job-result calls take no resource: AWS does not scope them.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'codepipeline:PutJobSuccessResult/PutJobFailureResult, which AWS does not scope to resources',
    });
  }

  /**
   * The wildcard findings of the grants above and of aws-cdk-lib's own pipeline grants, each
   * acknowledged on the role it concerns, with the exact resource it names.
   */
  private acknowledgeGrants(targets: readonly FunctionTarget[]): void {
    const logical = (c: { node: { defaultChild?: unknown } }) =>
      this.getLogicalId(c.node.defaultChild as CfnElement);
    const store = logical(this.artifactStore);
    const artifactAcks = [
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
        (a) => `Action::${a}`,
      ),
      'Action::kms:GenerateDataKey*',
      'Action::kms:ReEncrypt*',
      `Resource::<${store}.Arn>/*`,
    ].map((finding) => ({
      id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
      reason:
        "aws-cdk-lib's read/write grant on this pipeline's artifact store and its key: the wildcards are the grant's action sets and the store's objects, nothing outside this bucket and key",
    }));
    Validations.of(this.pipeline).acknowledge(
      ...artifactAcks,
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logical(this.steps.function)}.Arn>:*]`,
        reason:
          'The CodePipeline action invokes this pipeline’s steps function (any of its versions), nothing else',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          "aws-cdk-lib's Lambda invoke action lets CodePipeline list functions (lambda:ListFunctions), which AWS does not scope",
      },
    );
    for (const p of [this.buildProject, this.checkProject]) {
      const id = logical(p);
      Validations.of(p).acknowledge(
        ...artifactAcks,
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:${this.region}:<AWS::AccountId>:log-group:/aws/codebuild/<${id}>:*]`,
          reason: "aws-cdk-lib's grant on the project's own log streams",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:codebuild:${this.region}:<AWS::AccountId>:report-group/<${id}>-*]`,
          reason:
            "aws-cdk-lib's grant on the project's own report groups (the buildspec's unit-tests report)",
        },
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'sts:GetServiceBearerToken, conditioned on sts:AWSServiceName codeartifact.amazonaws.com: AWS does not scope it to a resource',
        },
      );
    }
    const { qualifier } = this.bootstrap();
    Validations.of(this.checkProject).acknowledge(
      ...targets.map((t) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:${this.region}:<AWS::AccountId>:stack/${t.stackName}/*]`,
        reason:
          'This function’s stack in one environment; the wildcard is the stack ID CloudFormation appends',
      })),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-${this.region}/*]`,
        reason:
          'Read-only check that the stack’s file assets are already published in the CDK bootstrap bucket',
      },
    );
  }

  /** The CDK bootstrap's qualifier and CloudFormation execution role in this account and region. */
  private bootstrap(): { qualifier: string; execRoleArn: string } {
    const qualifier =
      (this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? 'hnb659fds';
    const execRoleArn = this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `cdk-${qualifier}-cfn-exec-role-${this.account}-${this.region}`,
    });
    return { qualifier, execRoleArn };
  }

  private functionArn(name: string): string {
    return this.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}

/** Code every function shares: a change there starts every function's pipeline. */
export const SHARED_CODE = ['app/functions/common/**', 'app/core/**'] as const;
