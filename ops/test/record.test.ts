import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { changeOf, recordCliRelease } from '../src/record';
import { awsError, context, prefix, project, stubbedAws } from './helpers';

const prod = project.environments.find((e) => e.name === 'prod');
if (!prod) throw new Error('no prod profile');

describe("recording the CLI's changes in the release ledger", () => {
  let aws: ReturnType<typeof stubbedAws>;
  beforeEach(() => {
    aws = stubbedAws();
  });

  it('knows what a result made live: a promoted or rolled-back alias, a succeeded deployment; not a canary shift', () => {
    const alias = {
      environment: 'prod',
      functionName: `${prefix}-prod-allocate-order`,
      alias: 'live',
      summary: 's',
      changed: true,
      version: '7',
      additionalVersionWeights: {},
    };
    expect(changeOf(alias)).toEqual({
      environment: 'prod',
      change: { functions: { [`${prefix}-prod-allocate-order`]: '7' }, summary: 's' },
    });
    expect(changeOf({ ...alias, additionalVersionWeights: { '8': 0.1 } })).toBeUndefined();
    expect(changeOf({ ...alias, changed: false })).toBeUndefined();
    expect(
      changeOf({
        environment: 'dev',
        functionName: 'f',
        summary: 's',
        outcome: 'succeeded',
        targetVersion: '3',
      }),
    ).toEqual({ environment: 'dev', change: { functions: { f: '3' }, summary: 's' } });
    expect(
      changeOf({ environment: 'dev', functionName: 'f', summary: 's', outcome: 'unchanged' }),
    ).toBeUndefined();
    expect(changeOf(undefined)).toBeUndefined();
  });

  it('carries the SBOM a deploy stored into the change, and nothing that is not an S3 location', () => {
    const sbom = { bucket: `${prefix}-dev-artifact-store-1-ap-northeast-1`, key: 'sbom/f/abc.cdx.json' };
    const deployed = { environment: 'dev', functionName: 'f', summary: 's', outcome: 'succeeded' };
    expect(changeOf({ ...deployed, targetVersion: '3', sbom })?.change.sbom).toEqual(sbom);
    expect(changeOf({ ...deployed, targetVersion: '3', sbom: 's3://b/k' })?.change).not.toHaveProperty(
      'sbom',
    );
    const service = {
      environment: 'dev',
      serviceName: `${prefix}-dev-inventory-api`,
      summary: 's',
      live: { image: 'r@sha256:1', taskDefinition: 'arn:td:5' },
    };
    expect(changeOf({ ...service, sbom })?.change.sbom).toEqual(sbom);
    expect(changeOf(service)?.change).not.toHaveProperty('sbom');
  });

  it('records the next release with the caller, the configuration in use and the new version', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::1:user/ops' });
    aws.mocks.ssm
      .on(GetParametersByPathCommand)
      .resolves({ Parameters: [{ Name: `/${prefix}/prod/x`, Version: 3 }] });
    aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
    aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
    aws.mocks.dynamodb.on(PutItemCommand).resolves({});
    const outcome = await recordCliRelease(context(aws), prod, {
      functions: { [`${prefix}-prod-allocate-order`]: '7' },
      summary: 'promoted',
    });
    expect(outcome).toEqual({ release: 1 });
    const put = aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(`${prefix}-prod-releases`);
    expect(JSON.parse(put?.Item?.release?.S ?? '{}')).toMatchObject({
      number: 1,
      source: 'cli',
      by: 'arn:aws:iam::1:user/ops',
      functions: { [`${prefix}-prod-allocate-order`]: '7' },
      parameters: { [`/${prefix}/prod/x`]: 3 },
    });
    expect(aws.mocks.ssm.commandCalls(GetParametersByPathCommand)[0]?.args[0].input.Path).toBe(
      `/${prefix}/prod/`,
    );
  });

  it('reports, without failing, a change it could not record', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::1:user/ops' });
    aws.mocks.ssm.on(GetParametersByPathCommand).resolves({});
    aws.mocks.secrets.on(ListSecretsCommand).resolves({});
    aws.mocks.dynamodb.on(QueryCommand).rejects(awsError('ResourceNotFoundException', 'no table'));
    const outcome = await recordCliRelease(context(aws), prod, { functions: { f: '1' }, summary: 's' });
    expect(outcome).toEqual({
      warning: `the change is made, but it was not recorded in ${prefix}-prod-releases (ResourceNotFoundException: no table)`,
    });
  });
});
