import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../config/functions';
import type { ServiceDefinition } from '../config/services';
import {
  bootstrapOf,
  functionCheckStatements,
  functionStepStatements,
  ledgerAcknowledgements,
  ledgerStatements,
  SERVICE_DEPLOY_WILDCARD_REASON,
  serviceDeployStatements,
  serviceStepStatements,
} from '../pipelines/delivery-grants';
import {
  artifactStoreBucketName,
  deliveryRoleName,
  functionTarget,
  pipelineNames,
  serviceTarget,
} from '@ias/targets';
import type { EnvironmentStackProps } from './environment-stack-props';
import { ackAccount } from '../aspects/acknowledgements';

/** Props of {@link DeliveryAccessStack}. */
export interface DeliveryAccessStackProps extends EnvironmentStackProps {
  /** The tooling account, where the pipelines live. */
  readonly toolingAccount: string;
  /** The functions and services whose pipelines deploy here. */
  readonly functions: readonly FunctionDefinition[];
  readonly services: readonly ServiceDefinition[];
}

/**
 * The door of an environment's account for the application pipelines of the tooling account,
 * `<prefix>-<env>-delivery-access`: one role, `<prefix>-<env>-delivery`, that only the pipelines'
 * own roles may assume (by exact ARN), and that may do here exactly what the steps do in one
 * account: update, publish and deploy these functions, create their stacks, deliver and record
 * these services, and run CodePipeline's ECS and CodeDeploy actions on them, reading the pipelines'
 * artifacts through S3.
 *
 * The infrastructure pipeline does not use it: it deploys through the CDK bootstrap's roles, which
 * `cdk bootstrap --trust <tooling account>` opens to the tooling account.
 */
export class DeliveryAccessStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeliveryAccessStackProps) {
    super(scope, id, props);
    const { config, naming, toolingAccount } = props;
    const roleArn = (name: string) => `arn:${this.partition}:iam::${toolingAccount}:role/${name}`;
    const pipelineRoles = [
      ...props.functions.flatMap((f) => {
        const names = pipelineNames(config.prefix, f.name);
        return [roleArn(names.steps), roleArn(names.check)];
      }),
      ...props.services.flatMap((s) => {
        const names = pipelineNames(config.prefix, s.name);
        return [roleArn(names.steps), roleArn(names.pipeline)];
      }),
    ];
    this.role = new iam.Role(this, 'Role', {
      roleName: deliveryRoleName(naming),
      description: `${naming.base}: what the application pipelines of account ${toolingAccount} may do here`,
      // The tooling account, and within it only the pipelines' own roles (named, so listed exactly).
      assumedBy: new iam.AccountPrincipal(toolingAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': pipelineRoles },
      }),
    });
    const functions = props.functions.map((f) => functionTarget(config, f));
    const services = props.services.map((s) => serviceTarget(config, s));
    const statements = [
      ...(functions.length > 0
        ? [...functionCheckStatements(this, functions), ...functionStepStatements(this, functions)]
        : []),
      ...(services.length > 0 ? serviceStepStatements(this, services) : []),
    ];
    statements.forEach((s) => this.role.addToPolicy(s));
    // The pipelines record each delivery in this environment's ledger.
    ledgerStatements(this, [naming]).forEach((s) => this.role.addToPolicy(s));
    Validations.of(this.role).acknowledge(...ledgerAcknowledgements(this, [naming], ackAccount(this)));
    if (props.services.length === 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:ListSecrets for the release ledger (names and version IDs, never values), which AWS does not scope',
      });
    }
    if (services.length > 0) {
      this.grantServiceActions(config.prefix, services, toolingAccount);
    }
    const account = ackAccount(this);
    const { qualifier } = bootstrapOf(this);
    Validations.of(this.role).acknowledge(
      ...[...functions, ...services].map((t) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:${this.region}:${account}:stack/${t.stackName}/*]`,
        reason: 'One function’s or service’s stack here; the wildcard is the stack ID CloudFormation appends',
      })),
      ...(functions.length > 0
        ? [
            {
              id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${account}-${this.region}/*]`,
              reason:
                'Read-only check that a function stack’s file assets are published in the CDK bootstrap bucket',
            },
          ]
        : []),
    );
  }

  /** CodePipeline's ECS and CodeDeploy-to-ECS actions, run as this role. */
  private grantServiceActions(
    prefix: string,
    services: ReturnType<typeof serviceTarget>[],
    toolingAccount: string,
  ): void {
    serviceDeployStatements(this, services).forEach((st) => this.role.addToPolicy(st));
    // The pipelines' artifacts, in the tooling account's stores, through S3 only.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: services.map(
          (s) =>
            `arn:${this.partition}:s3:::${artifactStoreBucketName(pipelineNames(prefix, s.containerName).artifactStore, toolingAccount)}/*`,
        ),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [`arn:${this.partition}:kms:${this.region}:${toolingAccount}:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
      }),
    );
    Validations.of(this.role).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: SERVICE_DEPLOY_WILDCARD_REASON },
      ...services.map((s) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::${artifactStoreBucketName(pipelineNames(prefix, s.containerName).artifactStore, toolingAccount)}/*]`,
        reason: "The objects of this service's pipeline artifact store in the tooling account, read-only",
      })),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:${this.region}:${toolingAccount}:key/*]`,
        reason:
          "The tooling account's pipeline key, for decryption through S3 only (kms:ViaService); its ID is not known in this account",
      },
    );
  }
}
