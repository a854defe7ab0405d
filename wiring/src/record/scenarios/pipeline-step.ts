/**
 * `delivery:pipeline-step:lambda` and `delivery:pipeline-step:service`: the CodePipeline job step,
 * once per action kind the pipelines invoke it for (UserParameters as in
 * infra/lib/kinds/function/lambda-pipeline-stack.ts, service-pipeline-stack.ts and, for the service's
 * Kubernetes application and EC2 fleet, kubernetes/pipeline-action.ts and ec2/pipeline-action.ts),
 * each with and without a delivery role to assume (`roleArn`, environments in another account).
 */
import { renderAppSpec, zipTextFiles } from '@ias/delivery';
import { awsError } from '../recorder';
import { responder } from '../respond';
import { FIXTURE_DEPLOYMENT, type Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/pipeline-step.ts';
const ARTIFACT_KEY = 'WIRINGARTIFACTKEYID0001';
const ROLE = 'arn:aws:iam::123456789012:role/wiring-fixture-delivery-role';
const ARTIFACT_BUCKET = 'wiring-fixture-artifact-bucket';

/** The Lambda pipeline's UserParameters (both actions; `step` and `ledger` vary). */
const LAMBDA_PARAMS = {
  environment: 'wiringenv',
  functionName: 'wiring-fixture-function',
  alias: FIXTURE_DEPLOYMENT.alias,
  application: 'wiring-fixture-application',
  deploymentGroup: 'wiring-fixture-deployment-group',
  hooks: { beforeAllowTraffic: 'wiring-fixture-pre-hook', afterAllowTraffic: 'wiring-fixture-post-hook' },
  timeoutMinutes: 60,
};

/** The alarms a judged deployment watches (a function's rollback alarms), each recorded as `${param:alarms.*}`. */
const JUDGED_ALARMS = [`${LAMBDA_PARAMS.functionName}-errors`, `${LAMBDA_PARAMS.functionName}-duration`];

/**
 * The Deploy action's UserParameters in an environment whose functions deploy `judged` (the
 * `judged-deploy` step; `step` and `ledger` vary): one step judged, then the new version alone.
 */
const JUDGED_PARAMS = {
  environment: 'wiringenv',
  functionName: LAMBDA_PARAMS.functionName,
  alias: LAMBDA_PARAMS.alias,
  steps: [10, 100],
  analysis: { judge: {}, bakeMinutes: 5, inconclusive: 'continue', earlyPromotion: true },
  timeoutMinutes: 16,
  alarms: JUDGED_ALARMS,
};

/** Where a judged deployment is, `minutesAgo` after its first shift (its continuation token). */
function judgedShift(minutesAgo: number): string {
  const at = Date.now() - minutesAgo * 60_000;
  return JSON.stringify({
    functionName: JUDGED_PARAMS.functionName,
    alias: JUDGED_PARAMS.alias,
    currentVersion: FIXTURE_DEPLOYMENT.currentVersion,
    targetVersion: FIXTURE_DEPLOYMENT.targetVersion,
    startedAt: at,
    step: 0,
    stepStartedAt: at,
    looked: 0,
  });
}

/** The service pipeline's UserParameters. */
const SERVICE_PARAMS = {
  environment: 'wiringenv',
  stackName: 'wiring-fixture-service-stack',
  imageParameter: '/wiring-fixture/service/image',
  timeoutMinutes: 60,
};

/** The `DeployKubernetes` action's UserParameters besides `step` and `ledger`. */
const KUBERNETES_PARAMS = {
  environment: 'wiringenv',
  project: 'wiring-fixture-k8s-deploy-project',
  timeoutMinutes: 60,
};

/** The `RecordEc2` action's UserParameters besides `step` and `ledger`. */
const EC2_PARAMS = {
  environment: 'wiringenv',
  application: 'wiring-fixture-ec2-application',
  deploymentGroup: 'wiring-fixture-ec2-deployment-group',
};

/** Where the gates store the SBOM of what passes: the environment's artifact bucket, by workload and commit. */
const SBOM = {
  bucket: 'wiring-fixture-environment-bucket',
  workload: 'wiring-fixture-workload',
  commit: 'abcdef0123456789',
};

const LEDGER = {
  table: 'wiring-fixture-ledger-table',
  name: 'wiring-fixture-ledger-name',
  configurationPath: '/wiring-fixture/config/',
  commit: SBOM.commit,
  // The stage's gate's output variables, resolved by CodePipeline.
  sbom: { bucket: SBOM.bucket, key: `sbom/${SBOM.workload}/${SBOM.commit}.cdx.json` },
};

const IMAGE_URI = '123456789012.dkr.ecr.eu-west-3.amazonaws.com/wiring-fixture-repo@sha256:' + '0'.repeat(64);
/** What the deploy project's build exports once it switched users to the new color. */
const KUBERNETES_DEPLOYED = {
  RESULT: 'succeeded',
  COLOR: 'green',
  IMAGE: IMAGE_URI,
  REVISION: `sha256:${'1'.repeat(64)}`,
};

const RELEASE = {
  functionName: LAMBDA_PARAMS.functionName,
  ...FIXTURE_DEPLOYMENT,
  codeSha256: 'sha-new',
  unchanged: false,
};

/** What the builds write for the supply-chain gate: a clean audit, no exceptions and the SBOM. */
const SUPPLY_CHAIN = {
  'supply-chain/audit.json': JSON.stringify({ auditReportVersion: 2, vulnerabilities: {} }),
  'supply-chain/exceptions.json': JSON.stringify({ exceptions: [] }),
  'supply-chain/sbom.cdx.json': JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    components: [{ name: 'pg', version: '8.13.1' }],
  }),
};

