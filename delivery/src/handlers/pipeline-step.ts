import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import type { ArtifactCredentials, PipelineJobOutcome } from '../pipeline/job.js';
import { runPipelineJob } from '../pipeline/run.js';

interface AssumedClients {
  lambda: LambdaClient;
  codedeploy: CodeDeployClient;
  cloudformation: CloudFormationClient;
  ssm: SSMClient;
  ecr: ECRClient;
  s3: S3Client;
  codebuild: CodeBuildClient;
  cloudwatch: CloudWatchClient;
}
const assumed = new Map<string, AssumedClients>();

// One logger and one client of each service per container; the region comes from the runtime.
const logger = new Logger({ serviceName: 'delivery-pipeline-step' });
const clients = {
  lambda: new LambdaClient({}),
  // A function's deployment (deploy), and what an EC2 fleet's deployment group runs (ec2-record).
  codedeploy: new CodeDeployClient({}),
  codepipeline: new CodePipelineClient({}),
  // The service steps: first delivery through the service's stack, and the image it runs.
  cloudformation: new CloudFormationClient({}),
  ssm: new SSMClient({}),
  // The supply-chain gate: the scan of the image a service deploys.
  ecr: new ECRClient({}),
  // The SBOM of what passed the gate, stored in the environment's artifact bucket.
  s3: new S3Client({}),
  // A Kubernetes application's deploy project, in the VPC.
  codebuild: new CodeBuildClient({}),
  // A judged function deployment's canary metrics and alarms (judged-deploy).
  cloudwatch: new CloudWatchClient({}),
  // The release ledger, and the configuration snapshot it records.
  dynamodb: new DynamoDBClient({}),
  secrets: new SecretsManagerClient({}),
  // In another account: the environment's delivery role, assumed once per container and role.
  forRole: (roleArn: string) => {
    const existing = assumed.get(roleArn);
    if (existing) return existing;
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: 'pipeline-step', DurationSeconds: 3600 },
    });
    const made = {
      lambda: new LambdaClient({ credentials }),
      codedeploy: new CodeDeployClient({ credentials }),
      cloudformation: new CloudFormationClient({ credentials }),
      ssm: new SSMClient({ credentials }),
      dynamodb: new DynamoDBClient({ credentials }),
      secrets: new SecretsManagerClient({ credentials }),
      ecr: new ECRClient({ credentials }),
      s3: new S3Client({ credentials }),
      codebuild: new CodeBuildClient({ credentials }),
      cloudwatch: new CloudWatchClient({ credentials }),
    };
    assumed.set(roleArn, made);
    return made;
  },
  // The artifact bucket is read with the job's own short-lived credentials, not the function's role.
  artifactS3: (credentials: ArtifactCredentials) =>
    new S3Client({ credentials, followRegionRedirects: true }),
};

/**
 * The Lambda-invoke step of a delivery pipeline (supply-chain-gate, create-appspec, deploy,
 * judged-deploy, ensure-service, record-service-image, kubernetes-deploy or ec2-record, from the
 * action's UserParameters). It never logs the event: that carries the artifact credentials.
 */
export const handler = async (event: unknown, context?: Context): Promise<PipelineJobOutcome> => {
  if (context) {
    logger.addContext(context);
  }
  const job =
    typeof event === 'object' && event !== null
      ? (event as Record<string, unknown>)['CodePipeline.job']
      : undefined;
  const outcome = await runPipelineJob(clients, job);
  if (outcome.result === 'failed') {
    logger.error('pipeline job failed', { jobId: outcome.jobId, message: outcome.message });
  } else {
    logger.info(`pipeline job ${outcome.result}`, { jobId: outcome.jobId, summary: outcome.summary });
  }
  return outcome;
};
