import type { AssemblyModel, CfnResource, StackModel } from './assembly';

/**
 * Resolves CloudFormation intrinsic functions to the values they will have once deployed, so that
 * ARNs in policies and in the workloads' settings can be compared as strings.
 *
 * Physical names CloudFormation generates are stood in for by `<stack>-<logicalId>`, and IDs AWS
 * assigns (key IDs, security group IDs, proxy and cluster resource IDs) by values derived from the
 * logical ID: the same resource always resolves to the same string on both sides of a check.
 */

/** The property that holds a resource's explicit physical name, per type. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::RDS::DBProxy': 'DBProxyName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::CodeBuild::Project': 'Name',
  'AWS::CodeDeploy::Application': 'ApplicationName',
  'AWS::CodeDeploy::DeploymentGroup': 'DeploymentGroupName',
  'AWS::CodeDeploy::DeploymentConfig': 'DeploymentConfigName',
  'AWS::CodePipeline::Pipeline': 'Name',
  'AWS::CodeArtifact::Domain': 'DomainName',
  'AWS::CodeArtifact::Repository': 'RepositoryName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Lambda::Alias': 'Name',
  'AWS::EKS::Cluster': 'Name',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
  'AWS::AutoScaling::AutoScalingGroup': 'AutoScalingGroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
};

/** Where a value is being resolved: the stack, and the assembly for cross-stack references. */
export interface ResolveScope {
  readonly assembly: AssemblyModel;
  readonly stack: StackModel;
}

/** Raised when a value cannot be resolved (a reference to nothing): the check reports it. */
export class UnresolvableError extends Error {}

function resourceOf(scope: ResolveScope, logicalId: string): CfnResource {
  const resource = scope.stack.template.Resources?.[logicalId];
  if (!resource) {
    throw new UnresolvableError(`${scope.stack.stackName}: no resource ${logicalId}`);
  }
  return resource;
}

/** The physical name of a resource: its explicit name, or CloudFormation's stand-in. */
export function physicalName(scope: ResolveScope, logicalId: string): string {
  const resource = resourceOf(scope, logicalId);
  const property = NAME_PROPERTY[resource.Type];
  const explicit = property ? resource.Properties?.[property] : undefined;
  if (explicit !== undefined) {
    return resolveString(scope, explicit);
  }
  if (resource.Type === 'AWS::Lambda::Alias') {
    return resolveString(scope, resource.Properties?.Name);
  }
  return `${scope.stack.stackName}-${logicalId}`;
}

function arnPrefix(scope: ResolveScope, service: string, regional = true): string {
  const { partition, region, account } = scope.stack;
  return `arn:${partition}:${service}:${regional ? region : ''}:${account}:`;
}

/** An ID AWS would assign, unique in the assembly: the stack's name and the logical ID. */
function standInId(scope: ResolveScope, kind: string, logicalId: string): string {
  return `${kind}-${scope.stack.stackName}-${logicalId}`.toLowerCase();
}

/** What `Ref` gives for a resource, per type (AWS's documented return values). */
function refOf(scope: ResolveScope, logicalId: string): string {
  const resource = resourceOf(scope, logicalId);
  const name = (): string => physicalName(scope, logicalId);
  const { region, account } = scope.stack;
  switch (resource.Type) {
    case 'AWS::SecretsManager::Secret':
      return `${arnPrefix(scope, 'secretsmanager')}secret:${name()}-AbCdEf`;
    case 'AWS::SNS::Topic':
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::ECS::TaskDefinition':
    case 'AWS::ECS::Service':
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
    case 'AWS::ElasticLoadBalancingV2::Listener':
    case 'AWS::Lambda::Alias':
    case 'AWS::Lambda::Version':
      return getAtt(scope, logicalId, 'Arn');
    case 'AWS::SecretsManager::SecretTargetAttachment':
      return resolveString(scope, resource.Properties?.SecretId);
    case 'AWS::SQS::Queue':
      return `https://sqs.${region}.amazonaws.com/${account}/${name()}`;
    case 'AWS::KMS::Key':
      return standInId(scope, 'key', logicalId);
    case 'AWS::EC2::SecurityGroup':
      return standInId(scope, 'sg', logicalId);
    case 'AWS::IAM::Role':
    case 'AWS::Lambda::Function':
    case 'AWS::S3::Bucket':
    default:
      return NAME_PROPERTY[resource.Type] ? name() : standInId(scope, 'id', logicalId);
  }
}

