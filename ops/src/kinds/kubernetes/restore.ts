/**
 * `rollback --release N` of Kubernetes applications: each back to the color and image the release
 * recorded. When that color is idle and still runs that image (see ./history.ts), its deploy project
 * switches every user back to it (`ACTION=switch-back`, `TO=<color>`): no rollout, the fast way. Otherwise
 * the recorded image is deployed again (`ACTION=deploy`), tested and switched to like any deployment.
 */
import type { EnvironmentConfig } from '@ias/infra/config';
import { ledgerTableName, type KubernetesTarget } from '@ias/targets';
import type { LedgerRelease } from '@ias/delivery';
import type { AwsClients, PlannedCall } from '../../context';
import { planned } from '../../context';
import { EXIT, OpsError } from '../../errors';
import { buildInProgress, getBuilds, listBuilds, startBuild, type BuildRequest } from '../../aws/codebuild';
import { refuse, type ApplicationChange, type RestorePlan } from '../../restore-plan';
import type { KindRestore } from '../kind';
import { buildFollowMs, plannedRun, runBuild } from './build';
import { applicationHistory, RELEASES_READ, stillRuns } from './history';

async function planApplications(
  aws: AwsClients,
  targets: readonly KubernetesTarget[],
  release: LedgerRelease,
  plan: RestorePlan,
  env: EnvironmentConfig,
) {
  const table = ledgerTableName(env.prefix, env.name);
  for (const target of targets) {
    const recorded = release.applications?.[target.app];
    if (recorded === undefined) continue;
    const running = await buildInProgress(aws, target.deployProject);
    if (running !== undefined) {
      throw refuse(
        release.number,
        `build ${running.id} of ${target.deployProject} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${running.id} --env ${env.name}")`,
      );
    }
    const history = await applicationHistory(aws, table, target.app);
    const current = history[0]?.entry;
    if (current?.color === recorded.color && current.image === recorded.image) {
      plan.unchanged.applications.push(target.app);
      continue;
    }
    const idle = current !== undefined && current.color !== recorded.color;
    const check = idle
      ? await stillRuns(aws, target.deployProject, history, recorded.color, recorded.image)
      : undefined;
    const request: BuildRequest = check?.runs
      ? { action: 'switch-back', to: recorded.color }
      : { action: 'deploy', image: recorded.image };
    const change: ApplicationChange = {
      name: target.app,
      from: current ? `${current.color} ${current.image}` : 'nothing recorded',
      to: `${recorded.color} ${recorded.image}`,
      action: request.action,
      build: undefined,
      live: undefined,
    };
    plan.changed.applications.push(change);
    plan.actions.push({
      title:
        request.action === 'switch-back'
          ? `${target.app}: every user back to ${recorded.color} (${target.deployProject})`
          : `${target.app}: deploy ${recorded.image} again (${target.deployProject})`,
      run: async (a) => {
        const run = await runBuild(a, target, request, {
          waits: {},
          timeoutMs: buildFollowMs(env, request),
          report: () => undefined,
          hint: `it goes on; follow it with "ias-ops deployments list --env ${env.name}"`,
          known: recorded,
          onStart: (id) => Object.assign(change, { build: id }),
        });
        if (run.live === undefined) {
          throw new OpsError(
            `${target.app}: build ${run.build.id} ended ${run.outcome} (${run.build.status})${run.outcome === 'succeeded' ? ' without saying what serves now (COLOR, IMAGE, REVISION)' : ''}`,
            EXIT.failed,
          );
        }
        Object.assign(change, { live: run.live });
      },
    });
  }
}

/** The calls of a dry run, the release not read: placeholders for each application it records. */
function dryRunCalls(number: number): PlannedCall[] {
  const project = `<the deploy project of each application of release ${number}>`;
  return [
    planned('codebuild', listBuilds(project)),
    planned('codebuild', getBuilds(['<its latest builds, for one in progress>'])),
    {
      service: 'dynamodb',
      command: 'Query',
      input: { note: `the latest ${RELEASES_READ} releases: which color served what, and since when` },
    },
    {
      service: 'codebuild',
      command: 'ListBuildsForProject',
      input: {
        projectName: project,
        note: 'with BatchGetBuilds: the deployments since its recorded color went idle, when it did',
      },
    },
    planned(
      'codebuild',
      startBuild(project, {
        action: 'switch-back',
        to: '<its recorded color, when that still runs the recorded image>',
      }),
    ),
    ...plannedRun(project, { action: 'deploy', image: '<its recorded image, otherwise>' }),
  ];
}

/** The Kubernetes kind's part of `rollback --release N`. */
export const kubernetesRestore: KindRestore<KubernetesTarget> = {
  // The pods read their configuration as they start: new ones roll out after it is restored.
  phase: 'after-configuration',
  recorded: (release) => Object.keys(release.applications ?? {}),
  physicalName: (t) => t.app,
  plan: planApplications,
  dryRunCalls,
};
