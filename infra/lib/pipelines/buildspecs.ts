/**
 * Where the buildspecs live in the repository (CodeBuild reads them from the source revision): one
 * module, free of aws-cdk-lib, so the wiring check's recordings can name them cheaply.
 */
export const BUILDSPECS = {
  build: 'infra/lib/pipelines/buildspecs/lambda-build.yml',
  check: 'infra/lib/pipelines/buildspecs/lambda-check.yml',
} as const;

/**
 * The Lambda build's secondary artifact: `supply-chain/audit.json` (the bundle's npm audit) and
 * `supply-chain/exceptions.json` (those of the built revision), beside the deployment package rather
 * than inside the zip Lambda runs. lambda-build.yml names it under `secondary-artifacts:`.
 */
export const SUPPLY_CHAIN_ARTIFACT = 'SupplyChain';

/** Where the service buildspec lives in the repository. */
export const SERVICE_BUILDSPEC = 'infra/lib/pipelines/buildspecs/service-build.yml';

/** Where service-build.yml's per-environment artifacts start: everything after it is generated. */
const SECONDARY_ARTIFACTS = '  secondary-artifacts:\n';

/**
 * The service buildspec with one `Image_<env>` secondary artifact per environment, in promotion
 * order: the artifacts the service pipeline's deploy actions read (`npm run buildspecs` writes it).
 * CodeBuild reads the buildspec from the source revision, so it is a file, not part of a template.
 *
 * @throws Error when the buildspec has no `secondary-artifacts:` under `artifacts:`, last
 */
export function withServiceImageArtifacts(buildspec: string, environments: readonly string[]): string {
  const at = buildspec.indexOf(SECONDARY_ARTIFACTS);
  if (at < 0) {
    throw new Error(`${SERVICE_BUILDSPEC}: no "secondary-artifacts:" under "artifacts:", as its last block`);
  }
  const artifacts = environments.map((env) =>
    [
      `    Image_${env}:`,
      `      base-directory: build-files/${env}`,
      '      files:',
      "        - '**/*'",
      '',
    ].join('\n'),
  );
  return buildspec.slice(0, at + SECONDARY_ARTIFACTS.length) + artifacts.join('');
}
