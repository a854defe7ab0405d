/** Container services on Amazon ECS, shipped by CodeDeploy or by Amazon ECS itself (the profile's strategy). */
import { SERVICE_STRATEGIES, WORKLOAD_KINDS, type ServiceTarget } from '@ias/targets';
import type { KindController } from '../kind';
import { serviceRestore } from './restore';
import { serviceStatusReader, type ServiceStatus } from './status';

export type { ServiceStatus } from './status';

/** The service kind's controller. */
export const serviceController: KindController<ServiceTarget, ServiceStatus> = {
  id: 'service',
  plural: 'services',
  workloads: (project, env) =>
    (project.services ?? []).map((s) => ({
      kind: 'service',
      name: s.name,
      target: WORKLOAD_KINDS.service.target(env, s, project.delivery?.account),
    })),
  describe: (t) => `${t.clusterName} / ${t.serviceName} (${t.strategy})`,
  status: serviceStatusReader,
  deployment: ({ name, target: t }) =>
    SERVICE_STRATEGIES[t.strategy].cliController === 'codedeploy'
      ? {
          controller: 'codedeploy',
          group: { kind: 'service', name, application: t.application, deploymentGroup: t.deploymentGroup },
        }
      : {
          controller: 'ecs',
          service: { name, clusterName: t.clusterName, serviceName: t.serviceName, strategy: t.strategy },
        },
  restore: serviceRestore,
};
