import { EC2_MANIFEST_FILE } from '@ias/targets';
import { z } from 'zod';
import { loadServiceCompanions, type ServiceCompanion } from './service-companions';
import type { ServiceDefinition } from './services';

/** An EC2 application's manifest, `app/services/<name>/ec2.json`. */
export const ec2ManifestSchema = z
  .object({
    /** What the application is, for the stack's description and the plan. */
    description: z.string().min(1).max(200),
    /** The path the load balancer checks and `ValidateService` polls (200 when an instance can serve). */
    readinessPath: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /ready'),
  })
  .strict();

/** A validated EC2 manifest. */
export type Ec2Manifest = z.output<typeof ec2ManifestSchema>;

/**
 * An EC2 application: a service folder that also holds an `ec2.json`; it runs the bundle of the
 * service's image, and its `ec2/` folder holds the appspec and hook scripts.
 */
export type Ec2Definition = ServiceCompanion<Ec2Manifest>;

/**
 * Every EC2 application under `servicesDir`: each folder with an `ec2.json`, which must be a container
 * service's too (its build makes the bundle the revision carries).
 *
 * @throws ConfigError listing every problem of every manifest, with file and path
 */
export function loadEc2(
  servicesDir: string,
  repoRoot: string,
  services: readonly ServiceDefinition[],
): Ec2Definition[] {
  return loadServiceCompanions(servicesDir, repoRoot, services, {
    file: EC2_MANIFEST_FILE,
    schema: ec2ManifestSchema,
    what: 'EC2',
    needsService: "an EC2 application runs its service's bundle",
  });
}
