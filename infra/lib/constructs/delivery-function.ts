import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Where the delivery code is: the `delivery` workspace's handler files and the lockfile. */
export interface DeliveryCode {
  /** The repository root (the esbuild project root). */
  readonly projectRoot: string;
  /** The root package-lock.json. */
  readonly lockFile: string;
  /** `delivery/src/handlers/<name>.ts` for a handler name. */
  readonly entry: (handler: 'pipeline-step' | 'traffic-hook') => string;
}

/** Props of {@link DeliveryFunction}. */
export interface DeliveryFunctionProps {
  /** The function's name (prefixed). */
  readonly functionName: string;
  /** One line on what it does. */
  readonly description: string;
  /** The delivery code. */
  readonly code: DeliveryCode;
  /** Which handler of the delivery workspace it runs. */
  readonly handler: 'pipeline-step' | 'traffic-hook';
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
}

/**
 * A Lambda function of the delivery machinery itself (a traffic hook, a pipeline step): the
 * `delivery` workspace's TypeScript bundled by esbuild at synth time, on ARM64, with its own log
 * group. Unlike the application's functions, this code is part of the infrastructure: it changes
 * only when the delivery workspace does.
 */
export class DeliveryFunction extends Construct {
  /** The function. */
  readonly function: nodejs.NodejsFunction;
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
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: props.code.entry(props.handler),
      projectRoot: props.code.projectRoot,
      depsLockFilePath: props.code.lockFile,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role: props.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node20',
        // The SDK clients come with the runtime; bundling them would only grow the package.
        externalModules: ['@aws-sdk/*'],
        logLevel: nodejs.LogLevel.ERROR,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'Delivery machinery talks only to AWS APIs (CodeDeploy, CodePipeline, Lambda, S3); it has no business in the workloads VPC',
    });
  }
}
