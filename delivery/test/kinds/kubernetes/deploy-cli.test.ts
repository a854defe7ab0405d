import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import type { KubernetesDeploymentSettings } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import {
  defaultDeployFile,
  EXIT,
  type KubernetesCliIo,
  runKubernetesCli,
} from '../../../src/kinds/kubernetes/deploy-cli.js';
import { renderColor } from '../../../src/kinds/kubernetes/manifests.js';
import { mocks, sent } from '../../aws.js';
import {
  alarmsWhen,
  application,
  FakeKubernetesApi,
  fakeClock,
  IMAGE,
  INGRESS_SWITCH,
  OLD_IMAGE,
  refusal,
  SERVICE_SWITCH,
  servingCluster,
} from './fake-api.js';
import {
  analysis,
  answerMetricsWith,
  answerTargetGroups,
  BLUE_TG,
  COLOR_BINDINGS,
  FAILING,
  GREEN_TG,
  HEALTHY,
  LOAD_BALANCER,
} from './fake-canary.js';

const FILE = 'infra/cdk.out/k8s/dev/inventory-api.deploy.json';
const ALARM = 'ias-dev-inventory-api-k8s-health';

/** The deploy file the infrastructure layer writes for inventory-api in dev under `settings`. */
function deployFile(settings: KubernetesDeploymentSettings): Record<string, unknown> {
  const { target, input } = application(settings);
  return {
    version: 1,
    environment: 'dev',
    region: 'ap-northeast-1',
    target,
    settings,
    alarms: [ALARM],
    parameters: { PGHOST: '/ias/dev/db/host' },
    input: {
      prefix: input.prefix,
      manifest: input.manifest,
      container: input.container,
      replicas: input.replicas,
    },
  };
}

interface Run {
  code: number;
  out: string[];
  err: string[];
  written: Record<string, string>;
}

/** Runs the CLI against `api` with the deploy file `file` (as JSON) at {@link FILE}. */
async function cli(
  argv: string[],
  options: {
    api?: FakeKubernetesApi;
    file?: unknown;
    alarms?: KubernetesCliIo['alarms'];
    env?: Record<string, string>;
  } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const written: Record<string, string> = {};
  const file = options.file ?? deployFile(SERVICE_SWITCH);
  const code = await runKubernetesCli(argv, {
    env: options.env ?? {},
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readFile: async (path) => {
      if (path !== FILE) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return typeof file === 'string' ? file : JSON.stringify(file);
    },
    writeFile: async (path, text) => {
      written[path] = text;
    },
    kubernetes: async (clusterName, region) => {
      expect([clusterName, region]).toEqual(['ias-dev-eks', 'ap-northeast-1']);
      return options.api ?? new FakeKubernetesApi();
    },
    alarms: options.alarms ?? (() => alarmsWhen(ALARM)),
    parameters: async (names) => Object.fromEntries(names.map((n) => [n, 'db.ias-dev.internal'])),
    clock: fakeClock(),
  });
  return { code, out, err, written };
}

const DEPLOY = ['deploy', '--env', 'dev', '--app', 'inventory-api', '--image', IMAGE];

