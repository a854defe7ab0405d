/**
 * Writes the deployment inputs of a container build (run in CodeBuild after the image is pushed):
 *
 *     npx tsx delivery/src/ecs/write-build-files.ts [OUT_DIR]
 *
 * Inputs, from environment variables (validated; a bad one stops the script with one error line and
 * exit code 1, before anything is written):
 * - `IMAGE_URI` (required): the pushed image, an ECR URI tagged with the commit or pinned by digest
 *   (`latest` and untagged URIs are refused), e.g.
 *   `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:3f2c1ab`.
 * - `CONTAINER_NAME` (required): the container the load balancer targets, e.g. `inventory-api`.
 * - `CONTAINER_PORT` (required): its port, e.g. `8080`.
 * - `ENVIRONMENTS` (required): JSON list of the environments to prepare, each
 *   `{ "name": "dev", "family": "ias-dev-inventory-api", "hooks": { "afterAllowTestTraffic": "ias-dev-green-check" } }`
 *   (`hooks` optional: beforeInstall, afterInstall, afterAllowTestTraffic, beforeAllowTraffic,
 *   afterAllowTraffic, each a Lambda function name).
 * - `PLATFORM_VERSION` (optional, default `LATEST`): the Fargate platform version of the appspecs.
 * - `OUT_DIR` (optional, default `build-files`; the one positional argument overrides it).
 *
 * Output in OUT_DIR: `imageDetail.json`, `imagedefinitions.json`, and per environment
 * `taskdef-<env>.json` and `appspec-<env>.yaml` (see `writeBuildFiles`). The task definitions are read
 * with the AWS CLI (`aws ecs describe-task-definition`), with the build's credentials and region.
 *
 * The script stays at this path, apart from the service kind's code in `kinds/service/`, because the
 * service build's buildspec (part of the pipeline template) runs it by this path.
 */
import { describeError } from '../errors.js';
import { readBuildFilesInput, writeBuildFiles } from '../kinds/service/build-files.js';
import { awsCliTaskDefinitionReader } from '../kinds/service/taskdef.js';

async function main(): Promise<void> {
  const input = readBuildFilesInput(process.env, process.argv.slice(2));
  const written = await writeBuildFiles({ ...input, ecs: awsCliTaskDefinitionReader() });
  console.log(`write-build-files: wrote ${written.join(', ')} to ${input.outDir}`);
}

main().catch((error: unknown) => {
  console.error(`write-build-files: ${describeError(error)}`);
  process.exitCode = 1;
});
