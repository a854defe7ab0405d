import { readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventoryApiSettings } from '../src/settings';
import {
  copyPaths,
  execForm,
  keyValues,
  parseDockerfile,
  readInstructions,
  splitFlags,
  words,
  type Dockerfile,
  type Instruction,
  type Stage,
} from './support/dockerfile';

// The service's Dockerfile conventions (seed 004 §2.1), checked on the parsed file. Each convention
// returns its problems (empty when kept); the "fails when …" cases break a copy of the real file to
// prove that every convention can fail. No Docker engine is needed: nothing is built here.

const SERVICE_DIR = join(__dirname, '..');
const REPO_ROOT = join(SERVICE_DIR, '..', '..', '..');
const DOCKERFILE = readFileSync(join(SERVICE_DIR, 'Dockerfile'), 'utf8');

/** What the conventions are checked against: the repository as it is, or a variation of it. */
interface Context {
  /** The root package.json `workspaces`, each of whose manifests `npm ci` needs. */
  readonly workspaces: readonly string[];
  /** The port the service listens on when `PORT` is unset. */
  readonly port: number;
  /** The service's folder from the repository root (the build context), POSIX separators. */
  readonly servicePath: string;
}

const REPOSITORY: Context = {
  workspaces: (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] })
    .workspaces,
  // The config's own default, so the test follows the service rather than a copy of its number.
  port: inventoryApiSettings.shape.PORT.parse(undefined),
  servicePath: relative(REPO_ROOT, SERVICE_DIR).split(sep).join('/'),
};

const STAGE_NAMES = ['builder', 'development', 'production'];
const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL/i;
const REMOTE_SOURCE = /^[a-z][a-z0-9+.-]*:\/\/|^git@/i;

interface Convention {
  readonly title: string;
  readonly check: (dockerfile: Dockerfile, context: Context) => string[];
}

const stageNamed = (dockerfile: Dockerfile, name: string): Stage | undefined =>
  dockerfile.stages.find((s) => s.name === name);
const lastOf = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.filter((i) => i.keyword === keyword).at(-1);
const quoted = (i: Instruction): string => `line ${i.line}: "${i.keyword} ${i.args}"`;

/** Runs `check` on the production stage, or reports that there is none. */
const inProduction =
  (check: (production: Stage, dockerfile: Dockerfile, context: Context) => string[]) =>
  (dockerfile: Dockerfile, context: Context): string[] => {
    const production = stageNamed(dockerfile, 'production');
    return production ? check(production, dockerfile, context) : ['there is no production stage'];
  };

/** The stage's environment after its `ENV` instructions (later settings win). */
function environment(stage: Stage): Map<string, string | undefined> {
  return new Map(stage.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => keyValues(i.args)));
}

/** The stage's working directory after its `WORKDIR` instructions, up to `until` when given. */
function workdir(stage: Stage, until?: Instruction): string {
  let dir = '/';
  for (const i of stage.instructions) {
    if (i === until) break;
    if (i.keyword === 'WORKDIR') dir = posix.resolve(dir, i.args);
  }
  return dir;
}

/** Why `image` is not a Node.js ≥ 20 image pinned to major.minor.patch, if it is not. */
function pinProblems(image: string): string[] {
  if (image === '') return ['the base image is empty (an ARG without a default?)'];
  const [reference, digest, ...more] = image.split('@');
  const problems: string[] = [];
  if (more.length > 0 || (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest))) {
    problems.push(`"${image}" has a malformed digest (expected @sha256: and 64 hex digits)`);
  }
  const colon = reference.lastIndexOf(':');
  const tagged = colon > reference.lastIndexOf('/');
  const repository = tagged ? reference.slice(0, colon) : reference;
  const tag = tagged ? reference.slice(colon + 1) : undefined;
  if (repository.split('/').at(-1) !== 'node') problems.push(`"${image}" is not a Node.js image`);
  const version = tag === undefined ? undefined : /^(\d+)\.\d+\.\d+(?:-[a-z0-9][a-z0-9.-]*)?$/.exec(tag);
  if (tag === undefined) problems.push(`"${image}" has no version tag`);
  else if (tag === 'latest') problems.push(`"${image}" uses latest`);
  else if (!version) problems.push(`"${image}": tag "${tag}" is not an exact major.minor.patch version`);
  else if (Number(version[1]) < 20) problems.push(`"${image}" is Node.js ${version[1]}, below 20`);
  return problems;
}

