/**
 * The property that holds the explicit physical name of each resource type that has one.
 *
 * The delivery plan lists these names and the invariant tests check that each starts with
 * `<prefix>-<env>-`. A type not listed here gets a name CloudFormation derives from the stack name
 * (which is prefixed already). Lambda aliases are left out on purpose: their names (`live`) are
 * relative to a function that is itself prefixed.
 */
export const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBProxy': 'DBProxyName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::CodeArtifact::Domain': 'DomainName',
  'AWS::CodeArtifact::Repository': 'RepositoryName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::CodePipeline::Pipeline': 'Name',
  'AWS::CodeBuild::Project': 'Name',
  'AWS::CodeDeploy::Application': 'ApplicationName',
  'AWS::CodeDeploy::DeploymentGroup': 'DeploymentGroupName',
  'AWS::CodeDeploy::DeploymentConfig': 'DeploymentConfigName',
  'AWS::CodeStarConnections::Connection': 'ConnectionName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::EC2::SecurityGroup': 'GroupName',
  'AWS::Synthetics::Canary': 'Name',
  'AWS::Logs::MetricFilter': 'FilterName',
  'AWS::Chatbot::SlackChannelConfiguration': 'ConfigurationName',
  'AWS::Chatbot::MicrosoftTeamsChannelConfiguration': 'ConfigurationName',
  'AWS::ECR::PullThroughCacheRule': 'EcrRepositoryPrefix',
  'AWS::CloudTrail::Trail': 'TrailName',
  'AWS::Config::ConfigRule': 'ConfigRuleName',
  'AWS::Config::ConfigurationRecorder': 'Name',
  'AWS::Config::DeliveryChannel': 'Name',
};

/**
 * Renders a CloudFormation value as text: literals as they are, `Ref`, `Fn::GetAtt`, pseudo
 * parameters and imports as `${...}` placeholders, `Fn::Join` joined. Good enough to read a name
 * and to check how it starts.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Ref' in obj) {
      return `\${${String(obj.Ref)}}`;
    }
    if ('Fn::GetAtt' in obj) {
      const att = obj['Fn::GetAtt'];
      return `\${${Array.isArray(att) ? att.join('.') : String(att)}}`;
    }
    if ('Fn::ImportValue' in obj || 'Fn::GetStackOutput' in obj) {
      return '${import}';
    }
    if ('Fn::Join' in obj) {
      const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(renderValue).join(separator);
    }
  }
  return '${' + JSON.stringify(value) + '}';
}

/** A resource with an explicit physical name. */
export interface NamedResource {
  /** CloudFormation type. */
  readonly type: string;
  /** Logical ID in its template. */
  readonly logicalId: string;
  /** The name, rendered with {@link renderValue}. */
  readonly name: string;
}

/** A CloudFormation template, as far as the plan reads it. */
export interface Template {
  readonly Resources?: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>
  >;
}

/** Every resource of a template that has an explicit physical name. */
export function namedResources(template: Template): NamedResource[] {
  const named: NamedResource[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const property = NAME_PROPERTIES[resource.Type];
    const value = property ? resource.Properties?.[property] : undefined;
    if (value !== undefined) {
      named.push({ type: resource.Type, logicalId, name: renderValue(value) });
    }
  }
  return named;
}

/**
 * Whether `name` follows the naming contract of environment `<prefix>-<env>`:
 * `<prefix>-<env>-<component>`, `/<prefix>/<env>/...` for SSM and Secrets Manager paths,
 * `alias/<prefix>-<env>-...` for KMS aliases, `<prefix>-<env>` alone (the canary), or a name whose path AWS dictates
 * (`/aws/<service>/.../<prefix>-<env>-...`, e.g. RDS log groups).
 */
export function followsNamingContract(name: string, prefix: string, env: string): boolean {
  const base = `${prefix}-${env}-`;
  // `<prefix>-<env>` alone: the environment's one canary, whose name may not exceed 21 characters.
  if (
    name === `${prefix}-${env}` ||
    name.startsWith(base) ||
    name.startsWith(`/${prefix}/${env}/`) ||
    name.startsWith(`alias/${base}`)
  ) {
    return true;
  }
  // Under /aws/ AWS fixes the path; the name is in a segment. A canary's function is AWS's
  // `cwsyn-<canary>-<id>`, and the environment's canary is `<prefix>-<env>`.
  return (
    name.startsWith('/aws/') &&
    name.split('/').some((segment) => segment.startsWith(base) || segment.startsWith(`cwsyn-${base}`))
  );
}
