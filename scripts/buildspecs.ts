/**
 * `npm run buildspecs`: writes the service buildspec's per-environment image artifacts
 * (`Image_<env>`, in promotion order) from the profiles, which the service pipeline's deploy actions
 * read. Run it after adding or removing an environment; a test fails until the file is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitOnConfigError, loadProject, REPO_ROOT } from '@ias/infra/config';
import { SERVICE_BUILDSPEC, withServiceImageArtifacts } from '@ias/infra/pipelines';

const project = exitOnConfigError(() => loadProject());
const path = join(REPO_ROOT, SERVICE_BUILDSPEC);
try {
  const before = readFileSync(path, 'utf8');
  const after = withServiceImageArtifacts(
    before,
    project.environments.map((e) => e.name),
  );
  if (after === before) {
    process.stdout.write(`${SERVICE_BUILDSPEC}: the image artifacts are up to date\n`);
  } else {
    writeFileSync(path, after);
    process.stdout.write(`${SERVICE_BUILDSPEC}: wrote one image artifact per environment\n`);
  }
} catch (err) {
  // One line naming the file and what is wrong with it; nothing was written.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