describe('deploy-cli: bad input', () => {
  it('prints the usage with --help', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(EXIT.DONE);
    expect(run.out[0]).toMatch(/^usage: npx tsx delivery\/src\/kinds\/kubernetes\/deploy-cli.ts deploy/);
  });

  it.each([
    [[], 'kubernetes: no command: the commands are deploy and switch-back (--help for the usage)'],
    [
      ['rollout'],
      'kubernetes: unknown command "rollout": the commands are deploy and switch-back (--help for the usage)',
    ],
    [['deploy', '--env', 'dev', '--app', 'inventory-api'], 'kubernetes: deploy: --image: is required'],
    [[...DEPLOY, '--force'], "kubernetes: deploy: Unknown option '--force'"],
    [
      ['deploy', '--env', 'Dev', '--app', 'inventory-api', '--image', IMAGE],
      'kubernetes: deploy: --env: must be an environment name such as dev',
    ],
    [
      ['switch-back', '--env', 'dev', '--app', 'inventory-api', '--to', 'purple'],
      'kubernetes: switch-back: --to: must be blue or green',
    ],
  ])('fails with exit 2 and one line on %j', async (argv, line) => {
    const api = new FakeKubernetesApi();
    const run = await cli(argv, { api });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toContain(line);
    expect(api.calls).toEqual([]);
  });

  it('fails on an image tagged instead of pinned by digest, quoting it', async () => {
    const tagged = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:3f2c1ab';
    const run = await cli(['deploy', '--env', 'dev', '--app', 'inventory-api', '--image', tagged]);
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      `kubernetes: deploy: --image: "${tagged}" is not pinned by its digest: give <repository>@sha256:<64 hex digits> (a tag can move; the digest is what was built and recorded)`,
    ]);
  });

  it('fails on an image from another repository (build once)', async () => {
    const other = IMAGE.replace('ias-dev-inventory-api', 'ias-dev-other');
    const api = new FakeKubernetesApi();
    const run = await cli(['deploy', '--env', 'dev', '--app', 'inventory-api', '--image', other], { api });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err[0]).toContain('is not from repository ias-dev-inventory-api');
    expect(api.calls).toEqual([]);
  });

  it('fails when the deploy file is missing, naming where it looked', async () => {
    const run = await cli([...DEPLOY, '--target-file', 'elsewhere.json']);
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      "kubernetes: elsewhere.json: cannot read the deploy file: ENOENT: no such file or directory, open 'elsewhere.json'",
    ]);
    expect(defaultDeployFile('dev', 'inventory-api')).toBe(FILE);
  });

  it('fails on a deploy file that is not JSON, or breaks the schema, naming the fields', async () => {
    expect((await cli(DEPLOY, { file: '{' })).err[0]).toMatch(
      /^kubernetes: .*inventory-api.deploy.json: not valid JSON/,
    );
    const broken = { ...deployFile(SERVICE_SWITCH), alarms: [], version: 2 };
    const run = await cli(DEPLOY, { file: broken });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      `kubernetes: ${FILE}: version: Invalid input: expected 1; alarms: must name at least one alarm: a deployment must be able to roll itself back`,
    ]);
  });

  it('fails on the deploy file of another environment or application', async () => {
    const run = await cli(['deploy', '--env', 'dev', '--app', 'inventory-api', '--image', IMAGE], {
      file: { ...deployFile(SERVICE_SWITCH), environment: 'prod' },
    });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      `kubernetes: ${FILE} is the deploy file of inventory-api in prod, not of inventory-api in dev`,
    ]);
  });

  it('fails when neither the file nor AWS_REGION names a region', async () => {
    const file = { ...deployFile(SERVICE_SWITCH), region: undefined };
    expect((await cli(DEPLOY, { file })).err).toEqual([
      `kubernetes: ${FILE} names no region and AWS_REGION is not set`,
    ]);
    expect((await cli(DEPLOY, { file, env: { AWS_REGION: 'ap-northeast-1' } })).code).toBe(EXIT.DONE);
  });
});

