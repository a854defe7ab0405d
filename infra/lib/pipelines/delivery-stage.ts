import { Stage, type StageProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery-schema';
import type { FunctionDefinition } from '../config/functions';
import type { ServiceDefinition } from '../config/services';
import type { EnvironmentConfig } from '../config/load';
import { DELIVERY_CODE } from '../config/project';
import type { DeliveryCode } from '../constructs/delivery-function';
import {
  acknowledgeCdkProviders,
  acknowledgeCrossStackSettings,
  acknowledgeLogGroupFindings,
} from '../aspects/acknowledgements';
import { ownHelperFunctionLogs } from '../aspects/helper-logs';
import { applyRemovalRule } from '../aspects/removal';
import { applyStandardTags } from '../aspects/tags';
import { DeliveryStack } from './delivery-stack';
import { LambdaPipelineStack } from './lambda-pipeline-stack';
import { ServicePipelineStack } from './service-pipeline-stack';
import { InfraPipelineStack } from './infra-pipeline-stack';
import { GithubOidcStack } from '../stacks/github-oidc-stack';
import { githubDeployRole, githubDiffRole } from './github-roles';
import type { EnvironmentStage } from '../environment-stage';
import { importKey } from '../stacks/environment-stack-props';
import { PIPELINE_LOG_RETENTION } from './settings';
import { deliveryNaming, pipelineNames } from '@ias/targets';

/** Props of {@link DeliveryStage}. */
export interface DeliveryStageProps extends StageProps {
  /** The project prefix. */
  readonly prefix: string;
  /** The delivery settings. */
  readonly delivery: DeliveryConfig;
  /** The environments, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /** The functions, one pipeline each. */
  readonly functions: readonly FunctionDefinition[];
  /**
   * The environments' stages, which the infrastructure pipeline deploys in waves.
   * @default - no infrastructure pipeline
   */
  readonly environmentStages?: readonly EnvironmentStage[];
  /** The container services, one pipeline each. @default - none */
  readonly services?: readonly ServiceDefinition[];
  /** The delivery code the pipeline steps run. @default - the repository's `delivery` workspace */
  readonly deliveryCode?: DeliveryCode;
}

/**
 * The application pipelines, `<prefix>-delivery`: the shared delivery stack and one pipeline stack
 * per function, `<prefix>-<function>-pipeline`. Deployed once (with the infrastructure), after
 * which each pipeline delivers its function's code on every push.
 */
export class DeliveryStage extends Stage {
  /** `<prefix>-delivery`: key, access logs, connection. */
  readonly shared: DeliveryStack;
  /** One pipeline per function, by function folder name. */
  readonly pipelines: ReadonlyMap<string, LambdaPipelineStack>;
  /** `<prefix>-infra-pipeline`: the environments' infrastructure, wave by wave, approved before prod. */
  readonly infrastructure?: InfraPipelineStack;
  /** `<prefix>-github-oidc`: GitHub Actions OIDC: the diff role, and in one account every deploy role. */
  readonly github: GithubOidcStack;
  /** One pipeline per container service, by service folder name. */
  readonly servicePipelines: ReadonlyMap<string, ServicePipelineStack>;

  constructor(scope: Construct, id: string, props: DeliveryStageProps) {
    const { delivery } = props;
    super(scope, id, { ...props, env: props.env ?? { account: delivery.account, region: delivery.region } });
    const naming = deliveryNaming(props.prefix);
    this.shared = new DeliveryStack(this, 'shared', {
      stackName: naming.base,
      description: `${naming.base}: KMS key, artifact-store access logs and GitHub connection of the application pipelines`,
      naming,
      delivery,
      pipelineLogPrefixes: [...props.functions, ...(props.services ?? [])].map(
        (f) => pipelineNames(props.prefix, f.name).project,
      ),
    });
    const pipelines = new Map<string, LambdaPipelineStack>();
    // What every application pipeline shares: the environments in promotion order and the shared stack.
    const pipelineProps = {
      prefix: props.prefix,
      environments: props.environments,
      delivery,
      encryptionKey: this.shared.key,
      accessLogBucket: this.shared.accessLogBucket,
      connectionArn: this.shared.connectionArn,
      deliveryCode: props.deliveryCode ?? DELIVERY_CODE,
    };
    const promotion = props.environments.map((e) => e.name).join(' → ');
    for (const definition of props.functions) {
      const names = pipelineNames(props.prefix, definition.name);
      pipelines.set(
        definition.name,
        new LambdaPipelineStack(this, `pipeline-${definition.name}`, {
          ...pipelineProps,
          stackName: names.stack,
          description: `${names.pipeline}: seed 003's CI/CD pipeline for ${definition.name}, ${promotion}`,
          definition,
        }),
      );
    }
    this.pipelines = pipelines;
    const servicePipelines = new Map<string, ServicePipelineStack>();
    for (const definition of props.services ?? []) {
      const names = pipelineNames(props.prefix, definition.name);
      servicePipelines.set(
        definition.name,
        new ServicePipelineStack(this, `pipeline-${definition.name}`, {
          ...pipelineProps,
          stackName: names.stack,
          description: `${names.pipeline}: container delivery of ${definition.name}, ${promotion}`,
          definition,
        }),
      );
    }
    this.servicePipelines = servicePipelines;
    // GitHub Actions: in one account, every environment's deploy role lives here with the diff
    // role; with accounts of their own, each environment stage holds its deploy role.
    const singleAccount = props.environments.every((e) => e.profile.account === undefined);
    const input = {
      repository: delivery.source.repository,
      functions: props.functions,
      services: props.services ?? [],
    };
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
      ...pipelines.values(),
      ...servicePipelines.values(),
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
    acknowledgeLogGroupFindings(this, PIPELINE_LOG_RETENTION);
    acknowledgeCrossStackSettings(this);
    applyStandardTags(this, naming);
    applyRemovalRule(this, delivery.retainArtifacts);
  }
}
