/**
 * `rollback --release N` of EC2 applications: each fleet whose group last installed another revision
 * than the release recorded gets a CodeDeploy deployment of the recorded revision (the S3 bundle, by
 * version and ETag when recorded), through its group's configuration, alarms and rollback settings,
 * followed until it succeeds (or, blue/green, until the green fleet serves).
 */
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import type { LedgerRelease } from '@ias/delivery';
import type { EnvironmentConfig } from '@ias/infra/config';
import type { Ec2Target } from '@ias/targets';
import { listInProgress } from '../../aws/codedeploy';
import { planned, type AwsClients, type PlannedCall } from '../../context';
import { EXIT, OpsError } from '../../errors';
import { refuse, type FleetChange, type RestorePlan } from '../../restore-plan';
import type { KindRestore } from '../kind';
import {
  deployRevision,
  fleetFollowMs,
  getDeploymentGroup,
  plannedFleetDeployment,
  plannedFollow,
  readDeployment,
  readDeploymentGroup,
  revisionOf,
  revisionWords,
  sameRevision,
} from './deployment';

async function planFleets(
  aws: AwsClients,
  targets: readonly Ec2Target[],
  release: LedgerRelease,
  plan: RestorePlan,
  env: EnvironmentConfig,
) {
  for (const target of targets) {
    const recorded = release.fleets?.[target.app];
    if (recorded === undefined) continue;
    const group = await readDeploymentGroup(aws, target);
    if (group === undefined) {
      throw refuse(
        release.number,
        `${target.app}'s deployment group ${target.application} / ${target.deploymentGroup} does not exist (its stack is not deployed)`,
      );
    }
    const running = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
    if (running !== undefined) {
      throw refuse(
        release.number,
        `deployment ${running} of ${target.deploymentGroup} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${running} --env ${env.name}")`,
      );
    }
    const lastId = group.lastSuccessfulDeployment?.deploymentId;
    const current = lastId !== undefined ? revisionOf(await readDeployment(aws, lastId)) : undefined;
    if (current !== undefined && sameRevision(current, recorded.revision)) {
      plan.unchanged.fleets.push(target.app);
      continue;
    }
    const change: FleetChange = {
      name: target.app,
      from: current !== undefined ? revisionWords(current) : 'no successful deployment of an S3 bundle',
      to: revisionWords(recorded.revision),
      deploymentId: undefined,
      live: undefined,
    };
    plan.changed.fleets.push(change);
    plan.actions.push({
      title: `${target.app}: deploy ${revisionWords(recorded.revision)} again (${target.deploymentGroup})`,
      run: async (a) => {
        const run = await deployRevision(a, target, recorded.revision, {
          description: `ias-ops rollback to release ${release.number}`,
          waits: {},
          timeoutMs: fleetFollowMs(env.profile.ec2.deployment),
          report: () => undefined,
          hint: `it goes on; follow it with "ias-ops deployments list --env ${env.name}"`,
          onStart: (id) => Object.assign(change, { deploymentId: id }),
        });
        if (run.live === undefined) {
          throw new OpsError(`${target.app}: ${run.state.summary}`, EXIT.failed);
        }
        Object.assign(change, { live: run.live });
      },
    });
  }
}

/** The calls of a dry run, the release not read: placeholders for each fleet it records. */
function dryRunCalls(number: number): PlannedCall[] {
  const group = {
    application: `<the CodeDeploy application of each EC2 application of release ${number}>`,
    deploymentGroup: '<its deployment group>',
  };
  return [
    planned('codedeploy', getDeploymentGroup(group)),
    planned('codedeploy', listInProgress(group)),
    planned('codedeploy', new GetDeploymentCommand({ deploymentId: '<its lastSuccessfulDeployment>' })),
    plannedFleetDeployment(
      group,
      '<its recorded revision (bucket, key, bundleType, version, eTag), when the last successful deployment installed another>',
      `ias-ops rollback to release ${number}`,
    ),
    plannedFollow('<the deployment CreateDeployment started>'),
  ];
}

/** The EC2 kind's part of `rollback --release N`. */
export const ec2Restore: KindRestore<Ec2Target> = {
  // The hooks read the configuration at each deployment (settings.env's `ssm:` values): after it is restored.
  phase: 'after-configuration',
  recorded: (release) => Object.keys(release.fleets ?? {}),
  physicalName: (t) => t.app,
  plan: planFleets,
  dryRunCalls,
};
