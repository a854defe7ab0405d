import { Stage, type Stack, type StageProps } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from './config/delivery-schema';
import type { EnvironmentConfig } from './config/load';
import { DELIVERY_CODE } from './config/project';
import type { DeliveryCode } from './config/delivery-code';
import {
  acknowledgeCdkProviders,
  acknowledgeCrossStackSettings,
  acknowledgeLogGroupFindings,
} from './aspects/acknowledgements';
import { ownHelperFunctionLogs } from './aspects/helper-logs';
import { applyRemovalRule } from './aspects/removal';
import { applyStandardTags } from './aspects/tags';
import { DeliveryStack } from './pipelines/delivery-stack';
import { DeliveryObservability, pipelineNameOf } from './pipelines/delivery-observability';
import { InfraPipelineStack, type EnvironmentWave } from './pipelines/infra-pipeline-stack';
import { GithubOidcStack } from './stacks/github-oidc-stack';
import { githubDeployRole, githubDiffRole } from './access/github-roles';
import { importKey } from './stacks/environment-stack-props';
import { PIPELINE_LOG_RETENTION } from './pipelines/settings';
import { deliveryNaming, pipelineNames } from '@ias/targets';
import { KIND_LIST, KINDS, type ByKind, type Workloads } from './kinds';

/** Props of {@link DeliveryStage}. */
export interface DeliveryStageProps extends StageProps, Workloads {
  /** The project prefix. */
  readonly prefix: string;
  /** The delivery settings. */
  readonly delivery: DeliveryConfig;
  /** The environments, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /**
   * The environments' stages, which the infrastructure pipeline deploys in waves.
   * @default - no infrastructure pipeline
   */
  readonly environmentStages?: readonly EnvironmentWave[];
  /** The delivery code the pipeline steps run. @default - the repository's `delivery` workspace */
  readonly deliveryCode?: DeliveryCode;
}

/**
 * The application pipelines, `<prefix>-delivery`: the shared delivery stack and one pipeline stack
 * per function, `<prefix>-<function>-pipeline`. Deployed once (with the infrastructure), after
 * which each pipeline delivers its function's code on every push.
 */
export class DeliveryStage extends Stage {
  /** `<prefix>-delivery`: key, access logs, connection, notifications, and (see {@link observability}) what people see. */
  readonly shared: DeliveryStack;
  /** One pipeline per workload, by kind and workload folder name. */
  readonly pipelines: ByKind<'pipeline'>;
  /** `<prefix>-infra-pipeline`: the environments' infrastructure, wave by wave, approved before prod. */
  readonly infrastructure?: InfraPipelineStack;
  /** `<prefix>-github-oidc`: GitHub Actions OIDC: the diff role, and in one account every deploy role. */
  readonly github: GithubOidcStack;
  /**
   * In the shared stack: every pipeline's `-failed` alarm, `<prefix>-delivery-health`, the executions
   * log and the dashboard `<prefix>-delivery-overview`; undefined when there is no pipeline.
   */
  readonly observability?: DeliveryObservability;

