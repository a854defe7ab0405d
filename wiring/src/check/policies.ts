import type { AssemblyModel } from './assembly';
import { resolve, resolveString, type ResolveScope } from './resolve';
import type { WorkloadRole } from './workloads';

/** An IAM policy document, resolved to plain strings. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** A policy with where it came from, for findings and explanations. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: PolicyDocument;
}

/**
 * AWS managed policies the workloads' roles use, as AWS publishes them (the template holds only
 * their ARNs). A role with another AWS managed policy gets nothing from it in this check.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
 */
const AWS_MANAGED: Readonly<Record<string, PolicyDocument>> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  'service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

function document(scope: ResolveScope, value: unknown): PolicyDocument {
  return resolve(scope, value) as PolicyDocument;
}

/**
 * Every identity policy of a role anywhere in the assembly: the role's inline policies, the
 * `AWS::IAM::Policy` and managed policies that name it (by name: stacks attach to roles they
 * import by name), and the AWS managed policies it lists.
 */
export function identityPolicies(assembly: AssemblyModel, role: WorkloadRole): NamedPolicy[] {
  const policies: NamedPolicy[] = [];
  for (const stage of assembly.stages) {
    for (const stack of stage.stacks) {
      const scope: ResolveScope = { assembly, stack };
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        const props = resource.Properties ?? {};
        if (resource.Type === 'AWS::IAM::Role') {
          if (resolveString(scope, { 'Fn::GetAtt': [logicalId, 'Arn'] }) !== role.arn) {
            continue;
          }
          for (const inline of (props.Policies ?? []) as { PolicyName: unknown; PolicyDocument: unknown }[]) {
            policies.push({
              name: `${stack.stackName}/${logicalId} ${resolveString(scope, inline.PolicyName)}`,
              policy: document(scope, inline.PolicyDocument),
            });
          }
          for (const arn of (resolve(scope, props.ManagedPolicyArns ?? []) as string[]).map(String)) {
            const managed = /:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
            const known = managed ? AWS_MANAGED[managed] : undefined;
            if (known) {
              policies.push({ name: `AWS managed ${managed}`, policy: known });
            }
            // A customer managed policy of the assembly, listed on the role by its ARN.
            const customer = managed ? undefined : customerManagedPolicy(assembly, arn);
            if (customer) {
              policies.push(customer);
            }
          }
        }
        if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
          const roles = (resolve(scope, props.Roles ?? []) as unknown[]).map(String);
          if (roles.includes(role.name)) {
            policies.push({
              name: `${stack.stackName}/${logicalId}`,
              policy: document(scope, props.PolicyDocument),
            });
          }
        }
      }
    }
  }
  return policies;
}

function customerManagedPolicy(assembly: AssemblyModel, arn: string): NamedPolicy | undefined {
  for (const stack of assembly.stages.flatMap((s) => s.stacks)) {
    const scope: ResolveScope = { assembly, stack };
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type === 'AWS::IAM::ManagedPolicy' && resolveString(scope, { Ref: logicalId }) === arn) {
        return {
          name: `${stack.stackName}/${logicalId}`,
          policy: document(scope, resource.Properties?.PolicyDocument),
        };
      }
    }
  }
  return undefined;
}

/** The resource-based policy that governs an ARN, where the assembly defines one. */
export function resourcePolicy(assembly: AssemblyModel, arn: string): NamedPolicy | undefined {
  for (const stage of assembly.stages) {
    for (const stack of stage.stacks) {
      const scope: ResolveScope = { assembly, stack };
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        const props = resource.Properties ?? {};
        const name = `${stack.stackName}/${logicalId}`;
        switch (resource.Type) {
          case 'AWS::KMS::Key':
            if (resolveString(scope, { 'Fn::GetAtt': [logicalId, 'Arn'] }) === arn) {
              return { name: `${name} (key policy)`, policy: document(scope, props.KeyPolicy) };
            }
            break;
          case 'AWS::S3::BucketPolicy': {
            const bucket = resolveString(scope, props.Bucket);
            if (arn === `arn:aws:s3:::${bucket}` || arn.startsWith(`arn:aws:s3:::${bucket}/`)) {
              return { name: `${name} (bucket policy)`, policy: document(scope, props.PolicyDocument) };
            }
            break;
          }
          case 'AWS::SQS::QueuePolicy': {
            const queues = (resolve(scope, props.Queues ?? []) as string[]).map(String);
            const queueName = arn.split(':').pop();
            if (queues.some((url) => url.endsWith(`/${queueName}`))) {
              return { name: `${name} (queue policy)`, policy: document(scope, props.PolicyDocument) };
            }
            break;
          }
          case 'AWS::SecretsManager::ResourcePolicy':
            if (resolveString(scope, props.SecretId) === arn) {
              return { name: `${name} (secret policy)`, policy: document(scope, props.ResourcePolicy) };
            }
            break;
          default:
            break;
        }
      }
    }
  }
  return undefined;
}
