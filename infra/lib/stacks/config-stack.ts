import { Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link ConfigStack}. */
export interface ConfigStackProps extends EnvironmentStackProps {
  /**
   * The parameters to publish, by path below `/<prefix>/<env>/` (e.g. `db/endpoint`), with a
   * description of what reads them.
   */
  readonly parameters: Readonly<Record<string, { readonly value: string; readonly description: string }>>;
}

/**
 * Configuration outside code (seed 000): SSM parameters under `/<prefix>/<env>/` through which
 * pipelines, the ops CLI and the applications find the environment's resources without hard-coding
 * a name. Secrets stay in Secrets Manager under the same path (the database credentials are at
 * `/<prefix>/<env>/db/credentials`); a parameter points to them, never holds them.
 */
export class ConfigStack extends Stack {
  /** The parameters, by path below the environment's prefix. */
  readonly parameters: ReadonlyMap<string, ssm.IStringParameter>;

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
    this.parameters = parameters;
  }
}
