import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describedTaskDefinition, IMAGE } from '../kinds/service/support.js';

// The CLI as CodeBuild runs it (through tsx), in a clean environment: no AWS settings of this machine.
const SCRIPT = resolve(__dirname, '../../src/ecs/write-build-files.ts');
// `node --import tsx` run from a temporary folder: tsx is resolved from here (the repository root has it).
const TSX = pathToFileURL(createRequire(__filename).resolve('tsx')).href;

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'write-build-files-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function runCli(env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, ['--import', TSX, SCRIPT, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: env['PATH'] ?? process.env['PATH'] ?? '', HOME: root, ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('write-build-files CLI', () => {
  it('exits 1 with one error line on bad input, writing nothing', () => {
    const result = runCli({ IMAGE_URI: IMAGE.replace(':3f2c1ab', ''), CONTAINER_PORT: '8080' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^write-build-files: invalid input: IMAGE_URI: ".*inventory-api" has no tag or digest: .*; CONTAINER_NAME: is required; ENVIRONMENTS: is required$/,
    );
  }, 30_000);

  it('writes the files, reading task definitions with the AWS CLI', async () => {
    // A stand-in `aws` on PATH that answers describe-task-definition like the real CLI.
    const bin = join(root, 'bin');
    await mkdir(bin);
    const answer = join(root, 'answer.json');
    await writeFile(answer, JSON.stringify(describedTaskDefinition()));
    await writeFile(
      join(bin, 'aws'),
      `#!/bin/sh\necho "$@" >> "${join(root, 'calls.txt')}"\ncat "${answer}"\n`,
    );
    await chmod(join(bin, 'aws'), 0o755);

    const result = runCli(
      {
        PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`,
        IMAGE_URI: IMAGE,
        CONTAINER_NAME: 'inventory-api',
        CONTAINER_PORT: '8080',
        ENVIRONMENTS: JSON.stringify([{ name: 'dev', family: 'ias-dev-inventory-api' }]),
      },
      ['out'],
    );

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'write-build-files: wrote appspec-dev.yaml, imageDetail.json, imagedefinitions.json, taskdef-dev.json to out\n',
    );
    expect((await readdir(join(root, 'out'))).sort()).toEqual([
      'appspec-dev.yaml',
      'imageDetail.json',
      'imagedefinitions.json',
      'taskdef-dev.json',
    ]);
    expect(await readFile(join(root, 'calls.txt'), 'utf8')).toBe(
      'ecs describe-task-definition --task-definition ias-dev-inventory-api --include TAGS --output json\n',
    );
    const taskdef = JSON.parse(await readFile(join(root, 'out', 'taskdef-dev.json'), 'utf8'));
    expect(taskdef.containerDefinitions[0].image).toBe('<IMAGE1_NAME>');
    expect(taskdef).not.toHaveProperty('taskDefinitionArn');
  }, 30_000);
});
