import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Every workspace's tests in one vitest run (`npm test`; scripts/test.ts synthesizes the app first).
 * Each workspace stays a project with its own vitest.config.mts (`npm test -w <workspace>` runs it
 * alone); one run shares the two cores between the projects' files instead of starting vitest, and
 * the application projects' PostgreSQL server, once per workspace.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const { workspaces } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { workspaces: string[] };

export default defineConfig({
  test: {
    projects: workspaces
      .filter((ws) => existsSync(`${root}${ws}/vitest.config.mts`))
      .map((ws) => {
        const { name } = JSON.parse(readFileSync(`${root}${ws}/package.json`, 'utf8')) as { name: string };
        return {
          extends: `./${ws}/vitest.config.mts`,
          // The workspace's folder, which its include globs and relative paths are written against.
          root: `./${ws}`,
          // The name its summary line gives (`inventory-api: N passed, N failed`).
          test: { name: name.replace(/^@[^/]+\//, '') },
        };
      }),
    // Every core: vitest's default leaves one idle (one worker on two cores). Projects that set their
    // own must set the same (vitest runs projects with different worker counts apart).
    maxWorkers: '100%',
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
  },
});