/** Keeps the literal keys while typing every value as a {@link Convention}. */
const conventions = <Id extends string>(all: Record<Id, Convention>): Record<Id, Convention> => all;

const CONVENTIONS = conventions({
  stages: {
    title: 'has exactly the builder, development and production stages, production last (the default target)',
    check: (dockerfile) => {
      const names = dockerfile.stages.map((s) => s.name ?? `<unnamed, line ${s.from.line}>`);
      const problems: string[] = [];
      if ([...names].sort().join() !== [...STAGE_NAMES].sort().join()) {
        problems.push(`the stages must be exactly ${STAGE_NAMES.join(', ')}, got ${names.join(', ')}`);
      }
      if (names.at(-1) !== 'production') {
        problems.push(`the last stage (the default target) must be production, got ${names.at(-1)}`);
      }
      return problems;
    },
  },
  pinnedBase: {
    title: 'starts every stage that is not built on another from a pinned Node.js ≥ 20 image',
    check: (dockerfile) =>
      dockerfile.stages.flatMap((stage, index) => {
        const earlier = dockerfile.stages.slice(0, index).map((s) => s.name);
        if (earlier.includes(stage.base.toLowerCase())) return [];
        return pinProblems(stage.base).map((p) => `line ${stage.from.line}: ${p}`);
      }),
  },
  sameBase: {
    title: 'starts builder and production from the same image (one base to update, as Dependabot does)',
    check: (dockerfile) => {
      const bases = dockerfile.stages
        .filter(
          (stage, index) =>
            !dockerfile.stages.slice(0, index).some((s) => s.name === stage.base.toLowerCase()),
        )
        .map((stage) => stage.base);
      return new Set(bases).size > 1
        ? [`the stages start from different images: ${[...new Set(bases)].join(', ')}`]
        : [];
    },
  },
  productionFromBase: {
    title: 'builds production from the base image, not from another stage',
    check: inProduction((production, dockerfile) =>
      dockerfile.stages.some((s) => s !== production && s.name === production.base.toLowerCase())
        ? [`${quoted(production.from)}: production must start from the pinned base, not from a stage`]
        : [],
    ),
  },
  nonRootUser: {
    title: 'runs production as a non-root user',
    check: inProduction((production) => {
      const user = lastOf(production, 'USER');
      if (!user) return ['production has no USER, so it runs as root'];
      const name = user.args.split(':')[0].trim();
      return name === 'root' || name === '0' ? [`${quoted(user)}: production runs as root`] : [];
    }),
  },
  exposesPort: {
    title: "exposes the service's port in production",
    check: inProduction((production, _dockerfile, { port }) => {
      const exposed = production.instructions
        .filter((i) => i.keyword === 'EXPOSE')
        .flatMap((i) => words(i.args))
        .map((p) => p.replace(/\/tcp$/i, ''));
      const problems: string[] = [];
      if (!exposed.includes(String(port))) {
        problems.push(
          `production must EXPOSE ${port} (the service's port), exposes ${exposed.join(', ') || 'none'}`,
        );
      }
      const set = environment(production).get('PORT');
      if (set !== undefined && set !== String(port)) {
        problems.push(`production sets PORT=${set}, but the service's port is ${port}`);
      }
      return problems;
    }),
  },
  healthcheck: {
    title: 'has a HEALTHCHECK in production',
    check: inProduction((production) => {
      const healthcheck = lastOf(production, 'HEALTHCHECK');
      if (!healthcheck) return ['production has no HEALTHCHECK'];
      return /^CMD\s/i.test(splitFlags(healthcheck.args).rest)
        ? []
        : [`${quoted(healthcheck)}: the HEALTHCHECK must run a CMD (NONE disables it)`];
    }),
  },
  stopSignal: {
    title: 'stops production with SIGTERM, on which the service drains',
    check: inProduction((production) => {
      const signal = lastOf(production, 'STOPSIGNAL');
      if (!signal) return ['production has no STOPSIGNAL SIGTERM'];
      return signal.args === 'SIGTERM' ? [] : [`${quoted(signal)}: production must stop with SIGTERM`];
    }),
  },
  execCmd: {
    title: 'starts production in exec form, so node is PID 1 and receives the signal',
    check: inProduction((production) => {
      const cmd = lastOf(production, 'CMD');
      if (!cmd) return ['production has no CMD'];
      return [cmd, ...production.instructions.filter((i) => i.keyword === 'ENTRYPOINT')]
        .filter((i) => execForm(i.args) === undefined)
        .map((i) => `${quoted(i)}: must be in exec (JSON array) form`);
    }),
  },
  copiesOnlyDist: {
    title: "copies into production only the builder stage's dist",
    check: inProduction((production, dockerfile, { servicePath }) => {
      const builder = stageNamed(dockerfile, 'builder');
      if (!builder) return ['there is no builder stage'];
      const dist = posix.join(workdir(builder), servicePath, 'dist');
      const copies = production.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
      if (copies.length === 0) return [`production copies nothing; it needs ${dist} from builder`];
      return copies.flatMap((copy) => {
        if (copy.keyword !== 'COPY' || splitFlags(copy.args).flags.get('from')?.toLowerCase() !== 'builder') {
          return [`${quoted(copy)}: production may only COPY --from=builder`];
        }
        return copyPaths(copy.args)
          .sources.map((source) => posix.resolve(workdir(builder), source))
          .filter((source) => source !== dist && !source.startsWith(`${dist}/`))
          .map((source) => `${quoted(copy)}: copies ${source}; only ${dist} may be copied`);
      });
    }),
  },
  nodeEnvProduction: {
    title: 'sets NODE_ENV=production in production',
    check: inProduction((production) => {
      const value = environment(production).get('NODE_ENV');
      return value === 'production'
        ? []
        : [`production must set NODE_ENV=production, got ${value ?? 'none'}`];
    }),
  },
  noRemoteAdd: {
    title: 'never ADDs a remote URL',
    check: (dockerfile) =>
      dockerfile.stages
        .flatMap((s) => s.instructions)
        .filter((i) => i.keyword === 'ADD' && copyPaths(i.args).sources.some((s) => REMOTE_SOURCE.test(s)))
        .map((i) => `${quoted(i)}: ADD of a remote URL (unverified download)`),
  },
  noSecretNames: {
    title: 'declares no secret-looking ARG or ENV names (build args and ENV end up in the image)',
    check: (dockerfile) =>
      [...dockerfile.globalArgInstructions, ...dockerfile.stages.flatMap((s) => s.instructions)]
        .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
        .flatMap((i) =>
          keyValues(i.args, i.keyword === 'ARG')
            .map(([name]) => name)
            .filter((name) => SECRET_NAME.test(name))
            .map((name) => `${quoted(i)}: "${name}" looks like a secret; use a BuildKit secret mount`),
        ),
  },
  workspaceManifests: {
    title: 'copies the lockfile and every workspace manifest into the builder before npm ci',
    check: (dockerfile, { workspaces }) => {
      const builder = stageNamed(dockerfile, 'builder');
      if (!builder) return ['there is no builder stage'];
      const ci = builder.instructions.find(
        (i) => i.keyword === 'RUN' && /\bnpm\s+(ci|clean-install)\b/.test(i.args),
      );
      if (!ci) return ['the builder stage has no RUN npm ci'];
      // Where each build-context file lands, for the COPYs before npm ci: "source→/absolute/target".
      const placed = new Set<string>();
      for (const copy of builder.instructions.slice(0, builder.instructions.indexOf(ci))) {
        if (copy.keyword !== 'COPY' || splitFlags(copy.args).flags.has('from')) continue;
        const { sources, destination } = copyPaths(copy.args);
        const target = posix.resolve(workdir(builder, copy), destination);
        const intoFolder = destination.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          placed.add(
            `${posix.normalize(source)}→${intoFolder ? posix.join(target, posix.basename(source)) : target}`,
          );
        }
      }
      const root = workdir(builder, ci);
      const globs = workspaces.filter((w) => w.includes('*'));
      if (globs.length > 0) return [`workspace globs (${globs.join(', ')}) are not expanded by this test`];
      return ['package.json', 'package-lock.json', ...workspaces.map((w) => posix.join(w, 'package.json'))]
        .filter((manifest) => !placed.has(`${manifest}→${posix.join(root, manifest)}`))
        .map(
          (manifest) =>
            `the builder must COPY ${manifest} to ${posix.join(root, manifest)} before npm ci (line ${ci.line}): ` +
            'npm ci checks the lockfile against every workspace',
        );
    },
  },
});