/** What `Fn::GetAtt` gives, per type and attribute. */
function getAtt(scope: ResolveScope, logicalId: string, attribute: string): string {
  const resource = resourceOf(scope, logicalId);
  const name = (): string => physicalName(scope, logicalId);
  const { partition, region } = scope.stack;
  const props = resource.Properties ?? {};
  switch (`${resource.Type}.${attribute}`) {
    case 'AWS::IAM::Role.Arn': {
      const path = props.Path === undefined ? '/' : resolveString(scope, props.Path);
      return `${arnPrefix(scope, 'iam', false)}role${path}${name()}`;
    }
    case 'AWS::IAM::InstanceProfile.Arn': {
      const path = props.Path === undefined ? '/' : resolveString(scope, props.Path);
      return `${arnPrefix(scope, 'iam', false)}instance-profile${path}${name()}`;
    }
    case 'AWS::IAM::Role.RoleId':
      return `AROA${logicalId.toUpperCase()}`;
    case 'AWS::IAM::ManagedPolicy.PolicyArn':
    case 'AWS::IAM::ManagedPolicy.Arn':
      return `${arnPrefix(scope, 'iam', false)}policy/${name()}`;
    case 'AWS::Lambda::Function.Arn':
      return `${arnPrefix(scope, 'lambda')}function:${name()}`;
    case 'AWS::Lambda::Alias.Arn':
    case 'AWS::Lambda::Alias.AliasArn':
      return `${arnPrefix(scope, 'lambda')}function:${resolveString(scope, props.FunctionName)}:${resolveString(scope, props.Name)}`;
    case 'AWS::Lambda::Version.Arn':
    case 'AWS::Lambda::Version.FunctionArn':
      return `${arnPrefix(scope, 'lambda')}function:${resolveString(scope, props.FunctionName)}:1`;
    case 'AWS::Lambda::Version.Version':
      return '1';
    case 'AWS::S3::Bucket.Arn':
      return `arn:${partition}:s3:::${name()}`;
    case 'AWS::S3::Bucket.DomainName':
      return `${name()}.s3.amazonaws.com`;
    case 'AWS::S3::Bucket.RegionalDomainName':
      return `${name()}.s3.${region}.amazonaws.com`;
    case 'AWS::KMS::Key.Arn':
      return `${arnPrefix(scope, 'kms')}key/${refOf(scope, logicalId)}`;
    case 'AWS::KMS::Key.KeyId':
      return refOf(scope, logicalId);
    case 'AWS::SecretsManager::Secret.Id':
      return refOf(scope, logicalId);
    case 'AWS::SSM::Parameter.Value':
      return resolveString(scope, props.Value);
    case 'AWS::SQS::Queue.Arn':
      return `${arnPrefix(scope, 'sqs')}${name()}`;
    case 'AWS::SQS::Queue.QueueName':
      return name();
    case 'AWS::SQS::Queue.QueueUrl':
      return refOf(scope, logicalId);
    case 'AWS::SNS::Topic.TopicArn':
      return `${arnPrefix(scope, 'sns')}${name()}`;
    case 'AWS::SNS::Topic.TopicName':
      return name();
    case 'AWS::DynamoDB::Table.Arn':
      return `${arnPrefix(scope, 'dynamodb')}table/${name()}`;
    case 'AWS::Events::EventBus.Arn':
      return `${arnPrefix(scope, 'events')}event-bus/${name()}`;
    case 'AWS::Events::EventBus.Name':
      return name();
    case 'AWS::Events::Rule.Arn':
      return `${arnPrefix(scope, 'events')}rule/${name()}`;
    case 'AWS::ECS::Cluster.Arn':
      return `${arnPrefix(scope, 'ecs')}cluster/${name()}`;
    case 'AWS::ECS::TaskDefinition.TaskDefinitionArn':
    case 'AWS::ECS::TaskDefinition.Arn':
      return `${arnPrefix(scope, 'ecs')}task-definition/${name()}:1`;
    case 'AWS::ECS::Service.Name':
      return name();
    case 'AWS::ECS::Service.ServiceArn':
    case 'AWS::ECS::Service.Arn':
      return `${arnPrefix(scope, 'ecs')}service/${resolveString(scope, props.Cluster ?? 'default')}/${name()}`;
    case 'AWS::RDS::DBCluster.Endpoint.Address':
      return `${name()}.cluster-stand-in.${region}.rds.amazonaws.com`;
    case 'AWS::RDS::DBCluster.ReadEndpoint.Address':
      return `${name()}.cluster-ro-stand-in.${region}.rds.amazonaws.com`;
    case 'AWS::RDS::DBCluster.Endpoint.Port':
      return String(props.Port ?? 5432);
    case 'AWS::RDS::DBCluster.DBClusterResourceId':
      return standInId(scope, 'cluster', logicalId)
        .toUpperCase()
        .replace(/^CLUSTER/, 'cluster');
    case 'AWS::RDS::DBCluster.DBClusterArn':
      return `${arnPrefix(scope, 'rds')}cluster:${name()}`;
    case 'AWS::RDS::DBProxy.Endpoint':
      return `${name()}.proxy-stand-in.${region}.rds.amazonaws.com`;
    case 'AWS::RDS::DBProxy.DBProxyArn':
      return `${arnPrefix(scope, 'rds')}db-proxy:${standInId(scope, 'prx', logicalId)}`;
    case 'AWS::RDS::DBProxy.DBProxyName':
      return name();
    case 'AWS::Logs::LogGroup.Arn':
      return `${arnPrefix(scope, 'logs')}log-group:${name()}:*`;
    case 'AWS::ECR::Repository.Arn':
      return `${arnPrefix(scope, 'ecr')}repository/${name()}`;
    case 'AWS::ECR::Repository.RepositoryUri':
      return `${scope.stack.account}.dkr.ecr.${region}.amazonaws.com/${name()}`;
    case 'AWS::CodeBuild::Project.Arn':
      return `${arnPrefix(scope, 'codebuild')}project/${name()}`;
    case 'AWS::CodeArtifact::Domain.Arn':
      return `${arnPrefix(scope, 'codeartifact')}domain/${name()}`;
    case 'AWS::CodeArtifact::Domain.Name':
      return name();
    case 'AWS::CodeArtifact::Repository.Arn':
      return `${arnPrefix(scope, 'codeartifact')}repository/${resolveString(scope, props.DomainName)}/${name()}`;
    case 'AWS::CodeArtifact::Repository.Name':
      return name();
    case 'AWS::EC2::SecurityGroup.GroupId':
      return refOf(scope, logicalId);
    case 'AWS::EC2::VPC.CidrBlock':
      return resolveString(scope, props.CidrBlock);
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.Arn':
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerArn':
      return `${arnPrefix(scope, 'elasticloadbalancing')}loadbalancer/app/${name()}/0123456789abcdef`;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerFullName':
      return `app/${name()}/0123456789abcdef`;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName':
      return `${name()}-123.${region}.elb.amazonaws.com`;
    case 'AWS::ElasticLoadBalancingV2::TargetGroup.Arn':
    case 'AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupArn':
      return `${arnPrefix(scope, 'elasticloadbalancing')}targetgroup/${name()}/0123456789abcdef`;
    case 'AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupFullName':
      return `targetgroup/${name()}/0123456789abcdef`;
    case 'AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupName':
      return name();
    case 'AWS::ElasticLoadBalancingV2::Listener.Arn':
    case 'AWS::ElasticLoadBalancingV2::Listener.ListenerArn':
      return `${arnPrefix(scope, 'elasticloadbalancing')}listener/app/${logicalId.toLowerCase()}/0123456789abcdef`;
    case 'AWS::EKS::Cluster.Arn':
      return `${arnPrefix(scope, 'eks')}cluster/${name()}`;
    case 'AWS::EKS::Cluster.ClusterSecurityGroupId':
      // The security group EKS creates for the cluster (its control plane's interfaces and, in Auto
      // Mode and managed node groups, its nodes and pods carry it).
      return standInId(scope, 'sg', `${logicalId}-cluster`);
    case 'AWS::CodePipeline::Pipeline.Arn':
      return `${arnPrefix(scope, 'codepipeline')}${name()}`;
    default:
      // Any other attribute: a stable stand-in, so that equal references compare equal.
      return `${physicalName(scope, logicalId)}.${attribute}`;
  }
}

