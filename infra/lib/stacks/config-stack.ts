import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { operatorPolicyArnParameter } from '../config/operator-access';
import { OperatorPolicy } from '../constructs/operator-policy';
import type { EnvironmentStackProps } from './environment-stack-props';

/** One SSM parameter of the environment, with a description of what reads it. */
export interface ConfigParameter {
  readonly value: string;
  readonly description: string;
}

/** Props of {@link ConfigStack}. */
export interface ConfigStackProps extends EnvironmentStackProps {
  /**
   * The parameters to publish, by path below `/<prefix>/<env>/` (e.g. `db/endpoint`), with a
   * description of what reads them.
   */
  readonly parameters: Readonly<Record<string, ConfigParameter>>;
  /** The environment key, which the operator policy lets `ias-ops` use through SSM, Secrets Manager and DynamoDB. */
  readonly encryptionKey: kms.IKey;
  /**
   * The region of the pipelines, for the operator policy.
   * @default - the stack's region
   */
  readonly pipelineRegion?: string;
}

/**
 * Configuration outside code (seed 000): SSM parameters under `/<prefix>/<env>/` through which
 * pipelines, the ops CLI and the applications find the environment's resources without hard-coding
 * a name. Secrets stay in Secrets Manager under the same path (the database credentials are at
 * `/<prefix>/<env>/db/credentials`); a parameter points to them, never holds them.
 *
 * Also the operator policy `<prefix>-<env>-operator` (what `ias-ops` calls here), its ARN published
 * at `/<prefix>/<env>/ops/operator-policy-arn`.
 */
export class ConfigStack extends Stack {
  /** The parameters, by path below the environment's prefix. */
  readonly parameters: ReadonlyMap<string, ssm.IStringParameter>;
  /** The operator policy `<prefix>-<env>-operator`, attached to nothing. */
  readonly operatorPolicy: OperatorPolicy;

  constructor(scope: Construct, id: string, props: ConfigStackProps) {
    super(scope, id, props);
    const parameters = new Map<string, ssm.IStringParameter>();
    for (const [path, { value, description }] of Object.entries(props.parameters)) {
      parameters.set(
        path,
        new ssm.StringParameter(this, `Parameter-${path}`, {
          parameterName: props.naming.path(...path.split('/')),
          stringValue: value,
          description,
          tier: ssm.ParameterTier.STANDARD,
        }),
      );
    }
    this.operatorPolicy = new OperatorPolicy(this, 'OperatorPolicy', {
      config: props.config,
      naming: props.naming,
      encryptionKey: props.encryptionKey,
      pipelineRegion: props.pipelineRegion,
    });
    new ssm.StringParameter(this, 'OperatorPolicyArn', {
      parameterName: operatorPolicyArnParameter(props.naming),
      stringValue: this.operatorPolicy.policy.managedPolicyArn,
      description:
        'The operator policy (what ias-ops calls here): attach it to an operator role or permission set',
      tier: ssm.ParameterTier.STANDARD,
    });
    this.parameters = parameters;
  }
}
