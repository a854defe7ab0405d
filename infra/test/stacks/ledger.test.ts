import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { buildStage } from '../support/stages';

describe('the release ledger', () => {
  it("is each environment's table <prefix>-<env>-releases: keyed by release number, encrypted with the environment key, recoverable", () => {
    for (const [env, policy] of [
      ['dev', 'Delete'],
      ['prod', 'Retain'],
    ] as const) {
      const t = Template.fromStack(buildStage(env).deployment);
      t.hasResource('AWS::DynamoDB::GlobalTable', {
        Properties: Match.objectLike({
          TableName: `ias-${env}-releases`,
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'number', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
          Replicas: [
            Match.objectLike({
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: env === 'prod',
              SSESpecification: { KMSMasterKeyId: Match.anyValue() },
            }),
          ],
        }),
        DeletionPolicy: policy,
      });
    }
  });
});
