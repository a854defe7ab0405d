import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAwsCliStandIn } from '../../src/record/aws-cli-stand-in';
import { awsError, startRecording, type RecordingSession } from '../../src/record/recorder';
import { responder } from '../../src/record/respond';

const respond = responder({
  'SSM GetParameter': (input: { Name: string }) => {
    if (input.Name !== '/app/db/port') throw awsError('ParameterNotFound', 'no such parameter');
    return { Parameter: { Name: input.Name, Type: 'String', Value: '5432' } };
  },
});

let session: RecordingSession | undefined;
let dir: string | undefined;
afterEach(() => {
  session?.stop();
  session = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const GET = ['ssm', 'get-parameter', '--with-decryption', '--query', 'Parameter.Value', '--output', 'text'];

describe('the AWS CLI stand-in', () => {
  it('records the call a command line makes, as the own role, and prints the answer as the CLI does', async () => {
    session = startRecording({ respond });
    expect(await session.cli([...GET, '--name', '/app/db/port', '--region', 'eu-west-3'])).toEqual({
      status: 0,
      stdout: '5432\n',
      stderr: '',
    });
    expect(session.calls).toEqual([
      {
        service: 'ssm',
        action: 'GetParameter',
        resources: ['arn:${partition}:ssm:eu-west-3:${account}:parameter/app/db/port'],
        sdk: 'SSM GetParameter',
      },
    ]);
    expect(session.problems).toEqual([]);
  });

  it("fails as the CLI fails on a service's error, and names a command it cannot read as a problem", async () => {
    session = startRecording({ respond });
    expect(await session.cli([...GET, '--name', '/app/nope'])).toEqual({
      status: 254,
      stdout: '',
      stderr:
        '\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: no such parameter\n',
    });
    expect((await session.cli(['lambda', 'invoke', '--function-name', 'f'])).status).toBe(252);
    expect(session.problems).toEqual([
      expect.stringMatching(/^aws lambda invoke: no IAM mapping for `aws lambda invoke`/),
    ]);
  });

  it('answers a script that runs `aws`, through the program it puts first on PATH', async () => {
    session = startRecording({ respond });
    dir = mkdtempSync(join(tmpdir(), 'wiring-cli-test-'));
    const cli = await startAwsCliStandIn(session, dir);
    try {
      // Asynchronously: the session answers from this process while the script waits.
      const child = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const run = spawn(
          'bash',
          [
            '-c',
            'port="$(aws ssm get-parameter --name /app/db/port --query Parameter.Value --output text)"; echo "port=$port"',
          ],
          {
            env: { PATH: `${cli.bin}:${process.env.PATH ?? ''}`, ...cli.env },
          },
        );
        let stdout = '';
        run.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        run.on('close', (status) => resolve({ status, stdout }));
      });
      expect(child).toEqual({ status: 0, stdout: 'port=5432\n' });
      expect(session.calls.map((c) => `${c.service}:${c.action}`)).toEqual(['ssm:GetParameter']);
    } finally {
      await cli.close();
    }
    // Without the session, the program fails rather than pretend.
    const orphan = spawnSync(join(cli.bin, 'aws'), ['ssm', 'get-parameter', '--name', 'x'], {
      encoding: 'utf8',
      env: { ...process.env, ...cli.env },
    });
    expect(orphan.status).toBe(255);
  });
});