  constructor(scope: Construct, id: string, props: DeliveryStageProps) {
    const { delivery } = props;
    super(scope, id, { ...props, env: props.env ?? { account: delivery.account, region: delivery.region } });
    const naming = deliveryNaming(props.prefix);
    this.shared = new DeliveryStack(this, 'shared', {
      stackName: naming.base,
      description: `${naming.base}: KMS key, artifact-store access logs, GitHub connection, notifications, alarms, executions log and overview dashboard of the pipelines`,
      naming,
      delivery,
      pipelineLogPrefixes: KIND_LIST.flatMap((kind) => kind.definitions(props)).map(
        (w) => pipelineNames(props.prefix, w.name).project,
      ),
    });
    // What every application pipeline shares: the environments in promotion order and the shared stack.
    const context = {
      prefix: props.prefix,
      environments: props.environments,
      delivery,
      encryptionKey: this.shared.key,
      accessLogBucket: this.shared.accessLogBucket,
      connectionArn: this.shared.connectionArn,
      deliveryCode: props.deliveryCode ?? DELIVERY_CODE,
    };
    this.pipelines = Object.fromEntries(
      Object.entries(KINDS).map(([id, kind]) => [id, kind.addPipelines(this, props, context)]),
    ) as ByKind<'pipeline'>;
    // GitHub Actions: in one account, every environment's deploy role lives here with the diff
    // role; with accounts of their own, each environment stage holds its deploy role.
    const singleAccount = props.environments.every((e) => e.profile.account === undefined);
    const input = { ...props, repository: delivery.source.repository };
    this.github = new GithubOidcStack(this, 'github', {
      stackName: `${props.prefix}-github-oidc`,
      description: `${props.prefix}: GitHub Actions OIDC provider and roles (trust pinned to ${delivery.source.repository})`,
      createProvider:
        singleAccount || !props.environments.some((e) => e.profile.account === delivery.account),
    });
    this.github.addRole(
      githubDiffRole(this.github, props.prefix, props.environments, delivery.source.repository),
    );
    if (singleAccount) {
      for (const env of props.environments) {
        this.github.addRole(githubDeployRole(this.github, env, input));
      }
    }
    // Environments in other accounts read the pipelines' artifacts (their deploy and delivery
    // roles): they may use the key, through S3 only.
    const targetAccounts = [
      ...new Set(
        props.environments
          .map((e) => e.profile.account)
          .filter((a): a is string => a !== undefined && a !== delivery.account),
      ),
    ];
    if (targetAccounts.length > 0) {
      this.shared.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EnvironmentAccountsReadArtifacts',
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          principals: targetAccounts.map((a) => new iam.AccountPrincipal(a)),
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${delivery.region}.amazonaws.com` } },
        }),
      );
    }
    if (props.environmentStages && props.environmentStages.length > 0) {
      this.infrastructure = new InfraPipelineStack(this, 'infra-pipeline', {
        stackName: `${props.prefix}-infra-pipeline`,
        description: `${props.prefix}-infra-pipeline: the infrastructure of ${props.environmentStages.map((s) => s.naming.env).join(' → ')}, approved before ${delivery.approvalBefore.join(', ') || 'none'}`,
        prefix: props.prefix,
        delivery,
        stages: props.environmentStages,
        connectionArn: this.shared.connectionArn,
        encryptionKey: this.shared.key,
        accessLogBucket: this.shared.accessLogBucket,
      });
    }
    for (const stack of [
      this.shared,
      this.github,
      ...Object.values<ReadonlyMap<string, Stack>>(this.pipelines).flatMap((p) => [...p.values()]),
      ...(this.infrastructure ? [this.infrastructure] : []),
    ]) {
      ownHelperFunctionLogs(stack, {
        logGroupName: `${stack.stackName}-helpers`,
        retention: PIPELINE_LOG_RETENTION,
        encryptionKey: stack === this.shared ? this.shared.key : importKey(stack, this.shared.key),
        retainData: delivery.retainArtifacts,
      });
      acknowledgeCdkProviders(stack);
    }
    const pipelines = [
      ...Object.values<ReadonlyMap<string, Stack>>(this.pipelines).flatMap((p) => [...p.values()]),
      ...(this.infrastructure ? [this.infrastructure] : []),
    ].flatMap((stack) =>
      stack.node
        .findAll()
        .filter((c): c is codepipeline.Pipeline => c instanceof codepipeline.Pipeline)
        .map((pipeline) => ({ stack, pipeline })),
    );
    // Every pipeline tells the delivery topic when it fails, succeeds or waits for a person.
    for (const { stack, pipeline } of pipelines) {
      pipeline.notifyOn('Notify', this.shared.notifications, {
        notificationRuleName: `${stack.stackName}-notify`,
        events: [
          codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
          codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
          codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
        ],
        detailType: notifications.DetailType.FULL,
      });
    }
    // Their failures, executions and the environments' health, shown in the delivery stack.
    if (pipelines.length > 0) {
      this.observability = new DeliveryObservability(this.shared, 'Observability', {
        naming,
        pipelines: pipelines.map(({ pipeline }) => pipelineNameOf(pipeline)),
        environments: props.environments,
        deliveryAccount: delivery.account,
        encryptionKey: this.shared.key,
        logRetention: PIPELINE_LOG_RETENTION,
        retainData: delivery.retainArtifacts,
      });
    }
    acknowledgeLogGroupFindings(this, PIPELINE_LOG_RETENTION);
    acknowledgeCrossStackSettings(this);
    applyStandardTags(this, naming);
    applyRemovalRule(this, delivery.retainArtifacts);
  }
}
