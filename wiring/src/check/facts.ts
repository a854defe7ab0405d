import type { AssemblyModel, CfnResource, StackModel } from './assembly';
import { resolve, resolveString, type ResolveScope } from './resolve';

/** A resource of the assembly with the scope its values resolve in. */
export interface Located {
  readonly scope: ResolveScope;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** Every resource of a type across the assembly (or one stage's stacks). */
export function resourcesOfType(
  assembly: AssemblyModel,
  type: string,
  stacks?: readonly StackModel[],
): Located[] {
  const found: Located[] = [];
  for (const stack of stacks ?? assembly.stages.flatMap((s) => s.stacks)) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type === type) {
        found.push({ scope: { assembly, stack }, logicalId, resource });
      }
    }
  }
  return found;
}

/** The first resource of a type (across the assembly, or in `stacks`) whose property resolves to `value`. */
export function resourceWhere(
  assembly: AssemblyModel,
  type: string,
  name: string,
  value: string,
  stacks?: readonly StackModel[],
): Located | undefined {
  return resourcesOfType(assembly, type, stacks).find(
    (r) => r.resource.Properties?.[name] !== undefined && property(r, name) === value,
  );
}

/** The value of `Fn::GetAtt` on a located resource. */
export function attribute(located: Located, name: string): string {
  return resolveString(located.scope, { 'Fn::GetAtt': [located.logicalId, name] });
}

/** The value of `Ref` on a located resource. */
export function reference(located: Located): string {
  return resolveString(located.scope, { Ref: located.logicalId });
}

/** A property, resolved. */
export function property(located: Located, name: string): unknown {
  return resolve(located.scope, located.resource.Properties?.[name]);
}

/** The ARN of a KMS key given as an ARN, a key ID or an alias, within an assembly. */
export function keyArn(assembly: AssemblyModel, value: string): string | undefined {
  if (value.startsWith('arn:') && value.includes(':key/')) {
    return value;
  }
  for (const key of resourcesOfType(assembly, 'AWS::KMS::Key')) {
    if (reference(key) === value) {
      return attribute(key, 'Arn');
    }
  }
  for (const alias of resourcesOfType(assembly, 'AWS::KMS::Alias')) {
    if (reference(alias) === value || value.endsWith(`:${reference(alias)}`)) {
      const target = String(property(alias, 'TargetKeyId'));
      return keyArn(assembly, target);
    }
  }
  return undefined;
}

/** The customer managed key that encrypts what an ARN names, where the assembly says so. */
export function encryptionKeyOf(
  assembly: AssemblyModel,
  arn: string,
): { key: string; via: string } | undefined {
  const [, , service, region] = arn.split(':');
  const via = (svc: string): string => `${svc}.${region}.amazonaws.com`;
  switch (service) {
    case 'secretsmanager':
      for (const secret of resourcesOfType(assembly, 'AWS::SecretsManager::Secret')) {
        if (reference(secret) === secretArnBase(arn)) {
          const key = property(secret, 'KmsKeyId');
          const resolved = typeof key === 'string' ? keyArn(assembly, key) : undefined;
          return resolved ? { key: resolved, via: via('secretsmanager') } : undefined;
        }
      }
      return undefined;
    case 's3': {
      const bucketName = arn.split(':::')[1]?.split('/')[0];
      for (const bucket of resourcesOfType(assembly, 'AWS::S3::Bucket')) {
        if (reference(bucket) === bucketName) {
          const encryption = property(bucket, 'BucketEncryption') as
            | {
                ServerSideEncryptionConfiguration?: {
                  ServerSideEncryptionByDefault?: { KMSMasterKeyID?: string };
                }[];
              }
            | undefined;
          const key =
            encryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
          const resolved = key ? keyArn(assembly, key) : undefined;
          // An S3 ARN names no region: the bucket's is its key's (SSE-KMS takes a key of its region).
          return resolved
            ? { key: resolved, via: `s3.${resolved.split(':')[3] ?? ''}.amazonaws.com` }
            : undefined;
        }
      }
      return undefined;
    }
    case 'sqs':
      for (const queue of resourcesOfType(assembly, 'AWS::SQS::Queue')) {
        if (attribute(queue, 'Arn') === arn) {
          const key = property(queue, 'KmsMasterKeyId');
          const resolved = typeof key === 'string' ? keyArn(assembly, key) : undefined;
          return resolved ? { key: resolved, via: via('sqs') } : undefined;
        }
      }
      return undefined;
    case 'dynamodb':
      for (const table of resourcesOfType(assembly, 'AWS::DynamoDB::Table')) {
        if (arn === attribute(table, 'Arn') || arn.startsWith(`${attribute(table, 'Arn')}/`)) {
          const sse = property(table, 'SSESpecification') as { KMSMasterKeyId?: string } | undefined;
          const resolved = sse?.KMSMasterKeyId ? keyArn(assembly, sse.KMSMasterKeyId) : undefined;
          return resolved ? { key: resolved, via: via('dynamodb') } : undefined;
        }
      }
      return undefined;
    case 'ssm':
      // CloudFormation cannot create SecureString parameters: the assembly's are plain strings.
      return undefined;
    default:
      return undefined;
  }
}

/**
 * A secret's ARN without what follows its random suffix: `…:secret:name-AbCdEf` from
 * `…:secret:name-AbCdEf:json-key:stage:version` (the form ECS `ValueFrom` takes).
 */
export function secretArnBase(arn: string): string {
  return arn.split(':').slice(0, 7).join(':');
}