function stackByName(scope: ResolveScope, stackName: string): StackModel {
  for (const stage of scope.assembly.stages) {
    const stack = stage.stacks.find((s) => s.stackName === stackName);
    if (stack) {
      return stack;
    }
  }
  throw new UnresolvableError(`no stack ${stackName} in the assembly`);
}

function importValue(scope: ResolveScope, exportName: string): unknown {
  for (const stage of scope.assembly.stages) {
    for (const stack of stage.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export && resolveString({ ...scope, stack }, output.Export.Name) === exportName) {
          return resolve({ ...scope, stack }, output.Value);
        }
      }
    }
  }
  throw new UnresolvableError(`no stack exports ${exportName}`);
}

/** The value of an SSM parameter the assembly itself creates, by name. */
function parameterValue(scope: ResolveScope, parameterName: string): unknown {
  for (const stage of scope.assembly.stages) {
    for (const stack of stage.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        // A parameter CloudFormation names itself is never one the code reads by name.
        if (resource.Type !== 'AWS::SSM::Parameter' || resource.Properties?.Name === undefined) {
          continue;
        }
        const inner = { ...scope, stack };
        if (resolveString(inner, resource.Properties?.Name) === parameterName) {
          return resolve(inner, resourceOf(inner, logicalId).Properties?.Value);
        }
      }
    }
  }
  throw new UnresolvableError(`no SSM parameter ${parameterName} in the assembly`);
}