type ConventionId = keyof typeof CONVENTIONS;

/** Replaces the one match of `pattern`; throws when it matches not exactly once, so no break is a no-op. */
function replaceOnce(text: string, pattern: string | RegExp, replacement: string): string {
  const matches =
    typeof pattern === 'string'
      ? text.split(pattern).length - 1
      : [...text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))].length;
  if (matches !== 1)
    throw new Error(`the break "${pattern}" matches ${matches} times in the Dockerfile, not once`);
  return typeof pattern === 'string'
    ? text.replace(pattern, () => replacement)
    : text.replace(pattern, replacement);
}

interface Break {
  readonly when: string;
  /** The edit to a copy of the real Dockerfile: what to replace, once, and with what. */
  readonly edit?: readonly [string | RegExp, string];
  /** A change to the repository around the Dockerfile instead. */
  readonly context?: Partial<Context>;
  readonly problem: RegExp;
}

const BASE = 'FROM node:20.20.2-bookworm-slim AS builder';
const PRODUCTION_FROM = 'FROM node:20.20.2-bookworm-slim AS production';
const PRODUCTION_CMD = 'CMD ["node", "--enable-source-maps", "dist/main.js"]';
const DIST_COPY = `/repo/${REPOSITORY.servicePath}/dist ./dist`;
const DELIVERY_COPY = 'COPY delivery/package.json delivery/\n';

