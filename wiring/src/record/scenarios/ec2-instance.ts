/**
 * `ec2:<name>`, for every EC2 application: what its revision's hook scripts do in AWS on an instance,
 * recorded by running them — the real `appspec.yml` hooks of `app/services/<name>/ec2/`, in CodeDeploy's
 * order, for a first deployment and the one after — against a temporary root (`IAS_ROOT`), with the AWS
 * CLI replaced by the recorder (aws-cli-stand-in.ts) and stand-ins for what would change the machine
 * (systemctl, useradd, id, chown, curl). AfterInstall reads each `NAME=ssm:<parameter>` setting of the
 * settings file the launch template's user data writes: recorded as `${setting:ssm.*}`, each such
 * setting of the instances the check reads from the launch template.
 *
 * What AWS's agents on the instance do with its role is not here but read from the assembly by the
 * check (permissions.ts, `instanceRuntimeNeeds`): the CodeDeploy agent's download of the revision
 * from the artifact store of the pipeline that deploys to the fleet's group, the CloudWatch agent's
 * logs and metrics as the user data configures it, and `cfn-signal` on the stack the user data names.
 * They are AWS's programs, configured by the template, which is where the check reads what they do.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadProject, REPO_ROOT } from '@ias/infra/config';
import { EC2_REVISION_FOLDER, ec2HostPaths } from '@ias/targets';
import { parse } from 'yaml';
import { startAwsCliStandIn } from '../aws-cli-stand-in';
import { awsError } from '../recorder';
import { responder } from '../respond';
import { FIXTURE, type Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/ec2-instance.ts';

/**
 * The lifecycle events of an in-place deployment that run the appspec's scripts, in the order the
 * agent runs them (download and install, the agent's own, between BeforeInstall and AfterInstall).
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#reference-appspec-file-structure-hooks-run-order
 */
const LIFECYCLE = [
  'ApplicationStop',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
] as const;

/** The SSM parameters of the fixture's settings (names as `NAME=ssm:/<name>` gives them), and their values. */
const PARAMETERS: Readonly<Record<string, { readonly name: string; readonly value: string }>> = {
  PGHOST: { name: 'wiring-fixture/db/endpoint', value: 'db.wiring-fixture.internal' },
  PGPORT: { name: 'wiring-fixture/db/port', value: '5432' },
  PGDATABASE: { name: 'wiring-fixture/db/name', value: 'inventory' },
};

/** The settings file as the launch template's user data writes it (infra/lib/kinds/ec2/ec2-fleet.ts). */
const SETTINGS = [
  `AWS_REGION=${FIXTURE.region}`,
  'NODE_ENV=production',
  'PORT=3000',
  'DB_AUTH=iam',
  ...Object.entries(PARAMETERS).map(([setting, p]) => `${setting}=ssm:/${p.name}`),
  '',
].join('\n');

/**
 * What would change the machine, each a program that succeeds without doing it; `id` answers that the
 * user does not exist yet (a new instance: BeforeInstall creates it).
 */
const MACHINE: Readonly<Record<string, number>> = {
  systemctl: 0,
  useradd: 0,
  id: 1,
  chown: 0,
  chgrp: 0,
  curl: 0,
};

interface AppSpec {
  readonly hooks?: Record<string, { readonly location: string }[] | undefined>;
}

/** Runs one hook script as the agent does; throws with its output when it fails. */
function runHook(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} exited ${code}:\n${output}`)),
    );
  });
}

function instanceScenario(name: string, folder: string): Scenario {
  const revision = join(REPO_ROOT, folder, EC2_REVISION_FOLDER);
  const host = ec2HostPaths(name);
  return {
    workload: `ec2:${name}`,
    id: `ec2:${name}`,
    source: SOURCE,
    tokens: Object.fromEntries(Object.values(PARAMETERS).map((p) => [p.name, '${setting:ssm.*}'])),
    respond: responder({
      'SSM GetParameter': (input: { Name: string }) => {
        const found = Object.values(PARAMETERS).find((p) => `/${p.name}` === input.Name);
        if (!found) throw awsError('ParameterNotFound');
        return { Parameter: { Name: input.Name, Type: 'String', Value: found.value } };
      },
    }),
    async run(session) {
      const appspec = parse(readFileSync(join(revision, 'appspec.yml'), 'utf8')) as AppSpec;
      const unknown = Object.keys(appspec.hooks ?? {}).filter(
        (h) => !(LIFECYCLE as readonly string[]).includes(h),
      );
      if (unknown.length > 0) {
        throw new Error(
          `${folder}/${EC2_REVISION_FOLDER}/appspec.yml: hooks this scenario does not run: ${unknown.join(', ')}`,
        );
      }
      const dir = mkdtempSync(join(tmpdir(), 'wiring-ec2-'));
      const cli = await startAwsCliStandIn(session, dir);
      try {
        const root = join(dir, 'root');
        const tmp = join(dir, 'tmp');
        mkdirSync(tmp, { recursive: true });
        for (const [program, status] of Object.entries(MACHINE)) {
          writeFileSync(join(cli.bin, program), `#!/bin/sh\nexit ${status}\n`);
          chmodSync(join(cli.bin, program), 0o755);
        }
        const settings = join(root, host.settingsFile);
        mkdirSync(dirname(settings), { recursive: true });
        writeFileSync(settings, SETTINGS);
        for (const deployment of ['d-WIRINGEC201', 'd-WIRINGEC202']) {
          for (const event of LIFECYCLE) {
            // ApplicationStop runs the scripts of the revision deployed before: none at the first.
            if (event === 'ApplicationStop' && deployment === 'd-WIRINGEC201') continue;
            for (const { location } of appspec.hooks?.[event] ?? []) {
              await runHook(join(revision, location), dir, {
                PATH: `${cli.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
                TMPDIR: tmp,
                IAS_ROOT: root,
                ...cli.env,
                // What the agent sets for every hook.
                LIFECYCLE_EVENT: event,
                DEPLOYMENT_ID: deployment,
                APPLICATION_NAME: 'wiring-fixture-ec2-app',
                DEPLOYMENT_GROUP_NAME: 'wiring-fixture-ec2-group',
              });
            }
          }
        }
        // The hooks ran to their end: the environment file holds every parameter's value.
        const environment = join(root, host.environmentFile);
        const written = existsSync(environment) ? readFileSync(environment, 'utf8') : '';
        for (const [setting, p] of Object.entries(PARAMETERS)) {
          if (!written.includes(`${setting}="${p.value}"`)) {
            throw new Error(
              `${host.environmentFile} lacks ${setting} from the parameter /${p.name}:\n${written}`,
            );
          }
        }
      } finally {
        await cli.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** One scenario per EC2 application of the project. */
export const ec2InstanceScenarios: readonly Scenario[] = (loadProject().ec2 ?? []).map((app) =>
  instanceScenario(app.name, app.folder),
);