/** The value of an SSM parameter the assembly creates, or undefined when it creates none by that name. */
export function knownParameterValue(scope: ResolveScope, parameterName: string): string | undefined {
  try {
    const value = parameterValue(scope, parameterName);
    return typeof value === 'string' ? value : undefined;
  } catch (err) {
    if (err instanceof UnresolvableError) {
      return undefined;
    }
    throw err;
  }
}

function pseudo(scope: ResolveScope, name: string): string | undefined {
  switch (name) {
    case 'AWS::Partition':
      return scope.stack.partition;
    case 'AWS::Region':
      return scope.stack.region;
    case 'AWS::AccountId':
      return scope.stack.account;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return scope.stack.stackName;
    case 'AWS::StackId':
      return `${arnPrefix(scope, 'cloudformation')}stack/${scope.stack.stackName}/stand-in`;
    case 'AWS::NoValue':
      return undefined;
    default:
      return undefined;
  }
}

function ref(scope: ResolveScope, name: string): unknown {
  if (name.startsWith('AWS::')) {
    return pseudo(scope, name);
  }
  const parameter = scope.stack.template.Parameters?.[name];
  if (parameter) {
    if (parameter.Type.startsWith('AWS::SSM::Parameter::Value') && typeof parameter.Default === 'string') {
      return parameterValue(scope, parameter.Default);
    }
    return parameter.Default;
  }
  return refOf(scope, name);
}

function substitute(scope: ResolveScope, template: string, variables: Record<string, unknown>): string {
  return template.replace(/\$\{([^}!]+)\}/g, (_, key: string) => {
    if (key in variables) {
      return resolveString(scope, variables[key]);
    }
    const [id, ...attribute] = key.split('.');
    if (!id) {
      throw new UnresolvableError(`empty Fn::Sub variable in ${template}`);
    }
    return attribute.length > 0 ? getAtt(scope, id, attribute.join('.')) : String(ref(scope, id));
  });
}

/** Resolves every intrinsic function in a value (objects and arrays recursively). */
export function resolve(scope: ResolveScope, value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolve(scope, v)).filter((v) => v !== undefined);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [key, arg] = first;
    switch (key) {
      case 'Ref':
        return ref(scope, String(arg));
      case 'Fn::GetAtt': {
        const [id, ...attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return getAtt(scope, String(id), attribute.join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const resolved = resolve(scope, parts);
        return (resolved as unknown[]).map((p) => String(p)).join(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(arg)
          ? (arg as [string, Record<string, unknown>])
          : [arg as string, {}];
        return substitute(scope, template, variables);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(scope, list) as unknown[];
        return items[Number(resolve(scope, index))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return resolveString(scope, source).split(separator);
      }
      case 'Fn::ImportValue':
        return importValue(scope, resolveString(scope, arg));
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = arg as { StackName: unknown; OutputName: unknown };
        const stack = stackByName(scope, resolveString(scope, StackName));
        const output = stack.template.Outputs?.[resolveString(scope, OutputName)];
        if (!output) {
          throw new UnresolvableError(`${stack.stackName} has no output ${String(OutputName)}`);
        }
        return resolve({ ...scope, stack }, output.Value);
      }
      case 'Fn::Base64':
        return resolve(scope, arg);
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(scope, v)]));
}

/** Resolves a value that must be a string. */
export function resolveString(scope: ResolveScope, value: unknown): string {
  const resolved = resolve(scope, value);
  if (typeof resolved === 'string') {
    return resolved;
  }
  if (typeof resolved === 'number' || typeof resolved === 'boolean') {
    return String(resolved);
  }
  throw new UnresolvableError(`${scope.stack.stackName}: expected a string, got ${JSON.stringify(resolved)}`);
}
