/**
 * `params get|set|list` and `secrets set`: the environment's SSM parameters and Secrets Manager secrets,
 * always under `/<prefix>/<env>/`.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type Parameter,
} from '@aws-sdk/client-ssm';
import type { EnvironmentConfig } from '@ias/infra/config';
import { dryRun, inEnvironment, naming, planned, type DryRunResult, type OpsContext } from '../context';
import { badInput, errorName } from '../errors';
import { resolvePath } from '../aws/parameters';

/** A parameter as the commands report it; SecureString values are never shown. */
export interface ParameterView {
  readonly name: string;
  readonly type: string;
  readonly version: number | undefined;
  /** The value; undefined for a SecureString. */
  readonly value: string | undefined;
}

function view(p: Parameter): ParameterView {
  return {
    name: p.Name ?? '',
    type: p.Type ?? '',
    version: p.Version,
    value: p.Type === 'SecureString' ? undefined : p.Value,
  };
}

/** Arguments of `params get`. */
export interface ParamsGetArgs {
  readonly env: string | undefined;
  readonly name: string;
}

/**
 * A command on one parameter or secret: its environment resolved (see {@link inEnvironment}), then `body`
 * runs with the full path of its name.
 */
function atPath<A extends ParamsGetArgs, R>(
  body: (ctx: OpsContext, env: EnvironmentConfig, name: string, args: A) => Promise<R | DryRunResult>,
) {
  return inEnvironment<A, R>((ctx, env, args) => body(ctx, env, resolvePath(env, args.name), args));
}

/** `params get`: GetParameter. */
export const paramsGet = atPath<ParamsGetArgs, ParameterView>(async (ctx, env, name) => {
  const command = new GetParameterCommand({ Name: name });
  if (ctx.dryRun) {
    return dryRun(planned('ssm', command));
  }
  try {
    const got = await (await ctx.awsFor(env)).ssm.send(command);
    return view(got.Parameter ?? {});
  } catch (err) {
    if (errorName(err) === 'ParameterNotFound') {
      throw badInput(`parameter ${name} not found: list them with "ias-ops params list --env ${env.name}"`);
    }
    throw err;
  }
});

/** Arguments of `params set`. */
export interface ParamsSetArgs extends ParamsGetArgs {
  readonly value: string;
}

/** What `params set` wrote. */
export interface ParamsSetResult {
  readonly name: string;
  readonly version: number | undefined;
}

/** `params set`: PutParameter, type String, overwriting. */
export const paramsSet = atPath<ParamsSetArgs, ParamsSetResult>(async (ctx, env, name, args) => {
  const command = new PutParameterCommand({ Name: name, Value: args.value, Type: 'String', Overwrite: true });
  if (ctx.dryRun) {
    return dryRun(planned('ssm', command));
  }
  const put = await (await ctx.awsFor(env)).ssm.send(command);
  return { name, version: put.Version };
});

/** Arguments of `params list`. */
export interface ParamsListArgs {
  readonly env: string | undefined;
  /** A sub-path to list. @default - the whole `/<prefix>/<env>/` */
  readonly path?: string;
}

/** What `params list` found. */
export interface ParamsListResult {
  readonly path: string;
  readonly parameters: readonly ParameterView[];
}

/** `params list`: GetParametersByPath, recursive, every page. */
export const paramsList = inEnvironment<ParamsListArgs, ParamsListResult>(async (ctx, env, args) => {
  const path = args.path === undefined ? naming(env).pathPrefix : resolvePath(env, args.path);
  const first = new GetParametersByPathCommand({ Path: path, Recursive: true });
  if (ctx.dryRun) {
    return dryRun(planned('ssm', first));
  }
  const ssm = (await ctx.awsFor(env)).ssm;
  const parameters: ParameterView[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: path, Recursive: true, NextToken: token }),
    );
    parameters.push(...(page.Parameters ?? []).map(view));
    token = page.NextToken;
  } while (token !== undefined);
  return { path, parameters };
});

/** Arguments of `secrets set`. */
export interface SecretsSetArgs extends ParamsGetArgs {
  /** Must be true: the value is read from stdin, never from the command line. */
  readonly valueStdin?: boolean;
}

/** What `secrets set` stored (never the value). */
export interface SecretsSetResult {
  readonly name: string;
  readonly versionId: string | undefined;
}

/** `secrets set`: PutSecretValue of stdin's content (one trailing newline dropped) on an existing secret. */
export const secretsSet = atPath<SecretsSetArgs, SecretsSetResult>(async (ctx, env, name, args) => {
  if (!args.valueStdin) {
    throw badInput('secrets set reads the value from stdin only: pass --value-stdin and pipe the value in');
  }
  if (ctx.dryRun) {
    return dryRun(
      planned('secrets', new PutSecretValueCommand({ SecretId: name, SecretString: '<stdin, not shown>' })),
    );
  }
  const value = (await ctx.readStdin()).replace(/\r?\n$/, '');
  if (value === '') {
    throw badInput(
      'secrets set got an empty value on stdin: pipe the value in, e.g. printf %s "$VALUE" | ias-ops secrets set …',
    );
  }
  try {
    const put = await (
      await ctx.awsFor(env)
    ).secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return { name, versionId: put.VersionId };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') {
      throw badInput(
        `secret ${name} does not exist: secrets are created by the infrastructure, ias-ops only sets their values`,
      );
    }
    throw err;
  }
});

/** Text of `params get`. */
export function formatParameter(p: ParameterView): string {
  return `${p.name} = ${p.value ?? '(SecureString, not shown)'}  (${p.type}, version ${p.version ?? '?'})`;
}

/** Text of `params list`. */
export function formatParameterList(r: ParamsListResult): string {
  if (r.parameters.length === 0) {
    return `no parameter under ${r.path}`;
  }
  return r.parameters.map(formatParameter).join('\n');
}

/** Text of `params set`. */
export function formatParamsSet(r: ParamsSetResult): string {
  return `${r.name}: version ${r.version ?? '?'} written`;
}

/** Text of `secrets set`. */
export function formatSecretsSet(r: SecretsSetResult): string {
  return `${r.name}: new value stored (version ${r.versionId ?? '?'})`;
}
