/**
 * Where the buildspecs live in the repository (CodeBuild reads them from the source revision): one
 * module, free of aws-cdk-lib, so the wiring check's recordings can name them cheaply.
 */
export const BUILDSPECS = {
  build: 'infra/lib/pipelines/buildspecs/lambda-build.yml',
  check: 'infra/lib/pipelines/buildspecs/lambda-check.yml',
} as const;

/** Where the service buildspec lives in the repository. */
export const SERVICE_BUILDSPEC = 'infra/lib/pipelines/buildspecs/service-build.yml';
