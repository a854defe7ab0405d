/**
 * `npm run build` of a Lambda function (run in its folder): `src/index.ts` bundled by esbuild into
 * `dist/index.js`, as the pipeline deploys it: one minified CommonJS file for Node.js 20 from the
 * packages' ES modules (`module` before `main`, so esbuild drops unused AWS SDK code), the AWS SDK
 * v3 inside (the version tested is the version run), a source map without source contents (stack
 * traces in CloudWatch point at the TypeScript) and the bundled packages' licences beside it.
 *
 * One build for every function, with one esbuild plugin no command-line flag can express: zod's
 * classic API (`import { z } from 'zod'`, ours and Powertools' parser's) and its core re-export all of
 * zod's 64 locales as the namespace `locales`, which keeps every one in the bundle (259 KB of 1 MB,
 * each compiled at every cold start). Nothing here reads `z.locales`; zod sets its English messages
 * itself from `locales/en.js`. The plugin gives `locales` English alone.
 */
import { dirname, join, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

const zodLocalesEnglishOnly: Plugin = {
  name: 'zod-locales-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}v4${sep}`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

async function main(): Promise<void> {
  const cwd = process.cwd();
  if (!cwd.includes(`${sep}app${sep}functions${sep}`)) {
    throw new Error(`run in a function's folder (app/functions/<name>), not ${cwd}`);
  }
  await build({
    entryPoints: [join(cwd, 'src', 'index.ts')],
    outfile: join(cwd, 'dist', 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'external',
    external: ['pg-native'],
    plugins: [zodLocalesEnglishOnly],
    logLevel: 'warning',
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