/** Ways to break the real Dockerfile, by the convention each one breaks. */
const BREAKS: Readonly<Record<ConventionId, readonly Break[]>> = {
  stages: [
    { when: 'a stage is renamed', edit: ['AS development', 'AS dev'], problem: /exactly/ },
    {
      when: 'production is not the last stage',
      edit: [PRODUCTION_CMD, `${PRODUCTION_CMD}\nFROM builder AS debug`],
      problem: /last stage .* must be production, got debug/,
    },
  ],
  pinnedBase: [
    { when: 'the base is latest', edit: [BASE, 'FROM node:latest AS builder'], problem: /latest/ },
    { when: 'the base is untagged', edit: [BASE, 'FROM node AS builder'], problem: /no version tag/ },
    {
      when: 'the base tag is only a major version',
      edit: [BASE, 'FROM node:20-bookworm-slim AS builder'],
      problem: /not an exact major\.minor\.patch/,
    },
    {
      when: 'the base is Node.js 18',
      edit: [BASE, 'FROM node:18.20.8-bookworm-slim AS builder'],
      problem: /Node\.js 18, below 20/,
    },
    {
      when: 'the digest is malformed',
      edit: [BASE, 'FROM node:20.20.2-bookworm-slim@sha256:abc AS builder'],
      problem: /malformed digest/,
    },
    {
      when: 'the base comes from an ARG without a default',
      edit: [BASE, 'ARG NODE_IMAGE\nFROM ${NODE_IMAGE} AS builder'],
      problem: /base image is empty/,
    },
    {
      when: 'production starts from another image',
      edit: [PRODUCTION_FROM, 'FROM nginx:1.27.5 AS production'],
      problem: /"nginx:1\.27\.5" is not a Node\.js image/,
    },
  ],
  sameBase: [
    {
      when: 'production starts from another Node.js image than builder',
      edit: [PRODUCTION_FROM, 'FROM node:20.20.1-bookworm-slim AS production'],
      problem: /different images: node:20\.20\.2-bookworm-slim, node:20\.20\.1-bookworm-slim/,
    },
  ],
  productionFromBase: [
    {
      when: 'production is built from builder',
      edit: [PRODUCTION_FROM, 'FROM builder AS production'],
      problem: /not from a stage/,
    },
  ],
  nonRootUser: [
    { when: 'production has no USER', edit: ['USER node\n', ''], problem: /no USER/ },
    { when: 'production runs as root', edit: ['USER node', 'USER root'], problem: /root/ },
    { when: 'production runs as uid 0', edit: ['USER node', 'USER 0:0'], problem: /root/ },
  ],
  exposesPort: [
    {
      when: 'production exposes another port',
      edit: [`USER node\nEXPOSE ${REPOSITORY.port}`, 'USER node\nEXPOSE 8080'],
      problem: new RegExp(`must EXPOSE ${REPOSITORY.port}.*exposes 8080`),
    },
    {
      when: 'production sets another PORT',
      edit: [`PORT=${REPOSITORY.port}`, 'PORT=8080'],
      problem: /sets PORT=8080/,
    },
  ],
  healthcheck: [
    {
      when: 'production has no HEALTHCHECK',
      edit: [/^HEALTHCHECK [^\n]*\\\n[^\n]*\n/m, ''],
      problem: /no HEALTHCHECK/,
    },
    {
      when: 'the HEALTHCHECK is NONE',
      edit: [/^HEALTHCHECK [^\n]*\\\n[^\n]*\n/m, 'HEALTHCHECK NONE\n'],
      problem: /must run a CMD/,
    },
  ],
  stopSignal: [
    {
      when: 'production stops with SIGKILL',
      edit: ['STOPSIGNAL SIGTERM', 'STOPSIGNAL SIGKILL'],
      problem: /must stop with SIGTERM/,
    },
    { when: 'STOPSIGNAL is missing', edit: ['STOPSIGNAL SIGTERM\n', ''], problem: /no STOPSIGNAL/ },
  ],
  execCmd: [
    {
      when: 'CMD is in shell form',
      edit: [PRODUCTION_CMD, 'CMD node --enable-source-maps dist/main.js'],
      problem: /exec \(JSON array\) form/,
    },
    {
      when: 'CMD is single-quoted (not JSON, so shell form)',
      edit: [PRODUCTION_CMD, "CMD ['node', 'dist/main.js']"],
      problem: /exec \(JSON array\) form/,
    },
  ],
  copiesOnlyDist: [
    {
      when: 'production copies the whole builder tree',
      edit: [DIST_COPY, '/repo ./repo'],
      problem: /copies \/repo; only .*\/dist may be copied/,
    },
    {
      when: "production copies the builder's node_modules",
      edit: [DIST_COPY, DIST_COPY.replaceAll('dist', 'node_modules')],
      problem: /node_modules; only/,
    },
    {
      when: 'production copies from the development stage',
      edit: ['--from=builder --chown', '--from=development --chown'],
      problem: /only COPY --from=builder/,
    },
    {
      when: 'production copies sources from the build context',
      edit: ['WORKDIR /app\n', `WORKDIR /app\nCOPY ${REPOSITORY.servicePath}/src ./src\n`],
      problem: /only COPY --from=builder/,
    },
  ],
  nodeEnvProduction: [
    {
      when: 'NODE_ENV is development',
      edit: ['NODE_ENV=production', 'NODE_ENV=development'],
      problem: /got development/,
    },
  ],
  noRemoteAdd: [
    {
      when: 'a stage ADDs a URL',
      edit: ['WORKDIR /repo\n', 'WORKDIR /repo\nADD https://example.com/tool.tar.gz /tmp/\n'],
      problem: /remote URL/,
    },
  ],
  noSecretNames: [
    {
      when: 'an ENV is named like a token',
      edit: ['ENV CI=true', 'ENV CI=true NPM_TOKEN=abc'],
      problem: /"NPM_TOKEN" looks like a secret/,
    },
    {
      when: 'a global ARG is named like a password',
      edit: [BASE, `ARG DB_PASSWORD\n${BASE}`],
      problem: /"DB_PASSWORD"/,
    },
    {
      when: 'a stage ARG is named like a key',
      edit: ['WORKDIR /repo\n', 'WORKDIR /repo\nARG API_KEY=x\n'],
      problem: /"API_KEY"/,
    },
  ],
  workspaceManifests: [
    {
      when: 'a workspace manifest is not copied (the delivery miss this test was written for)',
      edit: [DELIVERY_COPY, ''],
      problem: /COPY delivery\/package\.json to \/repo\/delivery\/package\.json before npm ci/,
    },
    // The last manifest line before npm ci moves after it.
    {
      when: 'a workspace manifest is copied after npm ci',
      edit: [/(COPY (\S+)\/package\.json \2\/\n)(RUN npm ci[^\n]*\n)/, '$3$1'],
      problem: /wiring\/package\.json/,
    },
    {
      when: 'a workspace manifest is copied to the wrong folder',
      edit: [DELIVERY_COPY, 'COPY delivery/package.json infra/\n'],
      problem: /delivery\/package\.json/,
    },
    {
      when: 'the lockfile is not copied',
      edit: ['COPY package.json package-lock.json ', 'COPY package.json '],
      problem: /COPY package-lock\.json/,
    },
    {
      when: 'the root package.json gains a workspace the Dockerfile does not copy',
      context: { workspaces: [...REPOSITORY.workspaces, 'app/functions/new-function'] },
      problem: /app\/functions\/new-function\/package\.json/,
    },
  ],
};

