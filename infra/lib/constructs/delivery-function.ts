import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { deliveryBundle } from './delivery-bundle';
import { SubnetGroup } from './network';
import type { DeliveryCode, DeliveryHandler } from '../config/delivery-code';

/** Props of {@link DeliveryFunction}. */
export interface DeliveryFunctionProps {
  /** The function's name (prefixed). */
  readonly functionName: string;
  /** One line on what it does. */
  readonly description: string;
  /** The delivery code. */
  readonly code: DeliveryCode;
  /** Which handler of the delivery workspace it runs. */
  readonly handler: DeliveryHandler;
  /** Its execution role; the construct adds only the log permissions. */
  readonly role: iam.IRole;
  /** Settings. @default - none */
  readonly environment?: Record<string, string>;
  /** Seconds an invocation may take. */
  readonly timeout: Duration;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** Key for the log group. @default - CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
  /** Keep the log group on `cdk destroy`. */
  readonly retainData: boolean;
  /** Run in this VPC's private subnets (to reach something only the VPC reaches). @default - outside any VPC */
  readonly vpc?: ec2.IVpc;
  /** Its security groups, with `vpc`. */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A Lambda function of the delivery machinery itself (a traffic hook, a pipeline step): the
 * `delivery` workspace's TypeScript bundled by esbuild at synth time (once per handler, see
 * {@link deliveryBundle}), on ARM64, with its own log
 * group. Unlike the application's functions, this code is part of the infrastructure: it changes
 * only when the delivery workspace does.
 */
export class DeliveryFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DeliveryFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      code: lambda.Code.fromAsset(deliveryBundle(props.code.entry(props.handler))),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role: props.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      vpc: props.vpc,
      vpcSubnets: props.vpc ? { subnetGroupName: SubnetGroup.PRIVATE } : undefined,
      securityGroups: props.securityGroups,
    });
    if (props.vpc) {
      return;
    }
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'Delivery machinery talks only to AWS APIs (CodeDeploy, CodePipeline, Lambda, S3, Synthetics); it has no business in the workloads VPC',
    });
  }
}

/** What {@link deliveryProvider} needs besides the handler. */
export interface DeliveryProviderOptions {
  /** The handler's function name: the framework's is `<name>-provider`, its log group `/aws/lambda/<name>-provider`. */
  readonly name: string;
  /** What the framework invokes, in its role's description (`the provisioner`). */
  readonly invokes: string;
  readonly logRetention: logs.RetentionDays;
  readonly encryptionKey?: kms.IKey;
  readonly retainData: boolean;
}

/**
 * aws-cdk-lib's custom-resource provider framework in front of a delivery handler: it answers
 * CloudFormation, also when the handler fails. Outside the VPC (it only invokes the handler through the
 * Lambda API and answers CloudFormation's S3 URL; dev's private subnets have neither a NAT gateway nor
 * a Lambda endpoint), with its own log group and a role that may only write there and invoke the
 * handler. Its constructs are `<idPrefix>ProviderLogs`, `<idPrefix>ProviderRole` and
 * `<idPrefix>Provider` in `scope`.
 */
export function deliveryProvider(
  scope: Construct,
  idPrefix: string,
  handler: DeliveryFunction,
  options: DeliveryProviderOptions,
): cr.Provider {
  const frameworkName = `${options.name}-provider`;
  const frameworkLogs = new logs.LogGroup(scope, `${idPrefix}ProviderLogs`, {
    logGroupName: `/aws/lambda/${frameworkName}`,
    retention: options.logRetention,
    encryptionKey: options.encryptionKey,
    removalPolicy: options.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const frameworkRole = new iam.Role(scope, `${idPrefix}ProviderRole`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${options.name}: the provider framework: invoke ${options.invokes}`,
  });
  frameworkRole.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [frameworkLogs.logGroupArn],
    }),
  );
  const provider = new cr.Provider(scope, `${idPrefix}Provider`, {
    onEventHandler: handler.function,
    providerFunctionName: frameworkName,
    frameworkOnEventRole: frameworkRole,
    logGroup: frameworkLogs,
  });
  Validations.of(provider.node.findChild('framework-onEvent')).acknowledge({
    id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
    reason:
      "aws-cdk-lib's provider framework only calls the Lambda API and CloudFormation's response URL; in the VPC it would need a NAT gateway or a Lambda endpoint that dev does not have",
  });
  const stack = Stack.of(scope);
  Validations.of(frameworkRole).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(handler.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
    reason: `The provider framework invokes any version of ${options.invokes}, as aws-cdk-lib grants it`,
  });
  return provider;
}
