import type { Stack } from 'aws-cdk-lib';
import { Aws, type CfnElement, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { DeliveryConfig } from '../config/delivery-schema';
import type { EnvironmentConfig } from '../config/load';
import { Naming, artifactStoreBucketName } from '@ias/targets';
import { SecureBucket } from '../constructs/secure-bucket';
import { DeliveryFunction } from '../constructs/delivery-function';
import { ReleaseLedger } from '../constructs/release-ledger';
import type { DeliveryCode } from '../config/delivery-code';
import { bootstrapOf } from '../stacks/arns';
import { PIPELINE_LOG_RETENTION } from './settings';
import { ackAccount } from '../aspects/acknowledgements';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../config/project';

/** What every application pipeline shares: where it lives and what it listens to. */
export interface PipelinePartsProps {
  /** The project prefix. */
  readonly prefix: string;
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
}

/** Options of {@link PipelineParts.project}. */
export interface PipelineProjectOptions {
  readonly projectName: string;
  /** The buildspec's path in the repository (CodeBuild reads it from the source revision). */
  readonly buildSpec: string;
  readonly description: string;
  readonly environmentVariables: Record<string, string>;
  /** Docker builds need a privileged build container. @default false */
  readonly privileged?: boolean;
  /** @default SMALL */
  readonly computeType?: codebuild.ComputeType;
  /**
   * The project's role, named so that another account's delivery role can trust it by ARN.
   * @default - named after the project
   */
  readonly roleName?: string;
}

/**
 * The pieces every application pipeline is built from (a function's, a service's), so that each
 * kind of pipeline composes them instead of copying them: the artifact store, CodeBuild projects
 * that install through CodeArtifact, the GitHub source and its path-filtered trigger, the manual
 * approvals, the CDK bootstrap's names, and the acknowledgements of aws-cdk-lib's own grants.
 */
export class PipelineParts {
  /** The artifact store (seed 003 §5.7). */
  readonly artifactStore: s3.Bucket;
  /** The CodeArtifact domain, owner and repository builds install from (the first environment's). */
  readonly codeArtifact: Readonly<Record<string, string>>;
  private readonly readPackages: iam.PolicyStatement[];
  private readonly removalPolicy: RemovalPolicy;

  constructor(
    private readonly stack: Stack,
    artifactStoreName: string,
    private readonly props: PipelinePartsProps,
  ) {
    const { delivery } = props;
    const first = props.environments[0];
    if (!first) {
      throw new Error(`${artifactStoreName}: no environment to deliver to`);
    }
    this.removalPolicy = delivery.retainArtifacts ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.artifactStore = new SecureBucket(stack, 'ArtifactStore', {
      bucketName: artifactStoreBucketName(artifactStoreName, stack.account),
      retainData: delivery.retainArtifacts,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.accessLogBucket,
      noncurrentVersionExpiration: Duration.days(30),
    }).bucket;

    const firstNaming = new Naming(props.prefix, first.name);
    this.codeArtifact = {
      CODEARTIFACT_DOMAIN: firstNaming.name('packages'),
      CODEARTIFACT_DOMAIN_OWNER: Aws.ACCOUNT_ID,
      CODEARTIFACT_REPOSITORY: firstNaming.name('npm'),
    };
    const domain = this.codeArtifact.CODEARTIFACT_DOMAIN as string;
    const repository = this.codeArtifact.CODEARTIFACT_REPOSITORY as string;
    this.readPackages = [
      new iam.PolicyStatement({
        actions: ['codeartifact:GetAuthorizationToken'],
        resources: [stack.formatArn({ service: 'codeartifact', resource: 'domain', resourceName: domain })],
      }),
      new iam.PolicyStatement({
        actions: ['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository'],
        resources: [
          stack.formatArn({
            service: 'codeartifact',
            resource: 'repository',
            resourceName: `${domain}/${repository}`,
          }),
          stack.formatArn({
            service: 'codeartifact',
            resource: 'repository',
            resourceName: `${domain}/${repository}-store`,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['sts:GetServiceBearerToken'],
        resources: ['*'],
        conditions: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
      }),
    ];
  }

  /** A CodeBuild project with its own log group, reading packages through CodeArtifact. */
  project(id: string, options: PipelineProjectOptions): codebuild.PipelineProject {
    const logGroup = new logs.LogGroup(this.stack, `${id}Logs`, {
      logGroupName: `/aws/codebuild/${options.projectName}`,
      retention: PIPELINE_LOG_RETENTION as logs.RetentionDays,
      encryptionKey: this.props.encryptionKey,
      removalPolicy: this.removalPolicy,
    });
    const role = new iam.Role(this.stack, `${id}Role`, {
      roleName: options.roleName ?? options.projectName,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `${options.projectName}: CodeBuild project role`,
    });
    const p = new codebuild.PipelineProject(this.stack, id, {
      projectName: options.projectName,
      role,
      description: options.description,
      buildSpec: codebuild.BuildSpec.fromSourceFilename(options.buildSpec),
      environment: {
        buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
        computeType: options.computeType ?? codebuild.ComputeType.SMALL,
        privileged: options.privileged,
      },
      environmentVariables: Object.fromEntries(
        Object.entries({ ...options.environmentVariables, ...this.codeArtifact }).map(([k, value]) => [
          k,
          { value },
        ]),
      ),
      encryptionKey: this.props.encryptionKey,
      logging: { cloudWatch: { logGroup } },
      timeout: Duration.minutes(30),
    });
    this.readPackages.forEach((s) => p.addToRolePolicy(s));
    // CodeBuild would create `<project>-<report>` on the first run, and `cdk destroy` would leave it.
    for (const report of buildspecReports(options.buildSpec)) {
      new codebuild.ReportGroup(this.stack, `${id}Report-${report}`, {
        reportGroupName: `${options.projectName}-${report}`,
        type: codebuild.ReportGroupType.TEST,
        removalPolicy: this.removalPolicy,
        deleteReports: this.removalPolicy === RemovalPolicy.DESTROY,
      });
    }
    Validations.of(p).acknowledge({
      id: 'AwsSolutions::AwsSolutions-CB4',
      reason:
        'The project encrypts its artifacts with the pipelines KMS key (EncryptionKey is set); the rule misses an imported key',
    });
    return p;
  }

  /** The GitHub source through the CodeConnections connection (a full clone). */
  source(output: codepipeline.Artifact): actions.CodeStarConnectionsSourceAction {
    const { delivery } = this.props;
    const [owner, repo] = delivery.source.repository.split('/') as [string, string];
    return new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: this.props.connectionArn,
      owner,
      repo,
      branch: delivery.source.branch,
      output,
      // Full clone: the build needs the workspaces' lockfile and shared code, not an archive.
      codeBuildCloneOutput: false,
      // #{SourceVariables.CommitId}: the commit the release ledger records.
      variablesNamespace: 'SourceVariables',
    });
  }

  /** The pipeline's trigger: a push to the branch that changes one of `paths`. */
  trigger(
    sourceAction: actions.CodeStarConnectionsSourceAction,
    paths: readonly string[],
  ): codepipeline.TriggerProps {
    return {
      providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
      gitConfiguration: {
        sourceAction,
        pushFilter: [
          { branchesIncludes: [this.props.delivery.source.branch], filePathsIncludes: [...paths] },
        ],
      },
    };
  }

  /** A manual approval stage before `env`, when the settings ask for one; else undefined. */
  approval(env: EnvironmentConfig, information: string): codepipeline.StageProps | undefined {
    if (!this.props.delivery.approvalBefore.includes(env.name)) {
      return undefined;
    }
    return {
      stageName: `Approve-${env.name}`,
      actions: [
        new actions.ManualApprovalAction({ actionName: 'Approve', additionalInformation: information }),
      ],
    };
  }

  /** A V2 pipeline, queued (each run kept, one delivery at a time per stage), on this store. */
  pipeline(
    pipelineName: string,
    stages: codepipeline.StageProps[],
    trigger: codepipeline.TriggerProps,
  ): codepipeline.Pipeline {
    // Named, so that another account's delivery role can trust it for cross-account actions.
    const role = new iam.Role(this.stack, 'PipelineRole', {
      roleName: pipelineName,
      assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'),
      description: `${pipelineName}: CodePipeline service role`,
    });
    return new codepipeline.Pipeline(this.stack, 'Pipeline', {
      pipelineName,
      role,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactStore,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      restartExecutionOnUpdate: false,
      stages,
      triggers: [trigger],
    });
  }

  /**
   * The wildcard findings of aws-cdk-lib's own grants (artifact store read/write, the projects'
   * logs and report groups, the CodeArtifact token, the steps function's versions), each
   * acknowledged on the role it concerns with the exact resource it names.
   */
  acknowledgeGrants(
    pipeline: codepipeline.Pipeline,
    projects: readonly codebuild.PipelineProject[],
    steps?: lambda.IFunction,
  ): void {
    const stack = this.stack;
    const logical = (c: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(c.node.defaultChild as CfnElement);
    const artifactAcks = artifactStoreAcknowledgements(stack, this.artifactStore);
    Validations.of(pipeline.role).acknowledge(...artifactAcks);
    Validations.of(pipeline).acknowledge(
      ...artifactAcks,
      ...(steps
        ? [
            {
              id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logical(steps)}.Arn>:*]`,
              reason:
                'The CodePipeline action invokes this pipeline’s steps function (any of its versions), nothing else',
            },
            {
              id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
              reason:
                "aws-cdk-lib's Lambda invoke action lets CodePipeline list functions (lambda:ListFunctions), which AWS does not scope",
            },
          ]
        : []),
    );
    for (const p of projects) {
      const acks = [
        ...artifactAcks,
        ...projectLogAcknowledgements(stack, p),
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'sts:GetServiceBearerToken, conditioned on sts:AWSServiceName codeartifact.amazonaws.com: AWS does not scope it to a resource',
        },
      ];
      // On the project and on its role (a construct of its own, named), where the policy lives.
      Validations.of(p.role ?? p).acknowledge(...acks);
      Validations.of(p).acknowledge(...acks);
    }
  }

  /** The CDK bootstrap's qualifier and CloudFormation execution role in this account and region. */
  bootstrap(): { qualifier: string; execRoleArn: string } {
    return bootstrapOf(this.stack);
  }

  /**
   * The function that runs the pipeline's own Lambda steps, and its role, both named
   * `options.name` (so that another account's delivery role can trust the role by ARN). The role
   * may, for the targets in this account, what `options.statements` says and record releases in
   * their ledgers; for the others, only assume their delivery roles; and report job results.
   */
  steps<Target extends StepsTarget>(
    options: StepsOptions<Target>,
  ): { role: iam.Role; steps: DeliveryFunction } {
    const role = new iam.Role(this.stack, 'StepsRole', {
      roleName: options.name,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.roleDescription,
    });
    const local = options.targets.filter((t) => !t.roleArn);
    if (local.length > 0) {
      options.statements(local).forEach((st) => role.addToPolicy(st));
      ReleaseLedger.grantRecord(
        role,
        local.map((t) => new Naming(this.props.prefix, t.environment)),
      );
    }
    const remote = options.targets.flatMap((t) => (t.roleArn ? [t.roleArn] : []));
    if (remote.length > 0) {
      role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: remote }));
    }
    // CodePipeline's job-result calls take no resource: AWS does not scope them.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
        resources: ['*'],
      }),
    );
    const steps = new DeliveryFunction(this.stack, 'Steps', {
      functionName: options.name,
      description: options.description,
      code: options.code,
      handler: 'pipeline-step',
      role,
      timeout: Duration.minutes(5),
      logRetention: PIPELINE_LOG_RETENTION as logs.RetentionDays,
      encryptionKey: this.props.encryptionKey,
      retainData: this.props.delivery.retainArtifacts,
    });
    return { role, steps };
  }
}

/** A target of a pipeline's steps: its environment, and its delivery role when in another account. */
export interface StepsTarget {
  readonly environment: string;
  readonly roleArn?: string;
}

/** Options of {@link PipelineParts.steps}. */
export interface StepsOptions<Target extends StepsTarget> {
  /** The function's and the role's name. */
  readonly name: string;
  /** What the role is for. */
  readonly roleDescription: string;
  /** What the function does. */
  readonly description: string;
  /** The delivery code. */
  readonly code: DeliveryCode;
  /** The environments the steps act on, in promotion order. */
  readonly targets: readonly Target[];
  /** What the steps may do on the targets in this account. */
  readonly statements: (local: readonly Target[]) => iam.PolicyStatement[];
}

/**
 * The wildcard findings of aws-cdk-lib's read/write grant on a pipeline's artifact store and its
 * key: the grant's action sets and the store's objects.
 */
export function artifactStoreAcknowledgements(
  stack: Stack,
  store: s3.IBucket,
): { id: string; reason: string }[] {
  const logicalId = stack.getLogicalId(store.node.defaultChild as CfnElement);
  return [
    ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
      (a) => `Action::${a}`,
    ),
    'Action::kms:GenerateDataKey*',
    'Action::kms:ReEncrypt*',
    `Resource::<${logicalId}.Arn>/*`,
  ].map((finding) => ({
    id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
    reason:
      "aws-cdk-lib's read/write grant on this pipeline's artifact store and its key: the wildcards are the grant's action sets and the store's objects, nothing outside this bucket and key",
  }));
}

/** The wildcard findings of aws-cdk-lib's grant on a CodeBuild project's own logs and report groups. */
export function projectLogAcknowledgements(
  stack: Stack,
  project: codebuild.IProject,
): { id: string; reason: string }[] {
  const id = stack.getLogicalId(project.node.defaultChild as CfnElement);
  return [
    {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:${stack.region}:${ackAccount(stack)}:log-group:/aws/codebuild/<${id}>:*]`,
      reason: "aws-cdk-lib's grant on the project's own log streams",
    },
    {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:codebuild:${stack.region}:${ackAccount(stack)}:report-group/<${id}>-*]`,
      reason: "aws-cdk-lib's grant on the project's own report groups",
    },
  ];
}

/** The stages of an application pipeline, in order, as the plan shows them. */
export interface PipelineStageSummary {
  readonly name: string;
  readonly actions: readonly string[];
}

/** Stage and action names of a pipeline's stages, in order. */
export function stageSummaries(stages: readonly codepipeline.StageProps[]): PipelineStageSummary[] {
  return stages.map((s) => ({
    name: s.stageName,
    actions: (s.actions ?? []).map((a) => a.actionProperties.actionName),
  }));
}

/**
 * The report groups a buildspec (a path from the repository root) names under `reports:`: each is
 * made by the project's stack, named as CodeBuild would name it, so that it is the stack's to delete.
 */
export function buildspecReports(buildSpec: string): string[] {
  const spec = parseYaml(readFileSync(join(REPO_ROOT, buildSpec), 'utf8')) as {
    reports?: Record<string, unknown>;
  };
  return Object.keys(spec.reports ?? {});
}
