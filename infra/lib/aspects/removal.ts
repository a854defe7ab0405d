import { RemovalPolicies, RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * CloudFormation types that hold data or logs. Seed 000: `cdk destroy` removes them unless the
 * environment's profile retains data.
 */
export const STATEFUL_RESOURCE_TYPES = [
  'AWS::Logs::LogGroup',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::S3::Bucket',
  'AWS::ECR::Repository',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::CodeArtifact::Domain',
  'AWS::CodeArtifact::Repository',
] as const;

/**
 * The removal rule, as an aspect over every stateful resource under `scope`: DESTROY when the
 * environment does not retain data, RETAIN when it does. Constructs already choose the same
 * policy (and empty buckets and repositories on delete); the aspect makes sure nothing created by a
 * library construct escapes it.
 */
export function applyRemovalRule(scope: IConstruct, retainData: boolean): void {
  RemovalPolicies.of(scope).apply(retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY, {
    applyToResourceTypes: [...STATEFUL_RESOURCE_TYPES],
  });
}