const INPUTS: Record<string, Uint8Array> = {
  build: zipTextFiles({ 'index.js': 'exports.handler = async () => ({ status: "ok" });' }),
  'supply-chain': zipTextFiles(SUPPLY_CHAIN),
  release: zipTextFiles({ 'appspec.yml': renderAppSpec(RELEASE), 'release.json': JSON.stringify(RELEASE) }),
  image: zipTextFiles({ 'imageDetail.json': JSON.stringify({ ImageURI: IMAGE_URI }), ...SUPPLY_CHAIN }),
  // The EC2 revision the CodeDeploy action deployed (ec2-record reads its location only, from the job).
  revision: zipTextFiles({ 'appspec.yml': 'version: 0.0\nos: linux\n' }),
};

/** The deployment the CodeDeploy action made of the revision: the group's last successful one. */
const EC2_DEPLOYMENT = 'd-WIRINGEC2R';

function job(params: object, input: keyof typeof INPUTS, continuationToken?: string) {
  const location = (objectKey: string) => ({
    type: 'S3',
    s3Location: { bucketName: ARTIFACT_BUCKET, objectKey },
  });
  return {
    'CodePipeline.job': {
      id: 'wiring-job',
      accountId: '123456789012',
      data: {
        actionConfiguration: { configuration: { UserParameters: JSON.stringify(params) } },
        inputArtifacts: [{ name: 'In', location: location(`in/${input}.zip`) }],
        outputArtifacts: [{ name: 'Out', location: location('out/artifact.zip') }],
        artifactCredentials: {
          accessKeyId: ARTIFACT_KEY,
          secretAccessKey: 'wiring-secret',
          sessionToken: 'wiring-token',
        },
        encryptionKey: { id: 'arn:aws:kms:eu-west-3:123456789012:key/wiring', type: 'KMS' },
        ...(continuationToken ? { continuationToken } : {}),
      },
    },
  };
}

let describeStacks = 0;

