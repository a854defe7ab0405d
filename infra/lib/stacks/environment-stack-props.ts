import type { StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import type { Naming } from '@ias/targets';

/** What every stack of an environment receives. */
export interface EnvironmentStackProps extends StackProps {
  /** The environment: name and validated profile. */
  readonly config: EnvironmentConfig;
  /** Names of the environment, from the prefix. */
  readonly naming: Naming;
}

/** The profile's log retention as the CDK enum (the schema admits only values it has). */
export function logRetention(config: EnvironmentConfig): logs.RetentionDays {
  return config.profile.logRetentionDays as logs.RetentionDays;
}

/**
 * The environment key as seen from another stack of the same environment.
 *
 * Grants on the key object itself may add the grantee's ARN to the key policy, which would make
 * the foundation stack depend on the consuming stack (a cycle). Through an imported reference,
 * grants go into the grantee's IAM policy only; the key policy already lets the account's IAM
 * principals use the key. Importing twice into one scope returns the first import.
 */
export function importKey(scope: Construct, key: kms.IKey): kms.IKey {
  const existing = scope.node.tryFindChild('EncryptionKey');
  return existing ? (existing as kms.IKey) : kms.Key.fromKeyArn(scope, 'EncryptionKey', key.keyArn);
}
