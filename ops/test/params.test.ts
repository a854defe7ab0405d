import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import { paramsGet, paramsList, paramsSet, secretsSet } from '../src/commands/params';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
});

describe('params', () => {
  it('gets a parameter by its name relative to /<prefix>/<env>/', async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({
      Parameter: { Name: `/${prefix}/dev/db/endpoint`, Type: 'String', Value: 'db.local', Version: 3 },
    });
    const result = await paramsGet(context(aws), { env: 'dev', name: 'db/endpoint' });
    expect(aws.calls()).toEqual([
      { command: 'ssm GetParameter', input: { Name: `/${prefix}/dev/db/endpoint` } },
    ]);
    expect(result).toEqual({
      name: `/${prefix}/dev/db/endpoint`,
      type: 'String',
      value: 'db.local',
      version: 3,
    });
  });

  it('never shows a SecureString value', async () => {
    aws.mocks.ssm.on(GetParameterCommand).resolves({
      Parameter: { Name: `/${prefix}/dev/key`, Type: 'SecureString', Value: 'AQICAH…', Version: 1 },
    });
    expect(await paramsGet(context(aws), { env: 'dev', name: `/${prefix}/dev/key` })).toMatchObject({
      value: undefined,
    });
  });

  it('fails with exit 2 for a missing parameter', async () => {
    aws.mocks.ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));
    await expect(paramsGet(context(aws), { env: 'staging', name: 'nope' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: `parameter /${prefix}/staging/nope not found: list them with "ias-ops params list --env staging"`,
    });
  });

  it.each([`/${prefix}/prod/db/endpoint`, '/other/dev/x', '../prod/x', 'a//b', `/${prefix}/dev/`])(
    'fails as unsafe for %s, outside the environment path, making no call',
    async (name) => {
      await expect(paramsSet(context(aws), { env: 'dev', name, value: 'v' })).rejects.toMatchObject({
        exitCode: EXIT.unsafe,
        message: expect.stringContaining(`only reads and writes names under /${prefix}/dev/`),
      });
      expect(aws.calls()).toEqual([]);
    },
  );

  it('sets a String parameter, overwriting', async () => {
    aws.mocks.ssm.on(PutParameterCommand).resolves({ Version: 4 });
    const result = await paramsSet(context(aws), { env: 'dev', name: 'feature/flag', value: 'on' });
    expect(aws.calls()).toEqual([
      {
        command: 'ssm PutParameter',
        input: { Name: `/${prefix}/dev/feature/flag`, Value: 'on', Type: 'String', Overwrite: true },
      },
    ]);
    expect(result).toEqual({ name: `/${prefix}/dev/feature/flag`, version: 4 });
  });

  it('lists every page under the environment path, recursively', async () => {
    aws.mocks.ssm
      .on(GetParametersByPathCommand, { Path: `/${prefix}/dev/`, Recursive: true, NextToken: undefined })
      .resolves({
        Parameters: [{ Name: `/${prefix}/dev/a`, Type: 'String', Value: '1', Version: 1 }],
        NextToken: 't',
      })
      .on(GetParametersByPathCommand, { Path: `/${prefix}/dev/`, Recursive: true, NextToken: 't' })
      .resolves({
        Parameters: [{ Name: `/${prefix}/dev/b/c`, Type: 'StringList', Value: 'x,y', Version: 2 }],
      });
    const result = await paramsList(context(aws), { env: 'dev' });
    expect(aws.calls().map((c) => c.input)).toEqual([
      { Path: `/${prefix}/dev/`, Recursive: true, NextToken: undefined },
      { Path: `/${prefix}/dev/`, Recursive: true, NextToken: 't' },
    ]);
    expect(result).toEqual({
      path: `/${prefix}/dev/`,
      parameters: [
        { name: `/${prefix}/dev/a`, type: 'String', value: '1', version: 1 },
        { name: `/${prefix}/dev/b/c`, type: 'StringList', value: 'x,y', version: 2 },
      ],
    });
  });

  it('makes no call under --dry-run', async () => {
    const result = await paramsSet(context(aws, { dryRun: true }), { env: 'prod', name: 'x', value: 'y' });
    expect(aws.calls()).toEqual([]);
    expect(result).toEqual({
      dryRun: true,
      calls: [
        {
          service: 'ssm',
          command: 'PutParameter',
          input: { Name: `/${prefix}/prod/x`, Value: 'y', Type: 'String', Overwrite: true },
        },
      ],
    });
  });
});

describe('secrets set', () => {
  it('stores the value read from stdin, dropping one trailing newline, and never prints it', async () => {
    aws.mocks.secrets.on(PutSecretValueCommand).resolves({ VersionId: 'v-1' });
    const run = await runMain(
      ['--json', 'secrets', 'set', 'api/token', '--env', 'dev', '--value-stdin'],
      aws,
      's3cr3t-value\n',
    );
    expect(run.code).toBe(EXIT.ok);
    expect(aws.calls()).toEqual([
      {
        command: 'secrets PutSecretValue',
        input: { SecretId: `/${prefix}/dev/api/token`, SecretString: 's3cr3t-value' },
      },
    ]);
    expect(JSON.parse(run.stdout)).toEqual({ name: `/${prefix}/dev/api/token`, versionId: 'v-1' });
    expect(run.stdout + run.stderr).not.toContain('s3cr3t');
  });

  it('fails with exit 2 without --value-stdin, and with an empty value', async () => {
    await expect(
      secretsSet(context(aws, { stdin: 'x' }), { env: 'dev', name: 'a', valueStdin: false }),
    ).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining('pass --value-stdin'),
    });
    await expect(
      secretsSet(context(aws, { stdin: '\n' }), { env: 'dev', name: 'a', valueStdin: true }),
    ).rejects.toMatchObject({ exitCode: EXIT.badInput, message: expect.stringContaining('empty value') });
    expect(aws.calls()).toEqual([]);
  });

  it('fails with exit 2 for a secret the infrastructure has not created', async () => {
    aws.mocks.secrets.on(PutSecretValueCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(
      secretsSet(context(aws, { stdin: 'v' }), { env: 'dev', name: 'nope', valueStdin: true }),
    ).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining(`secret /${prefix}/dev/nope does not exist`),
    });
  });

  it('shows no value under --dry-run', async () => {
    const run = await runMain(
      ['--dry-run', 'secrets', 'set', 'a', '--env', 'dev', '--value-stdin'],
      aws,
      'hidden',
    );
    expect(run.code).toBe(EXIT.ok);
    expect(aws.calls()).toEqual([]);
    expect(run.stdout).toBe(
      `dry run: 1 AWS call would be made, none was:\n  secrets PutSecretValue {"SecretId":"/${prefix}/dev/a","SecretString":"<stdin, not shown>"}\n`,
    );
  });
});
