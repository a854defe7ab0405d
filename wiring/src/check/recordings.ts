import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedCall, WorkloadRecording } from '../calls';
import { flatten } from '../record/scenario';
import { attribute, property, resourcesOfType, type Located } from './facts';
import { resolve, resolveString, UnresolvableError } from './resolve';
import { flattenJson, sourceJson } from './sources';
import type { Workload } from './workloads';

/** The checked-in recordings, by workload id. */
export function loadRecordings(dir: string): Map<string, WorkloadRecording> {
  const recordings = new Map<string, WorkloadRecording>();
  for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []) {
    const recording = JSON.parse(readFileSync(join(dir, file), 'utf8')) as WorkloadRecording;
    recordings.set(recording.workload, recording);
  }
  return recordings;
}

/** A recorded call with its tokens replaced by what the assembly gives one workload. */
export interface ExpandedCall {
  readonly action: string;
  readonly resources: readonly string[];
  readonly passRoles: readonly string[];
  /** The role whose credentials make the call, when not the workload's own. */
  readonly principal?: string;
  /** What the call was recorded as, for findings. */
  readonly recorded: RecordedCall;
}

/** A call the assembly gives no target in any context: it cannot be checked, and would fail. */
export interface MissingToken {
  readonly token: string;
  readonly call: RecordedCall;
}

/** Token values of one context the workload's code runs in (one pipeline action, one bucket, …). */
type Context = Readonly<Record<string, string>>;

/** The principal of the job credentials CodePipeline hands an action for its artifacts. */
const ARTIFACT_CREDENTIALS = 'codepipeline:artifact-credentials';

/** Principals a call may name that are optional: absent, the call is not made that way. */
const ASSUMED_ROLE_TOKENS = ['${param:roleArn}', '${env:DELIVERY_ROLE_ARN}'];

interface PipelineAction {
  readonly pipeline: Located;
  readonly configuration: Record<string, unknown>;
}

/** Every action of every pipeline that runs a workload (a Lambda invoke, a CodeBuild project). */
function actionsRunning(workload: Workload): PipelineAction[] {
  const found: PipelineAction[] = [];
  for (const pipeline of resourcesOfType(workload.scope.assembly, 'AWS::CodePipeline::Pipeline')) {
    const stages = (pipeline.resource.Properties?.Stages ?? []) as {
      Actions?: { ActionTypeId?: { Provider?: string }; Configuration?: Record<string, unknown> }[];
    }[];
    for (const action of stages.flatMap((s) => s.Actions ?? [])) {
      const configuration = action.Configuration ?? {};
      const provider = action.ActionTypeId?.Provider;
      const target =
        provider === 'Lambda' && workload.kind === 'function'
          ? configuration.FunctionName
          : provider === 'CodeBuild' && workload.kind === 'build'
            ? configuration.ProjectName
            : undefined;
      if (target === undefined) {
        continue;
      }
      const name = resolveString(pipeline.scope, target);
      if (name === workload.name || name.endsWith(`:function:${workload.name}`)) {
        found.push({ pipeline, configuration });
      }
    }
  }
  return found;
}

/** What a pipeline action gives the code it runs: its parameters or variables, its artifacts. */
function actionContext(workload: Workload, action: PipelineAction): Record<string, string> {
  const context: Record<string, string> = {};
  const { pipeline, configuration } = action;
  if (configuration.UserParameters !== undefined) {
    const params = new Map<string, string>();
    // Arrays by index too: `${param:alarms.*}` stands for each alarm the action names.
    flattenJson(JSON.parse(resolveString(pipeline.scope, configuration.UserParameters)), '', params);
    for (const [path, value] of params) {
      context[`param:${path}`] = value;
    }
  }
  if (configuration.EnvironmentVariables !== undefined) {
    const variables = JSON.parse(resolveString(pipeline.scope, configuration.EnvironmentVariables)) as {
      name: string;
      value: string;
    }[];
    for (const { name, value } of variables) {
      context[`env:${name}`] = value;
    }
  }
  const store = (property(pipeline, 'ArtifactStore') ??
    (property(pipeline, 'ArtifactStores') as { ArtifactStore?: unknown }[] | undefined)?.find(
      (s) => (s as { Region?: string }).Region === workload.scope.stack.region,
    )?.ArtifactStore) as { Location?: string } | undefined;
  if (store?.Location) {
    context['event:artifactBucket'] = store.Location;
  }
  context[ARTIFACT_CREDENTIALS] = String(property(pipeline, 'RoleArn'));
  return context;
}

