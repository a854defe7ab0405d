import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findComponents, readSbom, type SbomComponent } from '../../src/sbom/index.js';
import { runSbomCli, SBOM_EXIT } from '../../src/sbom/run-cli.js';

const REPO_ROOT = resolve(__dirname, '../../..');
const SCRIPT = resolve(__dirname, '../../src/sbom/cli.ts');
/** A small workspace of this repository, with production, peer and dev dependencies. */
const WORKSPACE = 'app/functions/common';

interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const lock = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  }
).packages;

/** Where Node finds `name` from the package at `from`: its own node_modules, then each one above. */
function installedAt(from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const path = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock[path] !== undefined) return path;
    if (dir === '') return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up >= 0 ? dir.slice(0, up) : '';
  }
}

/**
 * The lockfile's answer: every package a workspace's production dependencies install, by the path npm
 * installed it at, as `name@version` (a workspace's link is its folder's version).
 */
function productionClosure(workspace: string, name: string): Map<string, string> {
  const found = new Map<string, string>([[`node_modules/${name}`, `${name}@${lock[workspace]?.version}`]]);
  const visit = (folder: string) => {
    const entry = lock[folder] ?? {};
    const needed = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dependency of Object.keys(needed)) {
      const path = installedAt(folder, dependency);
      if (path === undefined || found.has(path)) continue; // an optional one not installed
      const target = lock[path]?.link ? (lock[path]?.resolved ?? path) : path;
      found.set(path, `${dependency}@${lock[target]?.version}`);
      visit(target);
    }
  };
  visit(workspace);
  return found;
}

/** A component as cyclonedx-npm writes it, with the path npm installed it at among its properties. */
interface WrittenComponent extends SbomComponent {
  readonly properties?: readonly { name: string; value: string }[];
  readonly components?: readonly WrittenComponent[];
}

/** The SBOM's answer: each component by the path cyclonedx-npm says npm installed it at. */
function componentsByPath(json: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (components: readonly WrittenComponent[] | undefined) => {
    for (const c of components ?? []) {
      const path = c.properties?.find((p) => p.name === 'cdx:npm:package:path')?.value;
      found.set(path ?? `(no path) ${c.name}`, `${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`);
      visit(c.components);
    }
  };
  visit((JSON.parse(json) as { components?: WrittenComponent[] }).components);
  return found;
}

describe('the SBOM of a workspace, built by the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbom-'));
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  let json: string;

  beforeAll(async () => {
    code = await runSbomCli(['--workspace', WORKSPACE, '--output', 'out/common.cdx.json'], {
      repoRoot: REPO_ROOT,
      cwd: dir,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    json = readFileSync(join(dir, 'out/common.cdx.json'), 'utf8');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is written, with one line saying what it holds', () => {
    expect({ code, err }).toEqual({ code: SBOM_EXIT.OK, err: [] });
    expect(out).toEqual([
      expect.stringMatching(
        /^sbom: wrote out\/common\.cdx\.json: CycloneDX 1\.6, \d+ components, the production dependencies of @ias\/fn-common \(app\/functions\/common\)$/,
      ),
    ]);
    expect(JSON.parse(json)).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
  });

  it("lists exactly the packages the lockfile installs for the workspace's production dependencies, at the lockfile's versions", () => {
    const sbom = readSbom(json);
    const expected = productionClosure(WORKSPACE, '@ias/fn-common');
    expect(expected.size).toBeGreaterThan(10);
    expect(Object.fromEntries(componentsByPath(json))).toEqual(Object.fromEntries(expected));
    // Each production dependency at its locked version; a dev-only dependency is not there.
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, WORKSPACE, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies)) {
      const path = installedAt(WORKSPACE, name) ?? name;
      const locked = lock[lock[path]?.link ? (lock[path]?.resolved ?? path) : path]?.version;
      expect(findComponents(sbom, `${name}@${locked}`), name).toEqual([`${name}@${locked}`]);
    }
    expect(findComponents(sbom, 'vitest')).toEqual([]);
    expect(findComponents(sbom, 'aws-sdk-client-mock')).toEqual([]);
  });

  it('is reproducible: no timestamp or serial number', () => {
    expect(json).not.toMatch(/"timestamp"|"serialNumber"/);
  });
});

describe('the SBOM CLI', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it.each([
    [['--output', 'x.json'], 'sbom: --workspace is required (--help for the usage)'],
    [[], 'sbom: --workspace and --output are required (--help for the usage)'],
    [
      ['--workspace', 'app/functions/nope', '--output', 'x.json'],
      'sbom: unknown workspace "app/functions/nope": give one of targets, infra, ',
    ],
    [['--workspace', WORKSPACE, '--output', 'x.json', '--spec-version', '1.4'], 'use one of 1.5, 1.6'],
    [['--workspace', WORKSPACE, '--out', 'x.json'], "sbom: Unknown option '--out'"],
  ])(
    'fails with exit 2 and one line on bad input %j, writing nothing',
    (args, message) => {
      const result = run(...args);
      expect(result.status).toBe(SBOM_EXIT.BAD_INPUT);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
      // A process of its own, started through tsx: seconds on a loaded 2-core runner, not vitest's 5.
    },
    60_000,
  );
});
