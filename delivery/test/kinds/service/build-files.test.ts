import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEcsAppSpec, renderEcsAppSpec } from '../../../src/kinds/service/appspec.js';
import { readBuildFilesInput, writeBuildFiles } from '../../../src/kinds/service/build-files.js';
import type { TaskDefinitionReader } from '../../../src/kinds/service/taskdef.js';
import { renderTaskDefinition } from '../../../src/kinds/service/taskdef.js';
import { awsError, failureOf, rejectionOf } from '../../support.js';
import { describedTaskDefinition, IMAGE } from './support.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-files-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function reader(): TaskDefinitionReader & { describeTaskDefinition: ReturnType<typeof vi.fn> } {
  return {
    describeTaskDefinition: vi.fn(({ taskDefinition }: { taskDefinition: string }) =>
      Promise.resolve(describedTaskDefinition(taskDefinition)),
    ),
  };
}

const environments = [
  { name: 'dev', family: 'ias-dev-inventory-api' },
  {
    name: 'prod',
    family: 'ias-prod-inventory-api',
    hooks: { afterAllowTestTraffic: 'ias-prod-green-check' },
  },
];

function options(outDir: string, ecs = reader()) {
  return { outDir, imageUri: IMAGE, containerName: 'inventory-api', containerPort: 8080, environments, ecs };
}

