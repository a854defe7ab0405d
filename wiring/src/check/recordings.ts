import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedCall, WorkloadRecording } from '../calls';
import { resolve, resolveString } from './resolve';
import { resourcesOfType, attribute } from './facts';
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
  /** What the call was recorded as, for findings. */
  readonly recorded: RecordedCall;
}

/** A token the assembly gives this workload no value for: the call cannot be checked. */
export interface MissingToken {
  readonly token: string;
  readonly call: RecordedCall;
}

/** The UserParameters of every CodePipeline action that invokes a function, parsed. */
export function invokingParameters(workload: Workload): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const pipeline of resourcesOfType(workload.scope.assembly, 'AWS::CodePipeline::Pipeline')) {
    const stages = (pipeline.resource.Properties?.Stages ?? []) as {
      Actions?: { ActionTypeId?: { Provider?: string }; Configuration?: Record<string, unknown> }[];
    }[];
    for (const action of stages.flatMap((s) => s.Actions ?? [])) {
      if (action.ActionTypeId?.Provider !== 'Lambda' || !action.Configuration) {
        continue;
      }
      const target = resolveString(pipeline.scope, action.Configuration.FunctionName);
      if (target !== workload.name && !target.endsWith(`:function:${workload.name}`)) {
        continue;
      }
      const raw = action.Configuration.UserParameters;
      if (raw !== undefined) {
        found.push(JSON.parse(resolveString(pipeline.scope, raw)) as Record<string, unknown>);
      }
    }
  }
  return found;
}

/** The buckets whose object events reach a function (EventBridge rules targeting it or its alias). */
export function eventBuckets(workload: Workload): string[] {
  const buckets: string[] = [];
  const functionArn = `arn:${workload.scope.stack.partition}:lambda:${workload.scope.stack.region}:${workload.scope.stack.account}:function:${workload.name}`;
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
  void attribute;
  return buckets;
}

function lookup(path: string, params: Record<string, unknown>): string | undefined {
  let value: unknown = params;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' ? value : undefined;
}

/**
 * Replaces a recording's tokens for one workload: once per invoking pipeline action when the
 * calls use `${param:…}`, once per event bucket when they use `${event:bucket}`.
 */
export function expandCalls(
  workload: Workload,
  calls: readonly RecordedCall[],
): { calls: ExpandedCall[]; missing: MissingToken[] } {
  const { partition, region, account } = workload.scope.stack;
  const needsParams = calls.some((c) => JSON.stringify(c).includes('${param:'));
  const needsBucket = calls.some((c) => JSON.stringify(c).includes('${event:bucket}'));
  const paramSets = needsParams ? invokingParameters(workload) : [{}];
  const buckets = needsBucket ? eventBuckets(workload) : [''];
  const expanded: ExpandedCall[] = [];
  const missing: MissingToken[] = [];
  for (const params of paramSets) {
    for (const bucket of buckets) {
      for (const call of calls) {
        let unresolved: string | undefined;
        const fill = (text: string): string =>
          text.replace(/\$\{([^}]+)\}/g, (token, key: string) => {
            const [kind, name = ''] = key.includes(':')
              ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)]
              : [key];
            const value =
              kind === 'partition'
                ? partition
                : kind === 'region'
                  ? region
                  : kind === 'account'
                    ? account
                    : kind === 'env'
                      ? workload.environment[name]
                      : kind === 'param'
                        ? lookup(name, params)
                        : kind === 'event' && name === 'bucket'
                          ? bucket || undefined
                          : undefined;
            if (value === undefined) {
              unresolved ??= token;
              return token;
            }
            return value;
          });
        const resources = call.resources.map(fill);
        const passRoles = (call.passRoles ?? []).map(fill);
        if (unresolved) {
          missing.push({ token: unresolved, call });
          continue;
        }
        expanded.push({ action: `${call.service}:${call.action}`, resources, passRoles, recorded: call });
      }
    }
  }
  if (needsParams && paramSets.length === 0) {
    missing.push(
      ...calls
        .filter((c) => JSON.stringify(c).includes('${param:'))
        .map((call) => ({ token: '${param:…} (no pipeline action invokes it)', call })),
    );
  }
  if (needsBucket && buckets.length === 0) {
    missing.push(
      ...calls
        .filter((c) => JSON.stringify(c).includes('${event:bucket}'))
        .map((call) => ({ token: '${event:bucket} (no bucket event reaches it)', call })),
    );
  }
  return { calls: expanded, missing };
}
