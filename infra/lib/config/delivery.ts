import type { DeliveryInput } from './delivery-schema';

/**
 * Where the application pipelines live and what starts them (seed 003's CodePipeline, one per
 * function). Data, validated when the CDK app loads it (`load.ts`).
 *
 * Set `source.repository` to your GitHub repository. Leave `connectionArn` out to have the
 * pipelines stack create a CodeConnections connection (`<prefix>-github`), then complete its GitHub
 * handshake once in the console; or give the ARN of a connection you already have.
 */
export const delivery = {
  region: 'ap-northeast-1',
  source: {
    repository: 'your-org/aws-delivery-platform',
    branch: 'main',
  },
  // A person approves every promotion to prod, after dev and staging took the same zip.
  approvalBefore: ['prod'],
  // Told when a pipeline fails, succeeds or waits for an approval: replace with your team's address.
  notificationEmails: ['platform-delivery@example.com'],
  deploymentTimeoutMinutes: 90,
  retainArtifacts: false,
} satisfies DeliveryInput;