/** The buckets whose object events reach a function (EventBridge rules targeting it or its alias). */
function eventBuckets(workload: Workload): string[] {
  const buckets: string[] = [];
  const { partition, region, account } = workload.scope.stack;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${workload.name}`;
  for (const rule of resourcesOfType(workload.scope.assembly, 'AWS::Events::Rule', workload.stage.stacks)) {
    const targets = resolve(rule.scope, rule.resource.Properties?.Targets ?? []) as { Arn?: string }[];
    if (!targets.some((t) => t.Arn === functionArn || t.Arn?.startsWith(`${functionArn}:`))) {
      continue;
    }
    const pattern = resolve(rule.scope, rule.resource.Properties?.EventPattern) as {
      detail?: { bucket?: { name?: string[] } };
    };
    buckets.push(...(pattern.detail?.bucket?.name ?? []));
  }
  return buckets;
}

/**
 * The functions a lifecycle hook of the stage is called for: every function of the stage with an
 * alias that CodeDeploy shifts (a Lambda deployment group names it).
 */
function hookTargets(workload: Workload): Context[] {
  const groups = resourcesOfType(
    workload.scope.assembly,
    'AWS::CodeDeploy::DeploymentGroup',
    workload.stage.stacks,
  );
  const aliases = resourcesOfType(workload.scope.assembly, 'AWS::Lambda::Alias', workload.stage.stacks);
  const targets: Context[] = [];
  for (const alias of aliases) {
    // An alias a Lambda deployment group shifts carries CodeDeploy's update policy.
    const shifted = (alias.resource as { UpdatePolicy?: { CodeDeployLambdaAliasUpdate?: unknown } })
      .UpdatePolicy?.CodeDeployLambdaAliasUpdate;
    if (!shifted || groups.length === 0) {
      continue;
    }
    targets.push({
      'event:functionName': resolveString(alias.scope, alias.resource.Properties?.FunctionName),
      'event:functionAlias': resolveString(alias.scope, alias.resource.Properties?.Name),
      // Any published version: the hook invokes the one being deployed.
      'event:functionVersion': '1',
    });
  }
  return targets;
}

/** A custom resource's service token, or '' when it names nothing the assembly holds. */
function serviceToken(scope: Located['scope'], value: unknown): string {
  try {
    return resolveString(scope, value);
  } catch (err) {
    if (err instanceof UnresolvableError) return '';
    throw err;
  }
}

/**
 * The properties of every custom resource whose requests reach a function (its `ResourceProperties`):
 * those whose service token is the function, or aws-cdk-lib's provider framework that invokes it
 * (`USER_ON_EVENT_FUNCTION_ARN`). One context per resource.
 */
function customResources(workload: Workload): Context[] {
  const { assembly } = workload.scope;
  const { partition, region, account } = workload.scope.stack;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${workload.name}`;
  const tokens = new Set([functionArn]);
  for (const fn of resourcesOfType(assembly, 'AWS::Lambda::Function', workload.stage.stacks)) {
    const variables = (
      fn.resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    const onEvent = variables?.USER_ON_EVENT_FUNCTION_ARN;
    if (onEvent !== undefined && resolveString(fn.scope, onEvent) === functionArn) {
      tokens.add(attribute(fn, 'Arn'));
    }
  }
  const contexts: Context[] = [];
  for (const stack of workload.stage.stacks) {
    const scope = { assembly, stack };
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      const custom =
        resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource';
      if (
        !custom ||
        props.ServiceToken === undefined ||
        !tokens.has(serviceToken(scope, props.ServiceToken))
      ) {
        continue;
      }
      const fields = new Map<string, string>();
      for (const [name, value] of Object.entries(props)) {
        try {
          flatten(resolve(scope, value), name, fields);
        } catch (err) {
          // A property the check cannot resolve is one the calls cannot name: reported if they do.
          if (!(err instanceof UnresolvableError)) throw err;
        }
      }
      contexts.push(Object.fromEntries([...fields].map(([path, value]) => [`resource:${path}`, value])));
    }
  }
  return contexts;
}

