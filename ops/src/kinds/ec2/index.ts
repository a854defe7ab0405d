/**
 * EC2 applications: an Auto Scaling group behind a load balancer, deployed by CodeDeploy's agent
 * (compute platform Server) in place or blue/green, as the profile's `ec2.deployment` says. `ias-ops`
 * reads their deployment group, acts on its deployments (`deployments`, `ec2 rollback`), deploys a
 * revision zip (`deploy ec2`, the GitHub workflow's path) and a recorded revision again
 * (`rollback --release N`).
 */
import type { EnvironmentConfig } from '@ias/infra/config';
import { ec2Target, type Ec2Target } from '@ias/targets';
import type { OpsContext } from '../../context';
import { applicationIn } from '../application-in';
import type { KindController } from '../kind';
import { ec2Applications } from './definitions';
import { ec2Restore } from './restore';
import { ec2StatusReader, type Ec2Status } from './status';

export type { Ec2Status } from './status';
export { ec2Applications } from './definitions';

/**
 * The environment named `env` and the target there of the EC2 application named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments or applications, or when the environment's
 * profile turns the kind off
 */
export function ec2In(
  ctx: OpsContext,
  env: string | undefined,
  name: string,
): { readonly env: EnvironmentConfig; readonly target: Ec2Target } {
  return applicationIn(ctx, env, name, {
    what: 'EC2',
    section: 'ec2',
    manifest: 'an ec2.json',
    applications: ec2Applications,
    target: ec2Target,
  });
}

/** The EC2 kind's controller. */
export const ec2Controller: KindController<Ec2Target, Ec2Status, 'ec2'> = {
  id: 'ec2',
  plural: 'fleets',
  workloads: (project, env) =>
    ec2Applications(project, env).map((a) => ({
      kind: 'ec2',
      name: a.name,
      target: ec2Target(env, a, project.delivery?.account),
    })),
  describe: (t) =>
    `EC2 fleet ${t.autoScalingGroupName} through ${t.application} / ${t.deploymentGroup} (${t.style ?? 'no style'}, ${t.deploymentConfig ?? 'no deployment configuration'})`,
  status: ec2StatusReader,
  deployment: ({ name, target: t }) => ({
    controller: 'codedeploy',
    group: { kind: 'ec2', name, application: t.application, deploymentGroup: t.deploymentGroup },
  }),
  restore: ec2Restore,
};