describe('deploy-cli deploy', () => {
  it('deploys green, prints each step, writes the result for the ledger and exits 0', async () => {
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    const run = await cli([...DEPLOY, '--result-file', 'result.json'], { api });
    expect(run.code).toBe(EXIT.DONE);
    expect(run.err).toEqual([]);
    expect(run.out).toContain(`succeeded: green serves ${IMAGE}`);
    expect(JSON.parse(run.written['result.json'] as string)).toEqual({
      environment: 'dev',
      app: 'inventory-api',
      result: 'succeeded',
      color: 'green',
      image: IMAGE,
      previousColor: 'blue',
      revision: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      steps: [100],
      warnings: [],
    });
    expect(api.find('ConfigMap', 'inventory-api-config')?.['data']).toMatchObject({
      PGHOST: 'db.ias-dev.internal',
    });
    expect(api.selects('inventory-api')).toBe('green');
  });

  it('exits 1 with one line when an alarm switches back', async () => {
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue');
    const run = await cli([...DEPLOY, '--result-file', 'result.json'], {
      api,
      file: deployFile(INGRESS_SWITCH),
      alarms: () => alarmsWhen(ALARM, () => api.weights('inventory-api')['inventory-api-green'] === 5),
    });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err).toEqual([`kubernetes: rolled back to blue: alarm ${ALARM} during the bake`]);
    expect(JSON.parse(run.written['result.json'] as string)).toMatchObject({
      result: 'rolled-back',
      atPercent: 5,
    });
  });

  it('exits 1 when green never becomes ready', async () => {
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue', { readiness: { 'inventory-api-green': 'never' } });
    const run = await cli(DEPLOY, { api });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err).toEqual([
      'kubernetes: failed: Deployment ias-dev/inventory-api-green was not rolled out in 600 s (0/2 ready, 2 updated, 2 in all)',
    ]);
    expect(api.selects('inventory-api')).toBe('blue');
  });

  it('exits 1 naming the object the API refused', async () => {
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue', {
      fail: (call) => (call.op === 'patch' ? refusal('denied by policy', 403, 'Forbidden') : undefined),
    });
    const run = await cli(DEPLOY, { api });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err).toEqual([
      'kubernetes: patching Service ias-dev/inventory-api: the Kubernetes API answered 403 Forbidden: denied by policy; routing unchanged: blue serves; green scaled to 0',
    ]);
  });

  it('starts the new color with as many pods as the serving one runs', async () => {
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    await api.scale('ias-dev', 'inventory-api-blue', 3);
    await cli(DEPLOY, { api });
    expect(api.replicas('inventory-api-green')).toBe(3);
  });

  it('prints what it would do on a dry run, and changes nothing', async () => {
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'green');
    const run = await cli([...DEPLOY, '--dry-run'], { api, file: deployFile(INGRESS_SWITCH) });
    expect(run.code).toBe(EXIT.DONE);
    expect(api.writes()).toEqual([]);
    expect(run.out).toEqual(
      expect.arrayContaining([
        'dry run: inventory-api in dev (ingress-switch), nothing changed',
        'green serves; would deploy blue',
        'would apply Deployment ias-dev/inventory-api-blue',
        'would apply Ingress ias-dev/inventory-api',
        'would test /ready and /health through Service ias-dev/inventory-api-test',
        `would move users to blue by ingress-weights: 5 % → 100 %, baking 10 min each, watching ${ALARM}`,
        'would keep green 60 min, then scale it to 0',
      ]),
    );
  });

  it('reads the alarms from CloudWatch and refuses to deploy while one does not exist', async () => {
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKubernetesCli(DEPLOY, {
      env: {},
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      readFile: async () => JSON.stringify({ ...deployFile(SERVICE_SWITCH), parameters: {} }),
      kubernetes: async () => api,
      clock: fakeClock(),
    });
    expect(code).toBe(EXIT.BAD_INPUT);
    expect(err).toEqual([
      `kubernetes: alarm(s) ${ALARM} do not exist: a deployment watches only alarms there are (deploy the infrastructure first)`,
    ]);
    expect(sent(mocks.cloudwatch, DescribeAlarmsCommand)).toEqual([
      { AlarmNames: [ALARM], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
    expect(api.writes()).toEqual([]);
  });

  it('reads the settings from SSM, and refuses a SecureString', async () => {
    mocks.ssm.on(GetParametersCommand).resolves({
      Parameters: [{ Name: '/ias/dev/db/host', Type: 'SecureString', Value: 'AQICAH…' }],
    });
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: ALARM, StateValue: 'OK' }] });
    const err: string[] = [];
    const code = await runKubernetesCli(DEPLOY, {
      env: {},
      out: () => undefined,
      err: (line) => err.push(line),
      readFile: async () => JSON.stringify(deployFile(SERVICE_SWITCH)),
      kubernetes: async () => new FakeKubernetesApi(),
      clock: fakeClock(),
    });
    expect(code).toBe(EXIT.BAD_INPUT);
    expect(err[0]).toContain('parameter /ias/dev/db/host is a SecureString');
    expect(sent(mocks.ssm, GetParametersCommand)).toEqual([{ Names: ['/ias/dev/db/host'] }]);
  });
});