/**
 * The deployment groups a canary watcher judges: each SSM parameter of the stage under its
 * `CANARY_WATCH_PATH` (`<path>/<group>`), its JSON value's fields as `watch:<path>`. One context per
 * group; none when the stage judges none.
 */
function watchedGroups(workload: Workload): Context[] {
  const path = workload.environment.CANARY_WATCH_PATH;
  if (path === undefined) return [];
  const contexts: Context[] = [];
  for (const parameter of resourcesOfType(
    workload.scope.assembly,
    'AWS::SSM::Parameter',
    workload.stage.stacks,
  )) {
    const props = parameter.resource.Properties ?? {};
    let name: string;
    let value: string;
    try {
      name = resolveString(parameter.scope, props.Name);
      value = resolveString(parameter.scope, props.Value);
    } catch (err) {
      if (err instanceof UnresolvableError) continue;
      throw err;
    }
    if (!name.startsWith(`${path}/`)) continue;
    const fields = new Map<string, string>();
    flattenJson(JSON.parse(value) as unknown, '', fields);
    contexts.push(Object.fromEntries([...fields].map(([field, v]) => [`watch:${field}`, v])));
  }
  return contexts;
}

function product(left: Context[], right: Context[]): Context[] {
  return left.flatMap((l) => right.map((r) => ({ ...l, ...r })));
}

/** Every context the workload's code runs in, over the dimensions its recording uses. */
function contexts(workload: Workload, calls: readonly RecordedCall[]): Context[] {
  const text = JSON.stringify(calls);
  const { partition, region, account } = workload.scope.stack;
  const base: Record<string, string> = { partition, region, account, prefix: prefixOf(workload) };
  for (const [name, value] of Object.entries(workload.environment)) {
    base[`env:${name}`] = value;
  }
  // An instance's settings read from SSM parameters (`NAME=ssm:<parameter>`), each by its name.
  if (workload.kind === 'instances') {
    for (const [name, parameter] of Object.entries(workload.injected)) {
      base[`setting:ssm.${name}`] = parameter.replace(/^\//, '');
    }
  }
  // The JSON files of a CodeBuild project's source the calls name (`${source:deploy.json:…}`).
  for (const file of new Set([...text.matchAll(SOURCE_FILE)].map((m) => m[1] ?? ''))) {
    const read = sourceJson(workload, file);
    if ('value' in read) {
      const fields = new Map<string, string>();
      flattenJson(read.value, '', fields);
      for (const [path, value] of fields) {
        base[`source:${file}:${path}`] = value;
      }
    }
  }
  let all: Context[] = [base];
  const actions = actionsRunning(workload);
  const usesAction =
    text.includes('${param:') ||
    text.includes('${event:artifactBucket}') ||
    text.includes(ARTIFACT_CREDENTIALS);
  // A build project also takes variables from the action that starts it (TARGET_ENV, …).
  if (usesAction || (workload.kind === 'build' && actions.length > 0)) {
    all = product(
      all,
      actions.map((a) => actionContext(workload, a)),
    );
  }
  if (text.includes('${event:bucket}')) {
    all = product(
      all,
      eventBuckets(workload).map((bucket) => ({ 'event:bucket': bucket })),
    );
  }
  if (text.includes('${event:function')) {
    all = product(all, hookTargets(workload));
  }
  if (text.includes('${resource:')) {
    all = product(all, customResources(workload));
  }
  if (text.includes('${watch:')) {
    all = product(all, watchedGroups(workload));
  }
  return all;
}

function prefixOf(workload: Workload): string {
  // Stage IDs are `<prefix>-<env>` and `<prefix>-delivery`: the prefix is all but the last part.
  return workload.stage.stageId.split('-').slice(0, -1).join('-');
}

const TOKEN = /\$\{([^}]+)\}/g;

/** The files `${source:FILE:PATH}` tokens name. */
const SOURCE_FILE = /\$\{source:([^:}]+):/g;

/** A token that stands for every element of the array or object at its path: `${source:f:alarms.*}`. */
const EACH = /\$\{([^}]+)\.\*\}/;

