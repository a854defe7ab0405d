import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, REPO_ROOT } from '../../lib/config/project';
import { artifactStoreBucketName, pipelineNameProblems, pipelineNames } from '@ias/targets';

describe('pipeline names under any valid prefix', () => {
  it("build the artifact store's bucket within S3's 63 characters for the longest prefix and the repository's names", () => {
    const project = loadProject({});
    for (const { name } of [...project.functions, ...(project.services ?? [])]) {
      const bucket = artifactStoreBucketName(pipelineNames('abcdefghij', name).artifactStore, '123456789012');
      expect(bucket.length, bucket).toBeLessThanOrEqual(63);
    }
    expect(
      pipelineNameProblems(
        'abcdefghij',
        project.functions.map((f) => f.name),
      ),
    ).toEqual([]);
  });

  it('loads the project under a 10-character prefix, the longest the rule allows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'long-prefix-'));
    try {
      const readme = join(dir, 'README.md');
      writeFileSync(
        readme,
        readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/^Prefix: .*$/m, 'Prefix: abcdef-123'),
      );
      expect(loadProject({ PROJECT_README: readme }).prefix).toBe('abcdef-123');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on a name too long for the prefix, naming it, the bucket and the room left', () => {
    const name = 'a-very-long-function-name-x';
    expect(pipelineNameProblems('abcdefghij', [name, 'short'])).toEqual([
      `${name}: abcdefghij-${name}-artifact-store-<account> would be 66 characters, over S3's 63: with the prefix "abcdefghij", a function or service name may have at most 24 characters`,
    ]);
  });
});
