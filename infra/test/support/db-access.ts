import type { Template } from 'aws-cdk-lib/assertions';

/** One statement of an IAM policy, as synthesized. */
export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of every IAM policy attached to a role whose logical ID contains `role`. */
export function statementsOf(t: Template, role: string): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The statements allowing `action`. */
export const allowing = (statements: readonly Statement[], action: string) =>
  statements.filter((s) => [s.Action].flat().includes(action));

/**
 * Where `rds-db:connect` lets the statements log in, as `proxy/<user>` or `cluster/<user>`: the
 * dbuser ARN's resource part is the proxy's ID (from its ARN) or the cluster's resource ID.
 */
export function dbConnectTargets(statements: readonly Statement[]): string[] {
  return allowing(statements, 'rds-db:connect')
    .flatMap((s) => [s.Resource].flat())
    .map((arn) => {
      const text = JSON.stringify(arn);
      const target = text.includes('DBProxyArn')
        ? 'proxy'
        : text.includes('DBClusterResourceId')
          ? 'cluster'
          : '?';
      const user = /\/([a-z_]+)"\]\]\}$/.exec(text)?.[1] ?? '?';
      return `${target}/${user}`;
    })
    .sort();
}
