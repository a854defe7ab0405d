/**
 * `platform:db-roles`: the database roles provisioner, on a CloudFormation Create event. Its one AWS
 * call, reading the master secret, comes before it connects to the cluster; the run points it at a
 * closed local port and expects the refused connection, since the cluster's verified TLS cannot be
 * stood up here. (The roles' SQL itself runs against a real PostgreSQL in delivery's own tests.)
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { responder } from '../respond';
import type { Scenario } from '../scenario';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const dbRolesScenario: Scenario = {
  workload: 'platform:db-roles',
  id: 'db-roles:create',
  source: 'wiring/src/record/scenarios/db-roles.ts',
  env: {
    MASTER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:wiring-fixture-master-AbCdEf',
  },
  respond: responder({
    'Secrets Manager GetSecretValue': {
      SecretString: JSON.stringify({ username: 'wiring_master', password: 'wiring' }),
    },
  }),
  async run() {
    const { handler } = await import('@ias/delivery/handlers/db-roles');
    const event = {
      RequestType: 'Create',
      ResourceProperties: {
        ServiceToken: 'wiring',
        Host: '127.0.0.1',
        Port: String(await closedPort()),
        DatabaseName: 'inventory',
        OwnerRole: 'inventory_owner',
        AppRole: 'inventory_app',
      },
    };
    try {
      await handler(event as never);
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') return;
      throw err;
    }
    throw new Error('the provisioner connected to a closed port');
  },
};
