import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SyntheticsClient } from '@aws-sdk/client-synthetics';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { mockClient } from 'aws-sdk-client-mock';

// Every AWS client delivery's code takes, under the name its client sets give it.
const CLIENT_CLASSES = {
  autoscaling: AutoScalingClient,
  cloudformation: CloudFormationClient,
  cloudwatch: CloudWatchClient,
  codebuild: CodeBuildClient,
  codedeploy: CodeDeployClient,
  codepipeline: CodePipelineClient,
  dynamodb: DynamoDBClient,
  elbv2: ElasticLoadBalancingV2Client,
  lambda: LambdaClient,
  s3: S3Client,
  secrets: SecretsManagerClient,
  ssm: SSMClient,
  // Typed against an older @smithy/types than the mock's (the registry serves one version): its stub
  // is `never`-typed, and test/kinds/service/support.ts's answerCanaryRuns is the one place that answers it.
  synthetics: SyntheticsClient,
};

/** The name of one AWS client the tests stub. */
export type ClientName = keyof typeof CLIENT_CLASSES;

/** One real client per service: the code under test sends through them, the {@link mocks} answer. */
export type AwsClients = { [K in ClientName]: InstanceType<(typeof CLIENT_CLASSES)[K]> };

const names = Object.keys(CLIENT_CLASSES) as ClientName[];

function byName<T>(make: (name: ClientName) => unknown): T {
  // Object.fromEntries cannot keep the per-key types the mapped types above spell out.
  return Object.fromEntries(names.map((name) => [name, make(name)])) as T;
}

/**
 * Each client's `send`, stubbed once for the whole run (every instance of the class answers through
 * it; a second `mockClient` of a class would throw): test files take their stubs from here, and each
 * test starts with no answers and no calls.
 */
export const mocks = byName<{ [K in ClientName]: AwsClientStub<AwsClients[K]> }>((name) =>
  // mockClient's overloads cannot take the union of the client classes; each entry is one class.
  mockClient(CLIENT_CLASSES[name] as typeof S3Client),
);

/** A real client of each service, with no credentials: only the {@link mocks} answer them. */
export const clients = byName<AwsClients>((name) => new CLIENT_CLASSES[name]({}));

/** Forgets every answer and call of the {@link mocks}: test/setup.ts does it before each test. */
export function resetMocks(): void {
  for (const mock of Object.values(mocks)) {
    mock.reset();
  }
}

/** What a stubbed client can tell of the commands it was sent (an {@link mocks} entry). */
interface SentCommands {
  commandCalls<TInput extends object>(
    command: new (input: TInput) => { input: TInput },
  ): { args: [{ input: TInput }] }[];
}

/** The inputs of the `command`s `mock` was sent, in the order they were sent. */
export function sent<TInput extends object>(
  mock: SentCommands,
  command: new (input: TInput) => { input: TInput },
): TInput[] {
  return mock.commandCalls(command).map((call) => call.args[0].input);
}