/** Answers for every call of every step. */
const respond = responder({
  'S3 GetObject': (input: { Key: string }) => {
    const bytes = INPUTS[input.Key.replace(/^in\/|\.zip$/g, '')];
    return bytes && { Body: { transformToByteArray: () => Promise.resolve(bytes) } };
  },
  'S3 PutObject': {},
  'CodePipeline PutJobSuccessResult': {},
  'CodePipeline PutJobFailureResult': {},
  'Lambda GetAlias': { FunctionVersion: RELEASE.currentVersion },
  'Lambda UpdateFunctionCode': { CodeSha256: 'sha-new', LastUpdateStatus: 'InProgress' },
  'Lambda GetFunctionConfiguration': { LastUpdateStatus: 'Successful', CodeSha256: 'sha-new' },
  'Lambda PublishVersion': { Version: RELEASE.targetVersion, CodeSha256: 'sha-new' },
  'CodeDeploy CreateDeployment': { deploymentId: 'd-WIRING03' },
  'CodeDeploy GetDeployment': (input: { deploymentId: string }) => ({
    deploymentInfo: {
      deploymentId: input.deploymentId,
      status:
        input.deploymentId === 'd-WIRING03' || input.deploymentId === EC2_DEPLOYMENT
          ? 'Succeeded'
          : 'InProgress',
      ...(input.deploymentId === EC2_DEPLOYMENT
        ? {
            revision: {
              revisionType: 'S3',
              s3Location: {
                bucket: ARTIFACT_BUCKET,
                key: 'in/revision.zip',
                bundleType: 'zip',
                eTag: 'wiring-etag',
              },
            },
          }
        : {}),
    },
  }),
  'CodeDeploy GetDeploymentGroup': {
    deploymentGroupInfo: {
      applicationName: EC2_PARAMS.application,
      deploymentGroupName: EC2_PARAMS.deploymentGroup,
      lastSuccessfulDeployment: { deploymentId: EC2_DEPLOYMENT, status: 'Succeeded' },
    },
  },
  'CodeDeploy StopDeployment': { status: 'Pending' },
  // A judged deployment: its alarms all OK, its alias moved, no minute of traffic yet to judge.
  'CloudWatch DescribeAlarms': (input: { AlarmNames: string[] }) => ({
    MetricAlarms: input.AlarmNames.map((name) => ({ AlarmName: name, StateValue: 'OK' })),
  }),
  'CloudWatch GetMetricData': { MetricDataResults: [] },
  'Lambda UpdateAlias': {},
  'DynamoDB Query': { Items: [] },
  'DynamoDB PutItem': {},
  'SSM GetParametersByPath': { Parameters: [{ Name: `${LEDGER.configurationPath}x`, Version: 1 }] },
  'Secrets Manager ListSecrets': { SecretList: [] },
  'SSM GetParameter': { Parameter: { Name: SERVICE_PARAMS.imageParameter, Type: 'String', Value: 'none' } },
  'SSM PutParameter': { Version: 2 },
  'CloudFormation DescribeStacks': () => {
    describeStacks += 1;
    return {
      Stacks: [
        {
          StackName: SERVICE_PARAMS.stackName,
          StackId: `arn:aws:cloudformation:eu-west-3:123456789012:stack/${SERVICE_PARAMS.stackName}/uuid`,
          StackStatus: describeStacks === 1 ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE',
          Parameters: [
            {
              ParameterKey: 'ImageUri',
              ParameterValue: SERVICE_PARAMS.imageParameter,
              ResolvedValue: 'none',
            },
          ],
        },
      ],
    };
  },
  'CloudFormation UpdateStack': {
    StackId: `arn:aws:cloudformation:eu-west-3:123456789012:stack/${SERVICE_PARAMS.stackName}/uuid`,
  },
  'CloudFormation DescribeStackEvents': { StackEvents: [] },
  // A build ID is `<project>:<uuid>`: IAM authorizes BatchGetBuilds on the project it names.
  'CodeBuild StartBuild': (input: { projectName: string }) => ({
    build: { id: `${input.projectName}:wiring-build-0001`, buildStatus: 'IN_PROGRESS' },
  }),
  'CodeBuild BatchGetBuilds': (input: { ids: string[] }) => ({
    builds: input.ids.map((id) => ({
      id,
      buildStatus: 'SUCCEEDED',
      exportedEnvironmentVariables: Object.entries(KUBERNETES_DEPLOYED).map(([name, value]) => ({
        name,
        value,
      })),
    })),
  }),
  'ECR DescribeImageScanFindings': {
    repositoryName: 'wiring-fixture-repo',
    imageId: { imageDigest: `sha256:${'0'.repeat(64)}` },
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: { findings: [], findingSeverityCounts: {} },
  },
  'Lambda GetFunction': () => {
    throw awsError('ResourceNotFoundException');
  },
});

interface StepRun {
  readonly name: string;
  readonly workload: string;
  readonly params: Record<string, unknown>;
  readonly input: keyof typeof INPUTS;
  readonly continuationToken?: string;
  readonly expect: string;
  /**
   * The run records a release in the ledger: its own ledger calls are then those recorded, not only
   * another run's. @default false
   */
  readonly recordsRelease?: boolean;
}

