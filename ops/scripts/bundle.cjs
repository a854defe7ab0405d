'use strict';
/**
 * The built `ias-ops`: one CommonJS bundle of ops/src/main.ts with the workspace packages it reads
 * (@ias/targets, @ias/infra/config, @ias/delivery) inside and every third-party package left to
 * node_modules, so that `ias-ops --help` loads Node, the bundle and commander only.
 *
 * Built by the root `prepare` script (so `npm ci` alone leaves a working binary) and again by the
 * launcher whenever the bundle is stale: `ops/dist/ias-ops.inputs.json` records when the last build
 * started and every file it read (esbuild's metafile inputs, plus this file); a file modified since
 * (a profile, a command, a name in @ias/targets) or a missing bundle makes the next run rebuild first.
 */
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const OPS_DIR = join(__dirname, '..');
const REPO_ROOT = join(OPS_DIR, '..');
const DIST_DIR = join(OPS_DIR, 'dist');
/** The bundle the launcher loads. */
const OUTFILE = join(DIST_DIR, 'ias-ops.js');
/** What the bundle was built from, and when. */
const INPUTS_FILE = join(DIST_DIR, 'ias-ops.inputs.json');
/** The workspace packages bundled; every other bare import stays external. */
const BUNDLED = ['@ias/targets', '@ias/infra/config', '@ias/delivery'];

/** True when the bundle exists and no file it was built from changed since its build started. */
function isFresh() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
    statSync(OUTFILE);
  } catch {
    return false;
  }
  for (const input of recorded.inputs) {
    try {
      if (statSync(join(REPO_ROOT, input)).mtimeMs > recorded.builtAt) return false;
    } catch {
      return false; // a file the bundle read is gone
    }
  }
  return true;
}

/**
 * Keeps a bundled module's own directory: infra's config finds the repository from `__dirname`,
 * which in the bundle would be ops/dist.
 */
const keepDirname = {
  name: 'keep-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const own = JSON.stringify(relative(DIST_DIR, dirname(args.path)));
      return {
        contents: source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${own})`),
        loader: 'ts',
      };
    });
  },
};

/** Third-party packages (and infra's synth and plan, which need aws-cdk-lib) stay outside the bundle. */
const externals = {
  name: 'externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const bundled = BUNDLED.some((p) => args.path === p || args.path.startsWith(`${p}/`));
      return bundled ? undefined : { path: args.path, external: true };
    });
  },
};

/** Builds the bundle; each file is written whole under a temporary name, then renamed in place. */
async function build() {
  const esbuild = require('esbuild');
  const builtAt = Date.now();
  const result = await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(OPS_DIR, 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: OUTFILE,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [externals, keepDirname],
  });
  mkdirSync(DIST_DIR, { recursive: true });
  const inputs = [...Object.keys(result.metafile.inputs), relative(REPO_ROOT, join(__dirname, 'bundle.cjs'))];
  const temp = `.${process.pid}.tmp`;
  for (const file of result.outputFiles) {
    writeFileSync(file.path + temp, file.contents);
    renameSync(file.path + temp, file.path);
  }
  writeFileSync(INPUTS_FILE + temp, `${JSON.stringify({ builtAt, inputs }, null, 2)}\n`);
  renameSync(INPUTS_FILE + temp, INPUTS_FILE);
  return { outfile: OUTFILE, inputs };
}

/** Builds the bundle unless it is fresh. */
async function ensureBuilt() {
  if (!isFresh()) await build();
  return OUTFILE;
}

module.exports = { OUTFILE, INPUTS_FILE, isFresh, build, ensureBuilt };

if (require.main === module) {
  build().then(
    ({ inputs }) =>
      process.stdout.write(`ias-ops: built ${relative(REPO_ROOT, OUTFILE)} from ${inputs.length} files\n`),
    (err) => {
      process.stderr.write(`ias-ops: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
