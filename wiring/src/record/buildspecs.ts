/**
 * The CodeBuild projects' recordings: the `aws …` commands their buildspecs run (the SDK calls of
 * the scripts they run, e.g. check-function, are recorded by running them: see scenarios/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { RecordedCall, WorkloadRecording } from '../calls';
import { awsCliCalls } from './aws-cli';
import { unionOfCalls } from './scenario';

const ROOT = join(__dirname, '../../../');

/**
 * Each build project kind and its buildspec (the paths the pipeline stacks give CodeBuild:
 * BUILDSPECS and SERVICE_BUILDSPEC of `@ias/infra/pipelines`; a test holds them equal).
 */
export const BUILD_PROJECTS: Readonly<Record<string, string>> = {
  'build:lambda-build': 'infra/lib/pipelines/buildspecs/lambda-build.yml',
  'build:lambda-check': 'infra/lib/pipelines/buildspecs/lambda-check.yml',
  'build:service-build': 'infra/lib/pipelines/buildspecs/service-build.yml',
};

interface Buildspec {
  phases?: Record<string, { commands?: unknown[]; finally?: unknown[] } | undefined>;
}

/** Every command line of a buildspec's phases. */
export function buildspecCommands(text: string, file: string): string[] {
  const spec = parse(text) as Buildspec | null;
  if (!spec?.phases) {
    throw new Error(`${file}: no phases: is it a CodeBuild buildspec?`);
  }
  return Object.values(spec.phases).flatMap((phase) =>
    [...(phase?.commands ?? []), ...(phase?.finally ?? [])].map((c) => String(c)),
  );
}

/** The calls of one buildspec file (path from the repository root). */
export function buildspecCalls(file: string): RecordedCall[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return unionOfCalls(
    buildspecCommands(text, file).flatMap((command) => {
      try {
        return awsCliCalls(command);
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
      }
    }),
  );
}

/** One recording per build project kind. */
export function buildProjectRecordings(): WorkloadRecording[] {
  return Object.entries(BUILD_PROJECTS).map(([workload, file]) => ({
    workload,
    source: file,
    calls: buildspecCalls(file),
  }));
}
