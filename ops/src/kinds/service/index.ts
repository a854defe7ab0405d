/** Container services on Amazon ECS, shipped by CodeDeploy or by Amazon ECS itself (the profile's strategy). */
import { WORKLOAD_KINDS, type ServiceTarget } from '@ias/targets';
import type { KindController } from '../kind';

/** The service kind's controller. */
export const serviceController: KindController<ServiceTarget> = {
  id: 'service',
  workloads: (project, env) =>
    [...(project.services ?? [])]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => ({
        kind: 'service',
        name: s.name,
        target: WORKLOAD_KINDS.service.target(env, s, project.delivery?.account),
      })),
  describe: (t) => `${t.clusterName} / ${t.serviceName} (${t.strategy})`,
};
