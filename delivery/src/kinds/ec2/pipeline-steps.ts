/**
 * The EC2 kind's pipeline step, `ec2-record`: in the service's pipeline, after CodePipeline's own
 * CodeDeploy (Server) action deployed the revision artifact to an environment's deployment group,
 * the step reads what the fleet runs now (the group's last successful deployment and its revision),
 * checks that it is this artifact, and hands the release the deployment and the revision, which
 * `rollback --release N` deploys again.
 *
 * The CodeDeploy action does not export the deployment it made: the group's last successful
 * deployment is it unless another deployment to the group succeeded in between (an operator's, or
 * another execution's). Then the step fails and records nothing rather than record a revision the
 * fleet does not run.
 */
import {
  type CodeDeployClient,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { DeliveryError } from '../../errors.js';
import { type FleetEntry, fleetEntrySchema } from '../../ledger.js';
import { describeIssues } from '../../schemas.js';
import type { StepContext, StepOutcome } from '../../pipeline/step.js';
import { lastLookOf } from '../../pipeline/judged.js';
import { artifactName, pipelineStep, stepParameters } from '../../pipeline/step.js';
import { codeDeployName } from './deployment-group-properties.js';

const ec2RecordParameters = z.object({
  step: z.literal('ec2-record'),
  ...stepParameters,
  /** The CodeDeploy application (`<prefix>-<env>-<app>-ec2-app`). */
  application: codeDeployName,
  /** The deployment group the CodeDeploy action deployed to (`<prefix>-<env>-<app>-ec2-group`). */
  deploymentGroup: codeDeployName,
});

type Ec2RecordParameters = z.output<typeof ec2RecordParameters>;

/** Where an S3 revision is. */
interface RevisionLocation {
  readonly bucket: string;
  readonly key: string;
}

/** What a deployment group's fleet runs: its last successful deployment and that deployment's revision. */
export interface FleetRevision {
  readonly deploymentId: string;
  /** The deployment's revision, as CodeDeploy describes it (not an S3 revision: absent). */
  readonly revision?: {
    readonly bucket?: string;
    readonly key?: string;
    readonly bundleType?: string;
    readonly version?: string;
    readonly eTag?: string;
  };
}

/**
 * The last successful deployment of `deploymentGroup` and its S3 revision; undefined when the group
 * has had no successful deployment.
 */
export async function lastSuccessfulRevision(
  codedeploy: CodeDeployClient,
  target: { readonly application: string; readonly deploymentGroup: string },
): Promise<FleetRevision | undefined> {
  const group = await codedeploy.send(
    new GetDeploymentGroupCommand({
      applicationName: target.application,
      deploymentGroupName: target.deploymentGroup,
    }),
  );
  const deploymentId = group.deploymentGroupInfo?.lastSuccessfulDeployment?.deploymentId;
  if (!deploymentId) {
    return undefined;
  }
  const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId }));
  const s3 = deploymentInfo?.revision?.revisionType === 'S3' ? deploymentInfo.revision.s3Location : undefined;
  return { deploymentId, ...(s3 ? { revision: s3 } : {}) };
}

const s3Uri = (location: Partial<RevisionLocation>) =>
  `s3://${location.bucket ?? '?'}/${location.key ?? '?'}`;

/** The revision artifact the CodeDeploy action deployed: input artifact 0, read from the job, not from S3. */
function revisionArtifact(context: StepContext): RevisionLocation & { readonly name: string } {
  const [input] = context.job.data.inputArtifacts;
  if (!input) {
    throw new DeliveryError(
      'BAD_INPUT',
      'the ec2-record step needs one input artifact: the revision the CodeDeploy action deployed',
    );
  }
  const { bucketName, objectKey } = input.location.s3Location;
  return { bucket: bucketName, key: objectKey, name: artifactName(input) };
}

/**
 * Records what the deployment group's fleet runs after the CodeDeploy action: its last successful
 * deployment, whose revision must be input artifact 0.
 */
async function ec2Record(context: StepContext, parameters: Ec2RecordParameters): Promise<StepOutcome> {
  const { environment, application, deploymentGroup } = parameters;
  const artifact = revisionArtifact(context);
  const last = await lastSuccessfulRevision(context.clients.codedeploy, { application, deploymentGroup });
  if (!last) {
    throw new DeliveryError(
      'DEPLOYMENT_FAILED',
      `${environment}: ${deploymentGroup} (${application}) has no successful deployment, so there is nothing to record: does this action run after the CodeDeploy action that deploys ${artifact.name} to it?`,
    );
  }
  const revision = last.revision ?? {};
  if (revision.bucket !== artifact.bucket || revision.key !== artifact.key) {
    throw new DeliveryError(
      'UPDATE_CONFLICT',
      `${environment}: ${deploymentGroup}'s last successful deployment ${last.deploymentId} installed ${last.revision ? s3Uri(revision) : 'a revision that is not in S3'}, not this pipeline's ${s3Uri(artifact)}: another deployment got there first; the release is not recorded (see ias-ops deployments, then retry this action or the stage)`,
    );
  }
  // CodePipeline's artifacts are zip files: a revision without a bundle type is one.
  const entry = fleetEntrySchema.safeParse({
    deploymentId: last.deploymentId,
    revision: {
      bucket: artifact.bucket,
      key: artifact.key,
      bundleType: revision.bundleType ?? 'zip',
      ...(revision.version ? { version: revision.version } : {}),
      ...(revision.eTag ? { eTag: revision.eTag } : {}),
    },
  });
  if (!entry.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${environment}: ${deploymentGroup}'s deployment ${last.deploymentId} is not recordable: ${describeIssues(entry.error)}`,
    );
  }
  const recorded = entry.data;
  return {
    result: 'succeeded',
    summary: `${environment}: ${deploymentGroup} runs ${recorded.revision.key} (deployment ${recorded.deploymentId})`,
    outputVariables: {
      DeploymentId: recorded.deploymentId,
      Bucket: recorded.revision.bucket,
      Key: recorded.revision.key,
      BundleType: recorded.revision.bundleType,
      ...(recorded.revision.eTag ? { ETag: recorded.revision.eTag } : {}),
      ...(recorded.revision.version ? { Version: recorded.revision.version } : {}),
    },
  };
}

/** The fleet entry of a successful `ec2-record` run, from its output variables. */
function fleetEntryOf(outputVariables: Readonly<Record<string, string>> | undefined): FleetEntry | undefined {
  const v = outputVariables ?? {};
  const parsed = fleetEntrySchema.safeParse({
    deploymentId: v['DeploymentId'],
    revision: {
      bucket: v['Bucket'],
      key: v['Key'],
      bundleType: v['BundleType'],
      ...(v['Version'] ? { version: v['Version'] } : {}),
      ...(v['ETag'] ? { eTag: v['ETag'] } : {}),
    },
  });
  return parsed.success ? parsed.data : undefined;
}

/** The EC2 kind's steps, in the step table. */
export const ec2Steps = [
  pipelineStep({
    parameters: ec2RecordParameters,
    run: ec2Record,
    released: (outcome, name) => {
      const entry = fleetEntryOf(outcome.outputVariables);
      return entry ? { fleets: { [name]: entry } } : undefined;
    },
    // The canary watcher's last look at the CodeDeploy deployment, when it judged it.
    judged: lastLookOf((outcome) => fleetEntryOf(outcome.outputVariables)?.deploymentId),
  }),
] as const;