describe('deploy-cli switch-back', () => {
  it('moves every user back to blue, prints each step and exits 0', async () => {
    const { input } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'green');
    api.seed(renderColor(input, 'blue', OLD_IMAGE));
    const run = await cli(
      ['switch-back', '--env', 'dev', '--app', 'inventory-api', '--to', 'blue', '--result-file', 'r.json'],
      { api },
    );
    expect(run.code).toBe(EXIT.DONE);
    expect(run.out.at(-1)).toBe('every user on blue');
    expect(api.selects('inventory-api')).toBe('blue');
    expect(JSON.parse(run.written['r.json'] as string)).toEqual({
      environment: 'dev',
      app: 'inventory-api',
      result: 'switched-back',
      color: 'blue',
      previousColor: 'green',
      scaledUp: false,
    });
  });

  it('exits 2 when the color to switch back to has no Deployment', async () => {
    const { input } = application(SERVICE_SWITCH);
    const run = await cli(['switch-back', '--env', 'dev', '--app', 'inventory-api', '--to', 'blue'], {
      api: servingCluster(input, 'green'),
    });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      'kubernetes: there is no Deployment ias-dev/inventory-api-blue: nothing to switch back to',
    ]);
  });
});

describe('deploy-cli: the canary judge', () => {
  /** The deploy file of the ingress switch with the canary setting `canary`. */
  const judgedFile = (canary: unknown, settings = INGRESS_SWITCH) => ({
    ...deployFile(settings),
    canary,
  });
  const CANARY = { analysis: analysis() };
  /** The deploy project's build, whose ID the looks are kept under. */
  const BUILD = 'ias-dev-inventory-api-k8s-deploy:0b5c8a3e-6a3f-4c1d-9e2a-7f1b2c3d4e5f';

  it('reads the canary setting from the deploy file and shows the target groups and load balancer it would judge', async () => {
    answerTargetGroups();
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli([...DEPLOY, '--dry-run'], {
      api,
      file: judgedFile({ analysis: { bakeMinutes: 8, inconclusive: 'continue', earlyPromotion: false } }),
      env: { CODEBUILD_BUILD_ID: BUILD },
    });
    expect(run.code).toBe(EXIT.DONE);
    expect(run.out).toContain(
      `would judge each step that splits users: 8 looks, target groups ${BLUE_TG} (baseline) and ${GREEN_TG} (canary) of ${LOAD_BALANCER}; inconclusive at the final look: continue; early promotion: no`,
    );
    expect(run.out).toContain(`would keep each look in ias-dev-releases under ${BUILD}`);
    expect(sent(mocks.elbv2, DescribeTargetGroupsCommand)).toEqual([
      { TargetGroupArns: [BLUE_TG, GREEN_TG] },
    ]);
    expect(api.writes()).toEqual([]);
  });

  it('still reads a deploy file that names the load balancer, as the canary setting once did', async () => {
    answerTargetGroups();
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli([...DEPLOY, '--dry-run'], {
      api,
      file: judgedFile({ ...CANARY, loadBalancer: 'whatever it was' }),
    });
    expect(run.code).toBe(EXIT.DONE);
    expect(run.out).toContainEqual(expect.stringContaining(`(canary) of ${LOAD_BALANCER};`));
    expect(run.out).toContain(
      "canary: the looks are not kept: CODEBUILD_BUILD_ID is not set (the deploy project's build sets it)",
    );
  });

  it('fails with exit 2 on a canary setting that breaks its schema, naming the fields', async () => {
    const api = new FakeKubernetesApi();
    const run = await cli(DEPLOY, {
      api,
      file: judgedFile({
        analysis: { bakeMinutes: 0, inconclusive: 'maybe', earlyPromotion: true, alpha: 0.1 },
      }),
    });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(new RegExp(`^kubernetes: ${FILE}: canary\\.analysis\\.bakeMinutes: `));
    for (const field of ['canary.analysis.inconclusive', 'canary.analysis: Unrecognized key: "alpha"']) {
      expect(run.err[0]).toContain(field);
    }
    expect(api.calls).toEqual([]);
  });

  it('refuses a canary setting with service-selector routing, with one line and nothing read', async () => {
    const api = new FakeKubernetesApi();
    const run = await cli(DEPLOY, { api, file: judgedFile(CANARY, SERVICE_SWITCH) });
    expect(run.code).toBe(EXIT.BAD_INPUT);
    expect(run.err).toEqual([
      'kubernetes: inventory-api switches by service-selector, which moves every user at once: there are never two colors serving side by side for the canary judge to compare; judge only ingress-weights routing (an ingress-switch strategy), or remove the canary setting',
    ]);
    expect(api.calls).toEqual([]);
  });

  it('switches back when CloudWatch shows green failing, exits 1 naming the judge, keeps each look under the build and writes why', async () => {
    answerMetricsWith(FAILING);
    answerTargetGroups();
    mocks.dynamodb.on(PutItemCommand).resolves({});
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli([...DEPLOY, '--result-file', 'result.json'], {
      api,
      file: judgedFile(CANARY),
      env: { CODEBUILD_BUILD_ID: BUILD },
    });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err).toEqual([
      expect.stringMatching(
        /^kubernetes: rolled back to blue: the canary judge at 5 %: look 2 of 10 .*: fail — /,
      ),
    ]);
    const result = JSON.parse(run.written['result.json'] as string) as Record<string, unknown>;
    expect(result).toMatchObject({
      result: 'rolled-back',
      atPercent: 5,
      canary: { look: 2, looks: 10, action: 'rollback', judgement: { verdict: 'fail' } },
      reason: expect.stringMatching(/^the canary judge at 5 %: look 2 of 10 .*: fail — /),
    });
    expect(result).not.toHaveProperty('alarm');
    // Both looks kept, in order, under the build's ID in the environment's ledger table.
    const kept = sent(mocks.dynamodb, PutItemCommand);
    expect(kept.map((p) => [p.TableName, p.Item?.['pk']?.S, p.Item?.['number']?.N])).toEqual([
      ['ias-dev-releases', `canary#${BUILD}`, '1'],
      ['ias-dev-releases', `canary#${BUILD}`, '2'],
    ]);
    expect(JSON.parse(kept[1]?.Item?.['evidence']?.S ?? '{}')).toMatchObject({
      verdict: 'fail',
      action: 'rollback',
      look: 2,
      looks: 10,
    });
    expect(run.out).toContain(`canary: keeping each look in ias-dev-releases under ${BUILD}`);
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
  });

  it('judges on when a look cannot be kept, saying so', async () => {
    answerMetricsWith(FAILING);
    answerTargetGroups();
    mocks.dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('not authorized to PutItem'), { name: 'AccessDeniedException' }));
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli(DEPLOY, { api, file: judgedFile(CANARY), env: { CODEBUILD_BUILD_ID: BUILD } });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err[0]).toMatch(/^kubernetes: rolled back to blue: the canary judge at 5 %: look 2 of 10/);
    expect(run.out).toContain(
      `canary: look 2 of ${BUILD} not kept in ias-dev-releases (AccessDeniedException: not authorized to PutItem); judging goes on`,
    );
  });

  it('judges without keeping the looks where the build ID is not set', async () => {
    answerMetricsWith(FAILING);
    answerTargetGroups();
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli(DEPLOY, { api, file: judgedFile(CANARY) });
    expect(run.code).toBe(EXIT.FAILED);
    expect(sent(mocks.dynamodb, PutItemCommand)).toEqual([]);
  });

  it('fails before changing anything when the color target groups share no load balancer', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER], [GREEN_TG]: [] });
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli(DEPLOY, { api, file: judgedFile(CANARY) });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err[0]).toMatch(
      new RegExp(`^kubernetes: target group ${GREEN_TG} .* belongs to no load balancer`),
    );
    expect(api.writes()).toEqual([]);
  });

  it('writes who switched back, an alarm, as the reason', async () => {
    answerMetricsWith(HEALTHY);
    answerTargetGroups();
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue').seed(COLOR_BINDINGS);
    const run = await cli([...DEPLOY, '--result-file', 'result.json'], {
      api,
      file: judgedFile(CANARY),
      alarms: () => alarmsWhen(ALARM, () => api.weights('inventory-api')['inventory-api-green'] === 5),
    });
    expect(run.code).toBe(EXIT.FAILED);
    expect(JSON.parse(run.written['result.json'] as string)).toMatchObject({
      result: 'rolled-back',
      alarm: ALARM,
      reason: `alarm ${ALARM} during the bake`,
    });
  });

  it('fails before changing anything when a color Service has no TargetGroupBinding', async () => {
    const { input } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue');
    const run = await cli(DEPLOY, { api, file: judgedFile(CANARY) });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.err[0]).toContain(
      'kubernetes: no TargetGroupBinding in namespace ias-dev for Services inventory-api-blue and inventory-api-green',
    );
    expect(api.writes()).toEqual([]);
  });
});