describe('writeBuildFiles', () => {
  it('writes imageDetail, imagedefinitions and each environment’s taskdef and appspec', async () => {
    const outDir = join(root, 'out');
    const ecs = reader();
    const written = await writeBuildFiles(options(outDir, ecs));

    expect(written).toEqual([
      'appspec-dev.yaml',
      'appspec-prod.yaml',
      'imageDetail.json',
      'imagedefinitions.json',
      'taskdef-dev.json',
      'taskdef-prod.json',
    ]);
    expect((await readdir(outDir)).sort()).toEqual(written);
    expect((await readdir(root)).sort()).toEqual(['out']);
    const read = (name: string) => readFile(join(outDir, name), 'utf8');
    expect(await read('imageDetail.json')).toBe(`${JSON.stringify({ ImageURI: IMAGE }, null, 2)}\n`);
    expect(JSON.parse(await read('imagedefinitions.json'))).toEqual([
      { name: 'inventory-api', imageUri: IMAGE },
    ]);
    expect(JSON.parse(await read('taskdef-prod.json'))).toEqual(
      JSON.parse(
        JSON.stringify(
          renderTaskDefinition(describedTaskDefinition('ias-prod-inventory-api'), {
            containerName: 'inventory-api',
          }),
        ),
      ),
    );
    expect(await read('appspec-dev.yaml')).toBe(
      renderEcsAppSpec({ containerName: 'inventory-api', containerPort: 8080 }),
    );
    expect(parseEcsAppSpec(await read('appspec-prod.yaml')).hooks).toEqual({
      afterAllowTestTraffic: 'ias-prod-green-check',
    });
    expect(ecs.describeTaskDefinition.mock.calls).toEqual([
      [{ taskDefinition: 'ias-dev-inventory-api', include: ['TAGS'] }],
      [{ taskDefinition: 'ias-prod-inventory-api', include: ['TAGS'] }],
    ]);
  });

  it('writes into an existing folder, replacing its files and keeping the others', async () => {
    const outDir = join(root, 'existing');
    await mkdir(outDir);
    await writeFile(join(outDir, 'keep.txt'), 'kept');
    await writeFile(join(outDir, 'imageDetail.json'), 'stale');
    await writeBuildFiles(options(outDir));
    expect(await readFile(join(outDir, 'keep.txt'), 'utf8')).toBe('kept');
    expect(JSON.parse(await readFile(join(outDir, 'imageDetail.json'), 'utf8'))).toEqual({ ImageURI: IMAGE });
    expect((await readdir(root)).sort()).toEqual(['existing']);
  });

  it('writes nothing when an environment’s task definition cannot be read', async () => {
    const outDir = join(root, 'out');
    const ecs = reader();
    ecs.describeTaskDefinition
      .mockResolvedValueOnce(describedTaskDefinition())
      .mockRejectedValueOnce(awsError('ClientException', 'Unable to describe task definition.'));
    expect(await rejectionOf(writeBuildFiles(options(outDir, ecs)))).toMatch(
      /^SERVICE_MISSING: task definition family ias-prod-inventory-api does not exist/,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('fails CONTAINER_MISSING, writing nothing, when the task definition lacks the container', async () => {
    const outDir = join(root, 'out');
    expect(await rejectionOf(writeBuildFiles({ ...options(outDir), containerName: 'api' }))).toMatch(
      /^CONTAINER_MISSING: task definition ias-dev-inventory-api has no container "api"/,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('fails BAD_INPUT on invalid inputs before reading anything', async () => {
    const ecs = reader();
    const outDir = join(root, 'out');
    expect(
      await rejectionOf(
        writeBuildFiles({
          ...options(outDir, ecs),
          imageUri: IMAGE.replace(':3f2c1ab', ':latest'),
          environments: [environments[0]!, environments[0]!],
        }),
      ),
    ).toMatch(
      /^BAD_INPUT: invalid build files input: imageUri: ".*:latest" is tagged latest.*; environments: must name each environment once$/,
    );
    expect(ecs.describeTaskDefinition).not.toHaveBeenCalled();
    expect(await readdir(root)).toEqual([]);
  });
});

describe('readBuildFilesInput', () => {
  const env = {
    IMAGE_URI: IMAGE,
    CONTAINER_NAME: 'inventory-api',
    CONTAINER_PORT: '8080',
    ENVIRONMENTS: JSON.stringify(environments),
  };

  it('reads the environment variables, OUT_DIR defaulting to build-files', () => {
    expect(readBuildFilesInput(env)).toEqual({
      outDir: 'build-files',
      imageUri: IMAGE,
      containerName: 'inventory-api',
      containerPort: 8080,
      platformVersion: undefined,
      environments,
    });
    expect(readBuildFilesInput({ ...env, OUT_DIR: 'a', PLATFORM_VERSION: '1.4.0' })).toMatchObject({
      outDir: 'a',
      platformVersion: '1.4.0',
    });
    expect(readBuildFilesInput({ ...env, OUT_DIR: 'a' }, ['b']).outDir).toBe('b');
  });

  it('fails naming every bad variable', () => {
    expect(
      failureOf(() => readBuildFilesInput({ CONTAINER_PORT: 'http', ENVIRONMENTS: '[{"name":"dev"' })),
    ).toBe(
      'BAD_INPUT: invalid input: IMAGE_URI: is required; CONTAINER_NAME: is required; CONTAINER_PORT: must be a port number; ENVIRONMENTS: must be JSON: [{"name":"dev","family":"<task definition family>","hooks":{…}}]',
    );
    expect(
      failureOf(() =>
        readBuildFilesInput({
          ...env,
          ENVIRONMENTS: '[{"name":"Dev","family":"f","hooks":{"afterTraffic":"x"}}]',
        }),
      ),
    ).toMatch(
      /^BAD_INPUT: invalid input: ENVIRONMENTS\.0\.name: must be an environment name such as dev; ENVIRONMENTS\.0\.hooks: /,
    );
    expect(failureOf(() => readBuildFilesInput({ ...env, ENVIRONMENTS: '[]' }))).toBe(
      'BAD_INPUT: invalid input: ENVIRONMENTS: must list at least one environment',
    );
  });

  it('fails on more than one argument or an option', () => {
    expect(failureOf(() => readBuildFilesInput(env, ['a', 'b']))).toMatch(
      /^BAD_INPUT: unexpected arguments \["a","b"\]/,
    );
    expect(failureOf(() => readBuildFilesInput(env, ['--out']))).toMatch(/^BAD_INPUT: unexpected arguments/);
  });
});
