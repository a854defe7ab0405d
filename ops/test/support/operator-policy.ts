/**
 * Holds every AWS call a test file's CLI runs made against the operator policy the infrastructure
 * gives each environment (`<prefix>-<env>-operator`, from infra/lib/config/operator-access.ts): a
 * command that calls something the policy (and so the README's table, rendered from the same
 * source) does not list fails its file. Calls are mapped to IAM requests by the wiring check's
 * SDK → IAM mapping and evaluated by a real IAM policy evaluator.
 */
import { operatorPolicyDocument } from '@ias/infra/config';
import { iamCallOf, simulateRequest, type RecordedCall } from '@ias/wiring';
import { afterAll, expect } from 'vitest';
import { project, STUBBED } from '../helpers';

/** The account and region the tests' names and ARNs stand in. */
const TARGET = { partition: 'aws', region: 'ap-northeast-1', account: '123456789012' } as const;
const OPERATOR = `arn:aws:iam::${TARGET.account}:role/operator`;

interface CodeDeployOutput {
  deploymentInfo?: { deploymentId?: string; applicationName?: string; deploymentGroupName?: string };
  deploymentsInfo?: { deploymentId?: string; applicationName?: string; deploymentGroupName?: string }[];
  deployments?: string[];
  deploymentId?: string;
}

/** One call as IAM sees it, with the condition keys its request carries. */
interface IamRequestOfCall extends RecordedCall {
  /** One request context per evaluation IAM makes of the call. */
  readonly contexts: readonly Readonly<Record<string, string>>[];
}

/**
 * The condition keys a call's request carries, for the actions the operator policy conditions on
 * them. Synthetics allows DescribeCanariesLastRun only when every canary it names is allowed (and
 * a policy that restricts names denies a request naming none): one context per name, each must pass.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Restricted.html
 */
function requestContexts(call: RecordedCall, input: Record<string, unknown>): Record<string, string>[] {
  if (call.service === 'synthetics' && call.action === 'DescribeCanariesLastRun') {
    const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
    return names.length > 0 ? names.map((name) => ({ 'synthetics:Names': name })) : [{}];
  }
  return [{}];
}

/**
 * Every call of these stubbed clients, as IAM requests; a call the SDK → IAM mapping does not cover
 * is named in `unmapped` instead.
 */
async function recordedCalls(
  stubbed: readonly (typeof STUBBED)[number][],
  unmapped: string[],
): Promise<IamRequestOfCall[]> {
  // IAM authorizes GetDeployment on the deployment group, which only the answer names.
  const groups = new Map<string, { application: string; group: string }>();
  const calls: { serviceId: string; command: string; input: Record<string, unknown> }[] = [];
  for (const aws of stubbed) {
    for (const [key, mock] of Object.entries(aws.mocks)) {
      const client = (aws.clients as Record<string, { config: { serviceId: string } }>)[key];
      for (const call of mock.calls()) {
        const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
        let missing = false;
        const output = (await Promise.resolve(call.returnValue).catch((error: Error) => {
          // A call on something that does not exist names no resource IAM could hold it to.
          missing = /(DoesNotExist|NotFound)(Exception)?$/.test(error.name);
          return undefined;
        })) as CodeDeployOutput | undefined;
        if (!missing) {
          calls.push({
            serviceId: client?.config.serviceId ?? key,
            command: command.constructor.name,
            input: command.input,
          });
        }
        const { input } = command;
        // A listed deployment belongs to the group the listing named.
        if (typeof input.applicationName === 'string' && typeof input.deploymentGroupName === 'string') {
          // So does the deployment CreateDeployment made there.
          for (const id of [
            ...(output?.deployments ?? []),
            ...(output?.deploymentId ? [output.deploymentId] : []),
          ]) {
            groups.set(id, { application: input.applicationName, group: input.deploymentGroupName });
          }
        }
        for (const info of [output?.deploymentInfo, ...(output?.deploymentsInfo ?? [])]) {
          const id = info?.deploymentId ?? (input.deploymentId as string | undefined);
          if (info?.applicationName && info.deploymentGroupName && id) {
            groups.set(id, { application: info.applicationName, group: info.deploymentGroupName });
          }
        }
      }
    }
  }
  return calls.flatMap((c) => {
    try {
      const call = iamCallOf(c.serviceId, c.command, c.input, TARGET, {
        deploymentGroupOf: (id) => groups.get(id),
      });
      return [{ ...call, contexts: requestContexts(call, c.input) }];
    } catch (err) {
      // Listed with the denied calls: one failure names everything the policy's sources lack.
      if (err instanceof Error && err.name === 'UnmappedCallError') {
        unmapped.push(err.message);
        return [];
      }
      throw err;
    }
  });
}

/** Whether an ARN names one of the project's resources (`<prefix>-…`, `/<prefix>/…`, CDK's roles excepted). */
function ownResource(arn: string): boolean {
  const name = arn.split(':').slice(5).join(':');
  return new RegExp(`(^|[/:])/?${project.prefix}[-/]`).test(name);
}

afterAll(async () => {
  // The test files of a worker share one module graph: the next file holds its own calls only, even
  // when this check fails.
  const stubbed = STUBBED.splice(0);
  const policies = project.environments.map((env) => ({
    name: `${env.prefix}-${env.name}-operator`,
    policy: ((doc) => ({ ...doc, Statement: doc.Statement.map((statement) => ({ ...statement })) }))(
      operatorPolicyDocument(env, TARGET),
    ),
  }));
  const denied: string[] = [];
  const calls = await recordedCalls(stubbed, denied);
  for (const call of calls) {
    const requests = [
      ...call.resources.flatMap((resource) =>
        call.contexts.map((context) => ({ action: `${call.service}:${call.action}`, resource, context })),
      ),
      ...(call.passRoles ?? []).map((resource) => ({
        action: 'iam:PassRole',
        resource,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      })),
    ];
    for (const request of requests) {
      // A test may hand the CLI another project's deployment to prove it refuses it: with the
      // operator policy AWS refuses the read first, which is as safe. Only the project's own
      // resources (named from its prefix), and calls on no resource, are held to the policy.
      if (request.resource !== '*' && !ownResource(request.resource)) {
        continue;
      }
      // An operator of one environment holds that environment's policy: any of them may allow it.
      const results = await Promise.all(
        policies.map((p) =>
          simulateRequest({
            identityPolicies: [p],
            principal: OPERATOR,
            account: TARGET.account,
            ...request,
          }),
        ),
      );
      if (!results.includes('Allowed')) {
        denied.push(`${request.action} on ${request.resource}: ${results[0]}`);
      }
    }
  }
  expect(
    [...new Set(denied)],
    'calls the operator policy does not allow (infra/lib/config/operator-access.ts) or the SDK → IAM mapping does not cover (wiring/src/record/iam.ts)',
  ).toEqual([]);
});
