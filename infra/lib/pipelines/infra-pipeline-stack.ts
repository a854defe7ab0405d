import { Duration, Stack, Token, Validations, type Stage, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery-schema';
import type { Naming } from '@ias/targets';
import { SecureBucket } from '../constructs/secure-bucket';
import { PIPELINE_LOG_RETENTION } from './settings';
import { artifactStoreAcknowledgements, projectLogAcknowledgements } from './pipeline-parts';
import { ackAccount } from '../aspects/acknowledgements';

/** The CDK CLI the pipeline runs (2.x: 3.0.0 on npm is an accidental, deprecated release). */
export const CDK_CLI_VERSION = '2.1148.1';

/** An environment's stage as the pipeline deploys it: a wave named by its environment. */
export type EnvironmentWave = Stage & { readonly naming: Naming };

/** Props of {@link InfraPipelineStack}. */
export interface InfraPipelineStackProps extends StackProps {
  /** The project prefix. */
  readonly prefix: string;
  /** Where the pipeline lives and what it listens to. */
  readonly delivery: DeliveryConfig;
  /** The environments' stages, in promotion order: what the pipeline deploys, wave by wave. */
  readonly stages: readonly EnvironmentWave[];
  /** The CodeConnections connection to GitHub. */
  readonly connectionArn: string;
  /** Encrypts the artifact store and logs. */
  readonly encryptionKey: kms.IKey;
  /** Where the artifact store sends its access logs. */
  readonly accessLogBucket: s3.IBucket;
}

/** A summary of the pipeline for the plan: its waves and what runs before each. */
export interface InfraWaveSummary {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly stacks: readonly string[];
  readonly before: readonly string[];
}

/**
 * The infrastructure pipeline, `<prefix>-infra-pipeline` (seed 000: infrastructure changes rarely,
 * carefully, with a person's approval), a CDK Pipeline on CodePipeline V2:
 *
 * Source (the repository through CodeConnections) → Synth (npm ci, lint, every workspace's tests,
 * `npm start`: the synth with cdk-nag, the Control Tower guard rules and CloudFormation validation,
 * which fails on any unacknowledged finding) → UpdatePipeline (self-mutation) → one wave per
 * environment in promotion order, each first writing `cdk diff` of its stacks as evidence (kept in
 * the artifact store and the step's log), a manual approval before the environments the settings
 * name (prod), and the stacks deployed through change sets.
 *
 * It deploys the environments' infrastructure stacks only: application code goes through the
 * application pipelines (and a function's or service's stack never resets what they deployed).
 * Across accounts, each target account is bootstrapped trusting the tooling account
 * (`cdk bootstrap --trust <tooling account>`), and the artifacts are encrypted with a key those
 * accounts may use.
 */
export class InfraPipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  /** The waves, for the plan. */
  readonly waves: readonly InfraWaveSummary[];

  constructor(scope: Construct, id: string, props: InfraPipelineStackProps) {
    super(scope, id, props);
    const { prefix, delivery } = props;
    const pipelineName = `${prefix}-infra-pipeline`;

    const artifactBucket = new SecureBucket(this, 'ArtifactStore', {
      bucketName: `${pipelineName}-artifacts-${this.account}-${this.region}`,
      retainData: delivery.retainArtifacts,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.accessLogBucket,
      noncurrentVersionExpiration: Duration.days(30),
    }).bucket;
    const logGroup = new logs.LogGroup(this, 'BuildLogs', {
      logGroupName: `/aws/codebuild/${pipelineName}`,
      retention: PIPELINE_LOG_RETENTION as logs.RetentionDays,
      encryptionKey: props.encryptionKey,
    });

    const [owner, repo] = delivery.source.repository.split('/') as [string, string];
    const source = pipelines.CodePipelineSource.connection(`${owner}/${repo}`, delivery.source.branch, {
      connectionArn: props.connectionArn,
      codeBuildCloneOutput: false,
    });
    const synth = new pipelines.ShellStep('Synth', {
      input: source,
      installCommands: ['npm ci --no-audit --no-fund'],
      // The same checks as CI, then the synth with the policy gates (fails on any finding).
      commands: ['npm run lint', 'npm test', 'npm start'],
      primaryOutputDirectory: 'infra/cdk.out',
    });
    const codePipeline = new codepipeline.Pipeline(this, 'CodePipeline', {
      pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket,
      restartExecutionOnUpdate: true,
      executionMode: codepipeline.ExecutionMode.QUEUED,
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      codePipeline,
      synth,
      selfMutation: true,
      useChangeSets: true,
      cliVersion: CDK_CLI_VERSION,
      codeBuildDefaults: {
        buildEnvironment: {
          buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
          computeType: codebuild.ComputeType.MEDIUM,
        },
        logging: { cloudWatch: { logGroup } },
        timeout: Duration.minutes(60),
        // Node.js 20, as the repository's engines and CI use.
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: 20 } } },
        }),
      },
    });

    const waves: InfraWaveSummary[] = [];
    props.stages.forEach((stage, i) => {
      const env = stage.naming.env;
      const diff = this.diffStep(stage, synth);
      const before: pipelines.Step[] = [diff];
      if (delivery.approvalBefore.includes(env)) {
        const approval = new pipelines.ManualApprovalStep(`Approve-${env}`, {
          comment: `Deploy the infrastructure of ${env}: its cdk diff is in the Diff-${env} step's log and output artifact (after ${props.stages
            .slice(0, i)
            .map((s) => s.naming.env)
            .join(', ')} took the same commit)`,
        });
        // The approver reads the diff first.
        approval.addStepDependency(diff);
        before.push(approval);
      }
      const wave = this.pipeline.addWave(env, { pre: before });
      wave.addStage(stage);
      waves.push({
        name: env,
        account: stage.account ?? this.account,
        region: stage.region ?? this.region,
        stacks: stage.node.children.filter(Stack.isStack).map((st) => st.stackName),
        before: before.map((s) => s.id),
      });
    });
    this.waves = waves;
    this.pipeline.buildPipeline();
    this.acknowledgeGrants(codePipeline, artifactBucket);
  }

  /**
   * The wildcard findings of aws-cdk-lib's own grants in a CDK Pipeline, each acknowledged on the
   * construct it concerns: the artifact store's read/write action sets and objects, each CodeBuild
   * project's own logs and report groups, the bootstrap roles the self-mutation and asset steps
   * assume (any `cdk-*` role of this account, by CDK's design), and the calls AWS does not scope.
   */
  private acknowledgeGrants(codePipeline: codepipeline.Pipeline, artifactBucket: s3.IBucket): void {
    const artifactAcks = artifactStoreAcknowledgements(this, artifactBucket);
    for (const scope of [codePipeline, this.pipeline]) {
      Validations.of(scope).acknowledge(
        ...artifactAcks,
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'CDK Pipelines: codebuild:BatchGetBuilds/StartBuild on its own projects and cloudformation:DescribeStacks for self-mutation, calls AWS does not scope or that CDK grants unscoped',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:*:iam::${ackAccount(this)}:role/*]`,
          reason:
            "CDK Pipelines' self-mutation and asset steps assume the CDK bootstrap's roles of this account, conditioned on their aws-cdk:bootstrap-role tag",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:${this.region}:${ackAccount(this)}:log-group:/aws/codebuild/*]`,
          reason: "CDK Pipelines' asset-publishing projects write to their own CodeBuild log groups",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:codebuild:${this.region}:${ackAccount(this)}:report-group/*]`,
          reason: "CDK Pipelines' asset-publishing projects report to their own report groups",
        },
      );
    }
    for (const project of this.node
      .findAll()
      .filter((c): c is codebuild.Project => c instanceof codebuild.Project)) {
      Validations.of(project).acknowledge(...projectLogAcknowledgements(this, project));
    }
  }

  /**
   * `cdk diff` of one environment's stacks against what is deployed, written to the step's output
   * (kept in the artifact store) and its log: the evidence the approver reads. Read-only: it may
   * assume only the CDK bootstrap's lookup role of the environment's account.
   */
  private diffStep(stage: EnvironmentWave, synth: pipelines.ShellStep): pipelines.CodeBuildStep {
    const env = stage.naming.env;
    const qualifier =
      (this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? 'hnb659fds';
    const account =
      stage.account === undefined || Token.isUnresolved(stage.account) ? this.account : stage.account;
    const region =
      stage.region === undefined || Token.isUnresolved(stage.region) ? this.region : stage.region;
    return new pipelines.CodeBuildStep(`Diff-${env}`, {
      input: synth,
      commands: [
        'mkdir -p evidence',
        // --method template: compare with the deployed templates (read-only), no change set.
        `npx --yes aws-cdk@${CDK_CLI_VERSION} diff --app . --method template '${stage.stageName}/*' 2>&1 | tee evidence/diff-${env}.txt`,
      ],
      primaryOutputDirectory: 'evidence',
      rolePolicyStatements: [
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: [
            `arn:${this.partition}:iam::${account}:role/cdk-${qualifier}-lookup-role-${account}-${region}`,
          ],
        }),
      ],
    });
  }
}