const RUNS: readonly StepRun[] = [
  {
    // The function's gate: the bundle's audit, then the SBOM of what passed stored.
    name: 'supply-chain-gate-function',
    workload: 'lambda',
    params: { environment: 'wiringenv', step: 'supply-chain-gate', failOn: 'HIGH', sbom: SBOM },
    input: 'supply-chain',
    expect: 'succeeded',
  },
  {
    // The service's gate: the audit and the scan of the image in the environment's repository, then
    // the SBOM of what passed stored.
    name: 'supply-chain-gate-service',
    workload: 'service',
    params: {
      environment: 'wiringenv',
      step: 'supply-chain-gate',
      failOn: 'HIGH',
      repository: 'wiring-fixture-repo',
      sbom: SBOM,
    },
    input: 'image',
    expect: 'succeeded',
  },
  {
    name: 'create-appspec',
    workload: 'lambda',
    params: { ...LAMBDA_PARAMS, step: 'create-appspec' },
    input: 'build',
    expect: 'succeeded',
  },
  {
    name: 'deploy',
    workload: 'lambda',
    params: { ...LAMBDA_PARAMS, step: 'deploy', ledger: LEDGER },
    input: 'release',
    expect: 'succeeded',
  },
  {
    // A later invocation past the time-out: stops the deployment with rollback.
    name: 'deploy-timeout',
    workload: 'lambda',
    params: { ...LAMBDA_PARAMS, step: 'deploy', ledger: LEDGER },
    input: 'release',
    continuationToken: JSON.stringify({ deploymentId: 'd-WIRING04', startedAt: 0 }),
    expect: 'failed',
  },
  {
    // A judged environment's Deploy: the alarms read, the alias checked and shifted to the first
    // step; the rest is left to the next invocation.
    name: 'judged-deploy',
    workload: 'lambda',
    params: { ...JUDGED_PARAMS, step: 'judged-deploy', ledger: LEDGER },
    input: 'release',
    expect: 'in-progress',
  },
  {
    // A later invocation, the step's bake under way: the alarms read, the step's minutes read and
    // judged (no traffic: it waits).
    name: 'judged-deploy-look',
    workload: 'lambda',
    params: { ...JUDGED_PARAMS, step: 'judged-deploy', ledger: LEDGER },
    input: 'release',
    continuationToken: judgedShift(4),
    expect: 'in-progress',
  },
  {
    // A later invocation past the time-out: the alias put back on the current version.
    name: 'judged-deploy-timeout',
    workload: 'lambda',
    params: { ...JUDGED_PARAMS, step: 'judged-deploy', ledger: LEDGER },
    input: 'release',
    continuationToken: judgedShift(60),
    expect: 'failed',
  },
  {
    name: 'ensure-service',
    workload: 'service',
    params: { ...SERVICE_PARAMS, step: 'ensure-service' },
    input: 'image',
    expect: 'succeeded',
  },
  {
    name: 'record-service-image',
    workload: 'service',
    params: { ...SERVICE_PARAMS, step: 'record-service-image', ledger: LEDGER },
    input: 'image',
    expect: 'succeeded',
  },
  {
    // The service's Kubernetes application: its deploy project's build of the same image, followed
    // to its end, then the color it switched to recorded in the ledger.
    name: 'kubernetes-deploy',
    workload: 'service',
    params: { ...KUBERNETES_PARAMS, step: 'kubernetes-deploy', ledger: LEDGER },
    input: 'image',
    expect: 'succeeded',
    recordsRelease: true,
  },
  {
    // The service's EC2 fleet, after CodePipeline's CodeDeploy action deployed the revision: the
    // group's last successful deployment read, checked to be this revision, recorded in the ledger.
    name: 'ec2-record',
    workload: 'service',
    params: { ...EC2_PARAMS, step: 'ec2-record', ledger: LEDGER },
    input: 'revision',
    expect: 'succeeded',
    recordsRelease: true,
  },
];

/** The literal values every run's calls name, and their tokens. */
const scenarioTokens: Readonly<Record<string, string>> = {
  [ARTIFACT_BUCKET]: '${event:artifactBucket}',
  'in/build.zip': '*',
  'in/release.zip': '*',
  'in/image.zip': '*',
  'in/supply-chain.zip': '*',
  'in/revision.zip': '*',
  'out/artifact.zip': '*',
};

function stepScenario(run: StepRun, assumed: boolean): Scenario {
  const params = assumed ? { ...run.params, roleArn: ROLE } : run.params;
  return {
    workload: `delivery:pipeline-step:${run.workload}`,
    id: `pipeline-step:${run.name}${assumed ? ':assumed' : ''}`,
    source: SOURCE,
    params,
    tokens: {
      ...scenarioTokens,
      // Each alarm a judged deployment watches is one of the action's `alarms`.
      ...(Array.isArray(params.alarms)
        ? Object.fromEntries(JUDGED_ALARMS.map((alarm) => [alarm, '${param:alarms.*}']))
        : {}),
    },
    principals: { [ARTIFACT_KEY]: 'codepipeline:artifact-credentials' },
    lookups: {
      deploymentGroupOf: (id) =>
        id === 'd-WIRING04'
          ? { application: LAMBDA_PARAMS.application, group: LAMBDA_PARAMS.deploymentGroup }
          : undefined,
    },
    respond,
    async run() {
      const { handler } = await import('@ias/delivery/handlers/pipeline-step');
      const outcome = await handler(job(params, run.input, run.continuationToken));
      if (outcome.result !== run.expect) {
        throw new Error(`${run.name}: ${outcome.result}, expected ${run.expect}: ${JSON.stringify(outcome)}`);
      }
      if (run.recordsRelease && !(outcome.result === 'succeeded' && outcome.outputVariables?.['Release'])) {
        throw new Error(`${run.name}: no release recorded: ${JSON.stringify(outcome)}`);
      }
    },
  };
}

/** Every action kind, with the step function's own role and with an assumed delivery role. */
export const pipelineStepScenarios: readonly Scenario[] = RUNS.flatMap((run) => [
  stepScenario(run, false),
  stepScenario(run, true),
]);
