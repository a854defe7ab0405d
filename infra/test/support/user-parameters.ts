import { renderValue } from '../../lib/plan/physical-names';

/** The account the tests read for the pipelines' own account (`AWS::AccountId` in their templates). */
export const FIXTURE_ACCOUNT = '123456789012';

/**
 * A Lambda action's UserParameters as a template holds them (a string, or an `Fn::Join` where they
 * name something of the pipeline's own account), parsed, the account read as {@link FIXTURE_ACCOUNT}.
 * CodePipeline variables (`#{Namespace.Name}`) are left as they are: see {@link asInvoked}.
 */
export function userParameters(value: unknown): Record<string, unknown> {
  return JSON.parse(renderValue(value).replaceAll('${AWS::AccountId}', FIXTURE_ACCOUNT)) as Record<
    string,
    unknown
  >;
}

/** What CodePipeline puts in place of the variables the pipelines' actions read. */
const VARIABLE_VALUES: Readonly<Record<string, (namespace: string) => string>> = {
  CommitId: () => '0123456789abcdef0123456789abcdef01234567',
  SbomBucket: (namespace) =>
    `ias-${namespace.replace(/^SupplyChain-/, '')}-artifact-store-${FIXTURE_ACCOUNT}-ap-northeast-1`,
  SbomKey: () => 'sbom/fixture/0123456789abcdef0123456789abcdef01234567.cdx.json',
};

/**
 * `parameters` as the steps function receives them: each `#{Namespace.Name}` replaced by a value of
 * the kind CodePipeline resolves it to (a commit, a bucket, a key).
 *
 * @throws Error on a variable no action of the pipelines is known to output
 */
export function asInvoked(parameters: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(parameters).replace(
    /#\{([\w-]+)\.(\w+)\}/g,
    (_, namespace: string, name: string) => {
      const value = VARIABLE_VALUES[name];
      if (!value) throw new Error(`no fixture value for the variable #{${namespace}.${name}}`);
      return value(namespace);
    },
  );
  return JSON.parse(text) as Record<string, unknown>;
}