describe('Dockerfile parser (test/support/dockerfile.ts)', () => {
  it('joins continuation lines, skipping comment and blank lines inside them', () => {
    const text = 'RUN a \\\n  # a comment\n\n  && b \\\n  && c\n# after\nUSER node';
    expect(readInstructions(text)).toEqual([
      { keyword: 'RUN', args: 'a   && b   && c', line: 1 },
      { keyword: 'USER', args: 'node', line: 7 },
    ]);
  });

  it('substitutes global ARG defaults into FROM and names stages', () => {
    const dockerfile = parseDockerfile(
      [
        'ARG IMAGE=node',
        'ARG VERSION=20.1.0',
        'ARG UNSET',
        'FROM --platform=linux/arm64 ${IMAGE}:$VERSION-slim As Build',
        'FROM ${UNSET:-node:22.0.0} AS run',
        'FROM build',
      ].join('\n'),
    );
    expect(dockerfile.globalArgs).toEqual(
      new Map([
        ['IMAGE', 'node'],
        ['VERSION', '20.1.0'],
        ['UNSET', undefined],
      ]),
    );
    expect(dockerfile.stages.map((s) => [s.name, s.base])).toEqual([
      ['build', 'node:20.1.0-slim'],
      ['run', 'node:22.0.0'],
      [undefined, 'build'],
    ]);
  });

  it('fails on an instruction other than ARG before the first FROM', () => {
    expect(() => parseDockerfile('ENV A=1\nFROM node:20.1.0')).toThrow(
      'only ARG may come before the first FROM, got "ENV"',
    );
  });

  it('tells exec form from shell form as the builder does', () => {
    expect(execForm('["node", "dist/main.js"]')).toEqual(['node', 'dist/main.js']);
    expect(execForm("['node', 'dist/main.js']")).toBeUndefined();
    expect(execForm('node dist/main.js')).toBeUndefined();
  });

  it('reads flags, COPY paths and ENV in both forms', () => {
    expect(splitFlags('--from=builder --link a b/').flags).toEqual(
      new Map([
        ['from', 'builder'],
        ['link', ''],
      ]),
    );
    expect(copyPaths('--chown=node:node ["a b", "c/"]')).toEqual({ sources: ['a b'], destination: 'c/' });
    expect(keyValues('A=1 B="two words" C=\'x\'')).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'x'],
    ]);
    expect(keyValues('NODE_ENV production')).toEqual([['NODE_ENV', 'production']]);
    expect(keyValues('NAME VALUE=1', true)).toEqual([
      ['NAME', undefined],
      ['VALUE', '1'],
    ]);
  });

  it('honours the escape directive', () => {
    expect(readInstructions('# escape=`\nRUN a `\n  b\\c')).toEqual([
      { keyword: 'RUN', args: 'a   b\\c', line: 2 },
    ]);
  });
});

