import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { deliveryRoleName } from '@ias/targets';
import type { EnvironmentStackProps } from '../stacks/environment-stack-props';
import { ackAccount } from '../aspects/acknowledgements';
import { ReleaseLedger } from '../constructs/release-ledger';
import { KIND_LIST, type Workloads } from '../kinds';

/** Props of {@link DeliveryAccessStack}. */
export interface DeliveryAccessStackProps extends EnvironmentStackProps {
  /** The tooling account, where the pipelines live. */
  readonly toolingAccount: string;
  /** The workloads whose pipelines deploy here. */
  readonly workloads: Workloads;
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
    const grants = KIND_LIST.map((kind) =>
      kind.deliveryAccess(this, config, props.workloads, toolingAccount),
    );
    const roleArn = (name: string) => `arn:${this.partition}:iam::${toolingAccount}:role/${name}`;
    this.role = new iam.Role(this, 'Role', {
      roleName: deliveryRoleName(naming),
      description: `${naming.base}: what the application pipelines of account ${toolingAccount} may do here`,
      // The tooling account, and within it only the pipelines' own roles (named, so listed exactly).
      assumedBy: new iam.AccountPrincipal(toolingAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': grants.flatMap((g) => g.pipelineRoles.map(roleArn)) },
      }),
    });
    grants.flatMap((g) => g.steps).forEach((s) => this.role.addToPolicy(s));
    // The pipelines record each delivery in this environment's ledger.
    ReleaseLedger.grantRecord(this.role, [naming]);
    const wildcardReasons = grants.flatMap((g) => (g.wildcardReason ? [g.wildcardReason] : []));
    if (wildcardReasons.length === 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:ListSecrets for the release ledger (names and version IDs, never values), which AWS does not scope',
      });
    }
    grants.flatMap((g) => g.deploy).forEach((st) => this.role.addToPolicy(st));
    if (wildcardReasons.length > 0) {
      Validations.of(this.role).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: wildcardReasons.join('; ') },
        ...grants.flatMap((g) => g.deployAcknowledgements),
      );
    }
    const account = ackAccount(this);
    Validations.of(this.role).acknowledge(
      ...grants
        .flatMap((g) => g.stackNames)
        .map((stackName) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:cloudformation:${this.region}:${account}:stack/${stackName}/*]`,
          reason:
            'One function’s or service’s stack here; the wildcard is the stack ID CloudFormation appends',
        })),
      ...grants.flatMap((g) => g.acknowledgements),
    );
  }
}