/**
 * What a workload may have none of, and then makes no call for: an instance without settings read
 * from SSM reads none.
 */
const MAY_BE_EMPTY = new Set(['setting:ssm']);

/**
 * A text once per element its `${PATH.*}` tokens stand for (each as `${PATH.<key>}`, the context's
 * direct children of PATH); as it is when the context has none, so that the token is reported missing
 * (none at all where the workload may have none: {@link MAY_BE_EMPTY}).
 */
function each(text: string, context: Context): string[] {
  const match = EACH.exec(text);
  if (!match) {
    return [text];
  }
  const parent = `${match[1] ?? ''}.`;
  const children = Object.keys(context).filter(
    (key) => key.startsWith(parent) && !key.slice(parent.length).includes('.'),
  );
  if (children.length === 0) {
    return MAY_BE_EMPTY.has(match[1] ?? '') ? [] : [text];
  }
  return children.flatMap((key) =>
    each(
      text.replace(match[0], () => `\${${key}}`),
      context,
    ),
  );
}

/** Fills a text's tokens from a context; undefined with the first token it has no value for. */
function fill(text: string, context: Context): { value?: string; missing?: string } {
  let missing: string | undefined;
  const value = text.replace(TOKEN, (token, key: string) => {
    const found = context[key];
    if (found === undefined) {
      missing ??= token;
      return token;
    }
    return found;
  });
  return missing ? { missing } : { value };
}

/**
 * Replaces a recording's tokens in every context the workload runs in. A call is made in the
 * contexts that give all its tokens; one made in none (but wanted in some) is a finding. A call
 * through an assumed role is made only where that role is given, and then replaces its twin made
 * with the workload's own role.
 */
export function expandCalls(
  workload: Workload,
  calls: readonly RecordedCall[],
): { calls: ExpandedCall[]; missing: MissingToken[] } {
  const expanded: ExpandedCall[] = [];
  const missing: MissingToken[] = [];
  const all = contexts(workload, calls);
  const twinKey = (c: RecordedCall) => `${c.service}:${c.action} ${c.resources.join(',')}`;
  const assumedTwins = new Map(
    calls
      .filter((c) => c.principal && ASSUMED_ROLE_TOKENS.includes(c.principal))
      .map((c) => [twinKey(c), c.principal ?? '']),
  );
  for (const call of calls) {
    let made = false;
    let firstMissing: string | undefined;
    for (const context of all) {
      // A call of some pipeline steps only is made by the actions that run one of them.
      const step = context['param:step'];
      if (call.steps && step !== undefined && !call.steps.includes(step)) {
        continue;
      }
      const twin = !call.principal ? assumedTwins.get(twinKey(call)) : undefined;
      if (twin && fill(twin, context).value !== undefined) {
        continue; // made through the assumed role in this context, not with the workload's own
      }
      let principal: string | undefined;
      if (call.principal === ARTIFACT_CREDENTIALS) {
        principal = context[ARTIFACT_CREDENTIALS];
        if (!principal) continue;
      } else if (call.principal) {
        principal = fill(call.principal, context).value;
        if (principal === undefined) continue; // no role to assume here: the call is made with the own role
      }
      const resources = call.resources.flatMap((r) => each(r, context)).map((r) => fill(r, context));
      const unresolved = resources.find((r) => r.missing)?.missing;
      if (unresolved) {
        if (call.service === 'sts' && call.action === 'AssumeRole') continue; // nothing to assume here
        firstMissing ??= unresolved;
        continue;
      }
      // A role handed on only when the code is given one (an optional setting).
      const passRoles = (call.passRoles ?? [])
        .map((r) => fill(r, context).value)
        .filter((r): r is string => !!r);
      made = true;
      expanded.push({
        action: `${call.service}:${call.action}`,
        resources: resources.map((r) => r.value ?? ''),
        passRoles,
        principal,
        recorded: call,
      });
    }
    if (!made && firstMissing) {
      missing.push({ token: firstMissing, call });
    } else if (!made && all.length === 0) {
      missing.push({
        token: 'the context that runs it (no pipeline action, event or deployment reaches it)',
        call,
      });
    }
  }
  return { calls: expanded, missing };
}
