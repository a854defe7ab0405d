import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { PublishVersionCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ProjectConfig } from '@ias/infra/config';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { formatAnyStatus, statusAny, type AllStatusResult } from '../src/commands/status';
import { createContext } from '../src/context';
import { EXIT } from '../src/errors';
import { main } from '../src/main';
import { project, stubCanary, stubbedAws } from './helpers';

/** The repository's project with dev pinned to an account, as a multi-account profile does. */
const pinned: ProjectConfig = {
  ...project,
  environments: project.environments.map((e) =>
    e.name === 'dev' ? { ...e, profile: { ...e.profile, account: '111111111111' } } : e,
  ),
};

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '4' });
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
});

const context = () => createContext({ project: pinned, clients: aws.factory });

async function run(argv: string[]) {
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv, { clients: aws.factory, loadProject: () => pinned });
    return { code, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("credentials of the environment's account", () => {
  it("refuses (exit 4), calling nothing else, when the credentials are another account's", async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    const result = await run(['lambda', 'publish', 'allocate-order', '--env', 'dev']);
    expect(result).toEqual({
      code: EXIT.unsafe,
      stderr:
        'error: your AWS credentials are for account 222222222222, but dev is in account 111111111111 (infra/lib/config/environments.ts): use credentials for 111111111111 (AWS_PROFILE); nothing was changed\n',
    });
    expect(aws.calls().map((c) => c.command)).toEqual(['sts GetCallerIdentity']);
  });

  it('goes on with the right account, asking STS once however many calls follow', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111' });
    expect((await run(['lambda', 'publish', 'allocate-order', '--env', 'dev'])).code).toBe(EXIT.ok);
    expect(aws.mocks.lambda.commandCalls(PublishVersionCommand)).toHaveLength(1);
    aws.mocks.sts.resetHistory();
    expect((await run(['deployments', 'list', '--env', 'dev'])).code).toBe(EXIT.ok);
    expect(aws.mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand).length).toBeGreaterThan(1);
  });

  it('does not ask for an environment whose profile pins no account, nor under --dry-run', async () => {
    await run(['lambda', 'publish', 'allocate-order', '--env', 'staging']);
    await run(['--dry-run', 'lambda', 'publish', 'allocate-order', '--env', 'dev']);
    expect(aws.mocks.sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });

  it('status of every environment shows those it can reach and says which it skipped', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    // Staging and prod answer with nothing deployed.
    aws.mocks.lambda.onAnyCommand().resolves({});
    aws.mocks.cloudwatch.onAnyCommand().resolves({});
    aws.mocks.ecs.onAnyCommand().resolves({});
    aws.mocks.elbv2.onAnyCommand().resolves({});
    aws.mocks.codepipeline.onAnyCommand().resolves({});
    stubCanary(aws, []);
    const result = await statusAny(context(), { env: undefined });
    expect(result).toMatchObject({
      environments: [{ environment: 'staging' }, { environment: 'prod' }],
      skipped: [
        { environment: 'dev', reason: expect.stringContaining('but dev is in account 111111111111') },
      ],
    });
    expect(formatAnyStatus(result as AllStatusResult)).toContain(
      'dev: skipped, your AWS credentials are for account 222222222222',
    );
  });

  it('status fails (exit 4) when it can reach no environment', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222' });
    const allPinned: ProjectConfig = {
      ...project,
      environments: project.environments.map((e) => ({
        ...e,
        profile: { ...e.profile, account: '111111111111' },
      })),
    };
    await expect(
      statusAny(createContext({ project: allPinned, clients: aws.factory }), { env: undefined }),
    ).rejects.toMatchObject({ exitCode: EXIT.unsafe });
  });
});