describe('inventory-api Dockerfile (seed 004 §2.1)', () => {
  const dockerfile = parseDockerfile(DOCKERFILE);

  for (const { title, check } of Object.values(CONVENTIONS)) {
    it(title, () => {
      expect(check(dockerfile, REPOSITORY)).toEqual([]);
    });
  }

  it('accepts a base pinned by digest as well', () => {
    const pinned = replaceOnce(
      DOCKERFILE,
      BASE,
      `FROM node:20.20.2-bookworm-slim@sha256:${'a'.repeat(64)} AS builder`,
    );
    expect(CONVENTIONS.pinnedBase.check(parseDockerfile(pinned), REPOSITORY)).toEqual([]);
  });

  const breaks = Object.entries(BREAKS).flatMap(([convention, cases]) =>
    cases.map((c) => ({ convention: convention as ConventionId, ...c })),
  );
  for (const { convention, when, edit, context, problem } of breaks) {
    it(`fails when ${when} (${convention})`, () => {
      const broken = edit ? replaceOnce(DOCKERFILE, edit[0], edit[1]) : DOCKERFILE;
      expect(
        CONVENTIONS[convention].check(parseDockerfile(broken), { ...REPOSITORY, ...context }),
      ).toContainEqual(expect.stringMatching(problem));
    });
  }

  it('has a failing case for every convention', () => {
    expect(new Set(breaks.map((b) => b.convention))).toEqual(new Set(Object.keys(CONVENTIONS)));
  });
});
