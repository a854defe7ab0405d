/**
 * What CodePipeline hands a Lambda-invoke action (the job) and what the action reports back (the
 * outcome), and the SDK clients a job's steps act with.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';

const s3LocationSchema = z.object({ bucketName: z.string().min(1), objectKey: z.string().min(1) });

const artifactSchema = z.object({
  name: z.string().optional(),
  location: z.object({ type: z.string().optional(), s3Location: s3LocationSchema }),
});

/** The temporary credentials CodePipeline gives a job to read and write its artifacts. */
export const artifactCredentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1),
});

/** The temporary credentials CodePipeline gives a job to read and write its artifacts. */
export type ArtifactCredentials = z.infer<typeof artifactCredentialsSchema>;

/** A CodePipeline Lambda-invoke job (`event['CodePipeline.job']`), the fields this step reads. */
export const pipelineJobSchema = z.object({
  id: z.string().min(1),
  data: z.object({
    actionConfiguration: z.object({
      configuration: z.object({ UserParameters: z.string().optional() }),
    }),
    inputArtifacts: z.array(artifactSchema),
    outputArtifacts: z.array(artifactSchema),
    artifactCredentials: artifactCredentialsSchema,
    encryptionKey: z.object({ id: z.string().min(1), type: z.string() }).optional(),
    continuationToken: z.string().optional(),
  }),
});

/** A CodePipeline Lambda-invoke job (`event['CodePipeline.job']`), the fields this step reads. */
export type PipelineJob = z.infer<typeof pipelineJobSchema>;

/** The SDK clients a pipeline job uses. */
export interface PipelineJobClients {
  /** Updates and publishes the function (create-appspec). */
  readonly lambda: LambdaClient;
  /** Starts and follows the deployment (deploy). */
  readonly codedeploy: CodeDeployClient;
  /** Reports the job's result. */
  readonly codepipeline: CodePipelineClient;
  /** Builds the S3 client that reads and writes the job's artifacts with the job's artifact credentials. */
  readonly artifactS3: (credentials: ArtifactCredentials) => S3Client;
  /**
   * Updates a service's stack on its first delivery (ensure-service).
   * @default - none: the ensure-service step fails, saying the client is missing
   */
  readonly cloudformation?: CloudFormationClient;
  /**
   * Reads and writes a service's image parameter (ensure-service, record-service-image).
   * @default - none: those steps fail, saying the client is missing
   */
  readonly ssm?: SSMClient;
  /**
   * Reads the scan of a service's image (supply-chain-gate).
   * @default - none: a supply-chain-gate naming a repository fails, saying the client is missing
   */
  readonly ecr?: ECRClient;
  /**
   * Stores the SBOM of what passed the supply-chain gate in the environment's artifact bucket.
   * @default - none: a supply-chain-gate naming an SBOM location fails, saying the client is missing
   */
  readonly s3?: S3Client;
  /**
   * Starts and follows a Kubernetes application's deploy project (kubernetes-deploy).
   * @default - none: that step fails, saying the client is missing
   */
  readonly codebuild?: CodeBuildClient;
  /**
   * Reads a judged deployment's canary metrics and alarms (judged-deploy).
   * @default - none: that step fails, saying the client is missing
   */
  readonly cloudwatch?: CloudWatchClient;
  /**
   * The clients that act in an environment's account through the role a step names (`roleArn`);
   * CodePipeline and the artifacts stay with the function's own credentials.
   * @default - none: a step naming a role fails, saying so
   */
  readonly forRole?: (
    roleArn: string,
  ) => Pick<
    PipelineJobClients,
    | 'lambda'
    | 'codedeploy'
    | 'cloudformation'
    | 'ssm'
    | 'dynamodb'
    | 'secrets'
    | 'ecr'
    | 's3'
    | 'codebuild'
    | 'cloudwatch'
  >;
  /**
   * Records successful deployments in the environment's ledger (with `ssm` and `secrets`, which
   * snapshot the configuration in use).
   * @default - none: a step naming a ledger fails, saying the client is missing
   */
  readonly dynamodb?: DynamoDBClient;
  /** Lists the environment's secrets and their current versions, for the ledger. */
  readonly secrets?: SecretsManagerClient;
}

/** What a pipeline job reported to CodePipeline. */
export type PipelineJobOutcome =
  | {
      /** The action succeeded. */
      readonly result: 'succeeded';
      readonly jobId: string;
      readonly summary: string;
      readonly outputVariables?: Readonly<Record<string, string>>;
    }
  | {
      /** The deployment still runs: CodePipeline calls again with the continuation token. */
      readonly result: 'in-progress';
      readonly jobId: string;
      readonly summary: string;
      readonly continuationToken: string;
    }
  | {
      /** The action failed with `message`. */
      readonly result: 'failed';
      readonly jobId: string;
      readonly message: string;
    };
