/**
 * Finding one application of a kind that runs a container service's build elsewhere (a Kubernetes
 * application, an EC2 application) by name in an environment, as its commands take it.
 */
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import { environment, type OpsContext } from '../context';
import { badInput } from '../errors';

/** What {@link applicationIn} needs of a kind. */
export interface ApplicationKind<Target> {
  /** The kind in the messages' words, e.g. `EC2` (`runs no EC2 application`). */
  readonly what: string;
  /** The profile's section that turns the kind on, e.g. `ec2` (`ec2.enabled`). */
  readonly section: 'ec2' | 'kubernetes';
  /** The manifest that makes a service folder one, with its article, e.g. `an ec2.json`. */
  readonly manifest: string;
  /** The project's applications of the kind in `env` (none where the profile turns it off). */
  readonly applications: (project: ProjectConfig, env: EnvironmentConfig) => readonly { name: string }[];
  /** The target of one in `env`. */
  readonly target: (env: EnvironmentConfig, definition: { name: string }, toolingAccount?: string) => Target;
}

/**
 * The environment named `env` and the target there of the application named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments or applications, or when the environment's
 * profile turns the kind off
 */
export function applicationIn<Target>(
  ctx: OpsContext,
  env: string | undefined,
  name: string,
  kind: ApplicationKind<Target>,
): { readonly env: EnvironmentConfig; readonly target: Target } {
  const found = environment(ctx, env);
  if (!found.profile[kind.section].enabled) {
    throw badInput(
      `${found.name} runs no ${kind.what} application: its profile's ${kind.section}.enabled is false (infra/lib/config/environments.ts)`,
    );
  }
  const all = kind.applications(ctx.project, found);
  const definition = all.find((a) => a.name === name);
  if (definition === undefined) {
    throw badInput(
      `unknown ${kind.what} application "${name}": use one of ${all.map((a) => a.name).join(', ') || 'none'} (service folders with ${kind.manifest})`,
    );
  }
  return { env: found, target: kind.target(found, definition, ctx.project.delivery?.account) };
}
