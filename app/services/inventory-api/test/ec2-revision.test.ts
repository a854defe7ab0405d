import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The CodeDeploy revision's on-instance part (ec2/): its appspec, its systemd unit, and its hook scripts,
// each run with bash against a temporary root (IAS_ROOT) and stand-ins for systemctl, aws, curl and the
// user and ownership commands, which record their calls and never touch the machine's users or services.

const SERVICE_DIR = join(__dirname, '..');
const REVISION_DIR = join(SERVICE_DIR, 'ec2');

/**
 * ec2HostPaths('inventory-api') in targets/src/kinds/ec2/target.ts, which the hooks, the user data and the
 * CloudWatch agent share: restated, as app/ imports no other layer.
 */
const HOST = {
  user: 'inventory-api',
  unit: 'inventory-api.service',
  installDir: '/opt/inventory-api',
  settingsFile: '/etc/inventory-api/settings.env',
  environmentFile: '/etc/inventory-api/app.env',
  logFile: '/var/log/inventory-api/app.log',
} as const;

/** Every hook of the appspec and its script. */
const HOOKS = {
  ApplicationStop: 'application-stop.sh',
  BeforeInstall: 'before-install.sh',
  AfterInstall: 'after-install.sh',
  ApplicationStart: 'application-start.sh',
  ValidateService: 'validate-service.sh',
} as const;
type Hook = keyof typeof HOOKS;

/** ValidateService's defaults: attempts, seconds between them, and curl's --max-time. */
const VALIDATE = { attempts: 30, interval: 2, maxTime: 2 } as const;

/**
 * The stand-ins, one Node.js program run as each command. Every call is appended to calls.jsonl. aws answers
 * `ssm get-parameter` from parameters.json, as the AWS CLI v2 fails for an unknown name otherwise; curl fails
 * as many times as curl-failures says, then succeeds; id knows the users in users.txt, which useradd extends;
 * systemctl status prints a failed unit and exits 3, as systemctl does for a unit that is not running.
 */
const FAKE_PROGRAM = `
const fs = require('node:fs');
const path = require('node:path');
const state = process.env.IAS_FAKE_STATE;
const [command, ...args] = process.argv.slice(2);
const file = (name) => path.join(state, name);
const read = (name, fallback) => (fs.existsSync(file(name)) ? fs.readFileSync(file(name), 'utf8') : fallback);
fs.appendFileSync(file('calls.jsonl'), JSON.stringify([command, ...args]) + '\\n');
const users = read('users.txt', '').split('\\n').filter(Boolean);
switch (command) {
  case 'aws': {
    const parameters = JSON.parse(read('parameters.json', '{}'));
    const name = args[args.indexOf('--name') + 1];
    if (Object.hasOwn(parameters, name)) {
      process.stdout.write(parameters[name] + '\\n');
      process.exit(0);
    }
    process.stderr.write('\\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: \\n');
    process.exit(254);
  }
  case 'curl': {
    const failed = Number(read('curl-count', '0'));
    if (failed < Number(read('curl-failures', '0'))) {
      fs.writeFileSync(file('curl-count'), String(failed + 1));
      process.stderr.write('curl: (7) Failed to connect to 127.0.0.1 port 8123: Connection refused\\n');
      process.exit(7);
    }
    process.exit(0);
  }
  case 'id':
    if (users.includes(args.at(-1))) {
      process.stdout.write('990\\n');
      process.exit(0);
    }
    process.stderr.write("id: '" + args.at(-1) + "': no such user\\n");
    process.exit(1);
  case 'useradd':
    fs.appendFileSync(file('users.txt'), args.at(-1) + '\\n');
    process.exit(0);
  case 'systemctl':
    if (args[0] === 'status') {
      process.stdout.write('× inventory-api.service - inventory-api\\n     Active: failed (Result: exit-code)\\n');
      process.exit(3);
    }
    process.exit(0);
  default:
    process.exit(0);
}
`;
const FAKE_COMMANDS = ['aws', 'curl', 'id', 'useradd', 'chown', 'chgrp', 'systemctl'];

interface HookResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary instance: its root, the stand-ins' state, and the hooks run against them. */
class FakeHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'ias-ec2-'));
  readonly root = join(this.dir, 'root');
  readonly state = join(this.dir, 'state');
  private readonly bin = join(this.dir, 'bin');
  private readonly tmp = join(this.dir, 'tmp');

  constructor() {
    for (const dir of [this.root, this.state, this.bin, this.tmp]) mkdirSync(dir, { recursive: true });
    const program = join(this.dir, 'fake.cjs');
    writeFileSync(program, FAKE_PROGRAM);
    for (const command of FAKE_COMMANDS) {
      writeFileSync(
        join(this.bin, command),
        `#!/bin/sh\nexec '${process.execPath}' '${program}' ${command} "$@"\n`,
        {
          mode: 0o755,
        },
      );
    }
  }

  /** A path on the instance, under the temporary root. */
  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  write(hostPath: string, content: string): void {
    mkdirSync(dirname(this.path(hostPath)), { recursive: true });
    writeFileSync(this.path(hostPath), content);
  }

  read(hostPath: string): string {
    return readFileSync(this.path(hostPath), 'utf8');
  }

  /** The SSM parameters `aws` knows (any other name is not found). */
  parameters(values: Record<string, string>): void {
    writeFileSync(join(this.state, 'parameters.json'), JSON.stringify(values));
  }

  /** The users `id` knows. */
  users(...names: string[]): void {
    writeFileSync(join(this.state, 'users.txt'), names.map((n) => `${n}\n`).join(''));
  }

  /** How many times curl fails before /ready answers. */
  curlFailures(count: number): void {
    writeFileSync(join(this.state, 'curl-failures'), String(count));
  }

  /** The arguments of every call of `command`, in order. */
  calls(command: string): string[][] {
    const file = join(this.state, 'calls.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[])
      .filter(([name]) => name === command)
      .map(([, ...args]) => args);
  }

  /** Files the hooks left in TMPDIR. */
  leftovers(): string[] {
    return readdirSync(this.tmp);
  }

  /**
   * Runs a hook as the CodeDeploy agent would, from another working directory, with only the variables it
   * needs: the stand-ins first on PATH.
   */
  run(hook: Hook, env: Record<string, string> = {}, revision = REVISION_DIR): HookResult {
    const result = spawnSync('bash', [join(revision, 'scripts', HOOKS[hook])], {
      cwd: this.state,
      encoding: 'utf8',
      env: {
        PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        TMPDIR: this.tmp,
        IAS_ROOT: this.root,
        IAS_FAKE_STATE: this.state,
        LIFECYCLE_EVENT: hook,
        ...env,
      },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The values of `names` after a shell reads `file` as systemd's EnvironmentFile reads double-quoted values. */
function readBack(file: string, names: string[]): Record<string, string> {
  const result = spawnSync(
    'bash',
    ['-c', 'set -a; . "$1"; shift; for n; do printf "%s\\0" "${!n}"; done', '_', file, ...names],
    {
      encoding: 'utf8',
      env: {},
    },
  );
  expect(result.status, result.stderr).toBe(0);
  const values = result.stdout.split('\0');
  return Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
}

/** The `[Service]` (or other section's) settings of a unit file, each key with all its values. */
function unitSection(text: string, section: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = header[1];
    } else if (current === section) {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  return settings;
}

interface AppSpecHook {
  location: string;
  timeout: number;
  runas: string;
}
interface AppSpec {
  version: number;
  os: string;
  files: { source: string; destination: string }[];
  file_exists_behavior: string;
  hooks: Record<string, AppSpecHook[]>;
}
const APPSPEC = parse(readFileSync(join(REVISION_DIR, 'appspec.yml'), 'utf8')) as AppSpec;

const isExecutable = (file: string) => (statSync(file).mode & 0o111) === 0o111;

/** A revision laid out as the pipeline packs it: the ec2/ folder's content and the build's dist/. */
function packRevision(into: string): string {
  const revision = join(into, 'revision');
  cpSync(REVISION_DIR, revision, { recursive: true });
  mkdirSync(join(revision, 'dist', 'certs'), { recursive: true });
  writeFileSync(join(revision, 'dist', 'main.js'), 'console.log("inventory-api");\n');
  writeFileSync(join(revision, 'dist', 'certs', 'rds-global-bundle.pem'), '');
  return revision;
}

let host: FakeHost;
beforeEach(() => {
  host = new FakeHost();
});
afterEach(() => host.remove());

describe('appspec.yml', () => {
  it('installs dist/ into the install directory, overwriting what is there', () => {
    expect(APPSPEC.version).toBe(0);
    expect(APPSPEC.os).toBe('linux');
    expect(APPSPEC.files).toEqual([{ source: 'dist', destination: `${HOST.installDir}/dist` }]);
    expect(APPSPEC.file_exists_behavior).toBe('OVERWRITE');
  });

  it('runs every hook as root from an executable script of the revision, within timeouts CodeDeploy allows', () => {
    expect(Object.keys(APPSPEC.hooks).sort()).toEqual(Object.keys(HOOKS).sort());
    for (const [hook, script] of Object.entries(HOOKS)) {
      const entries = APPSPEC.hooks[hook];
      expect(entries, hook).toHaveLength(1);
      const entry = entries?.[0];
      expect(entry, hook).toMatchObject({ location: `scripts/${script}`, runas: 'root' });
      expect(isExecutable(join(REVISION_DIR, `scripts/${script}`)), `${script} is executable`).toBe(true);
      // CodeDeploy's limit for one hook's scripts: an hour.
      expect(entry?.timeout, hook).toBeGreaterThan(0);
      expect(entry?.timeout, hook).toBeLessThanOrEqual(3600);
    }
  });

  it('gives ValidateService time for all its attempts at their longest', () => {
    const worst = VALIDATE.attempts * (VALIDATE.maxTime + VALIDATE.interval);
    expect(APPSPEC.hooks.ValidateService?.[0]?.timeout).toBeGreaterThanOrEqual(worst + 30);
  });

  it('resolves every location in a revision packed as the pipeline packs it, whatever the working directory', () => {
    const revision = packRevision(host.dir);
    expect(readdirSync(revision).sort()).toEqual(['appspec.yml', 'dist', 'scripts', 'systemd']);
    for (const { source } of APPSPEC.files) expect(statSync(join(revision, source)).isDirectory()).toBe(true);
    for (const [entry] of Object.values(APPSPEC.hooks)) {
      expect(isExecutable(join(revision, entry?.location ?? '')), entry?.location).toBe(true);
    }
    // The hooks find the revision's own files from where they are, not from the working directory.
    host.write(HOST.settingsFile, 'AWS_REGION=eu-west-1\n');
    const result = host.run('AfterInstall', {}, revision);
    expect(result.status, result.stderr).toBe(0);
    expect(host.read(`/etc/systemd/system/${HOST.unit}`)).toBe(
      readFileSync(join(revision, 'systemd', HOST.unit), 'utf8'),
    );
  });
});

describe('the systemd unit', () => {
  const text = readFileSync(join(REVISION_DIR, 'systemd', HOST.unit), 'utf8');
  const service = unitSection(text, 'Service');
  const one = (key: string) => service.get(key)?.at(-1);

  it('runs the bundle as the unprivileged user with the resolved environment and the RDS certificates', () => {
    expect(one('User')).toBe(HOST.user);
    expect(one('Group')).toBe(HOST.user);
    expect(one('EnvironmentFile')).toBe(HOST.environmentFile);
    expect(one('WorkingDirectory')).toBe(HOST.installDir);
    expect(one('ExecStart')).toBe(`/usr/bin/node --enable-source-maps ${HOST.installDir}/dist/main.js`);
    expect(service.get('Environment')).toContain(
      `NODE_EXTRA_CA_CERTS=${HOST.installDir}/dist/certs/rds-global-bundle.pem`,
    );
    expect(one('Restart')).toBe('on-failure');
    expect(unitSection(text, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('appends its output to the log file the CloudWatch agent ships', () => {
    expect(one('StandardOutput')).toBe(`append:${HOST.logFile}`);
    expect(one('StandardError')).toBe(`append:${HOST.logFile}`);
  });

  it('is sandboxed, writing only to its log directory, and lets V8 compile', () => {
    expect(Object.fromEntries([...service].map(([key, values]) => [key, values.at(-1)]))).toMatchObject({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      CapabilityBoundingSet: '',
      ReadWritePaths: dirname(HOST.logFile),
    });
    // V8's JIT needs memory both writable and executable.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

describe('the hook scripts', () => {
  const scripts = readdirSync(join(REVISION_DIR, 'scripts')).filter((f) => f.endsWith('.sh'));

  it('are bash, stop at the first error, and reach the host only through IAS_ROOT', () => {
    expect(scripts.sort()).toEqual(['common.sh', ...Object.values(HOOKS)].sort());
    for (const script of scripts) {
      const text = readFileSync(join(REVISION_DIR, 'scripts', script), 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), script).toBe(true);
      if (script !== 'common.sh') expect(text, script).toMatch(/^set -euo pipefail$/m);
      // A path of the host in code (comments and messages aside) is one the tests would not redirect.
      const code = text
        .split('\n')
        .filter((line) => !/^\s*#/.test(line) && !/ias_(die|log) /.test(line))
        .join('\n');
      const unrooted = [
        ...code.matchAll(/(\$\{IAS_ROOT:-\})?(\/(?:etc|opt|var|usr|run|srv|home)\/[\w./-]*)/g),
      ]
        .filter(([, rooted]) => !rooted)
        .map(([, , path]) => path);
      expect(unrooted, script).toEqual([]);
    }
  });
});

describe('ApplicationStop', () => {
  it('exits 0 with nothing to stop on an instance where the unit was never installed', () => {
    const result = host.run('ApplicationStop');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/nothing to stop/);
    expect(host.calls('systemctl')).toEqual([]);
  });

  it('stops the installed unit', () => {
    host.write(`/etc/systemd/system/${HOST.unit}`, '[Service]\n');
    const result = host.run('ApplicationStop');
    expect(result.status, result.stderr).toBe(0);
    expect(host.calls('systemctl')).toEqual([['stop', HOST.unit]]);
  });
});

describe('BeforeInstall', () => {
  it('creates the system user, with no home and no login shell, its log directory, and removes the old bundle', () => {
    host.write(`${HOST.installDir}/dist/main.js`, 'old');
    host.write(`${HOST.installDir}/dist/stale.js`, 'old');
    const result = host.run('BeforeInstall');
    expect(result.status, result.stderr).toBe(0);
    expect(host.calls('id')).toEqual([['-u', HOST.user]]);
    expect(host.calls('useradd')).toEqual([
      ['--system', '--user-group', '--no-create-home', '--shell', '/sbin/nologin', HOST.user],
    ]);
    expect(existsSync(host.path(`${HOST.installDir}/dist`))).toBe(false);
    expect(statSync(host.path(HOST.installDir)).isDirectory()).toBe(true);
    expect(statSync(host.path(dirname(HOST.environmentFile))).isDirectory()).toBe(true);
    expect(statSync(host.path(dirname(HOST.logFile))).mode & 0o777).toBe(0o755);
    expect(host.calls('chown')).toEqual([[`${HOST.user}:${HOST.user}`, host.path(dirname(HOST.logFile))]]);
  });

  it('leaves an existing user as it is', () => {
    host.users(HOST.user);
    const result = host.run('BeforeInstall');
    expect(result.status, result.stderr).toBe(0);
    expect(host.calls('useradd')).toEqual([]);
  });
});

describe('AfterInstall', () => {
  const SETTINGS = [
    '# written by the launch template',
    'AWS_REGION=eu-west-1',
    '',
    'PORT=8123',
    '  # an indented comment',
    'PGHOST=ssm:/ias/dev/db/endpoint',
    'PGPASSWORD=ssm:/ias/dev/db/password',
    'LOG_LEVEL=info',
  ].join('\n');
  const PARAMETERS = { '/ias/dev/db/endpoint': 'db.example.internal', '/ias/dev/db/password': 's3cr3t' };

  it('installs the unit, reloads systemd, and writes app.env from the values and the SSM parameters', () => {
    host.write(HOST.settingsFile, SETTINGS);
    host.parameters(PARAMETERS);
    const result = host.run('AfterInstall', { DEPLOYMENT_ID: 'd-TEST' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');

    expect(host.read(`/etc/systemd/system/${HOST.unit}`)).toBe(
      readFileSync(join(REVISION_DIR, 'systemd', HOST.unit), 'utf8'),
    );
    expect(host.calls('systemctl')).toEqual([['daemon-reload']]);
    expect(host.calls('aws')).toEqual(
      Object.keys(PARAMETERS).map((name) => [
        'ssm',
        'get-parameter',
        '--name',
        name,
        '--with-decryption',
        '--query',
        'Parameter.Value',
        '--output',
        'text',
        '--region',
        'eu-west-1',
      ]),
    );
    expect(host.read(HOST.environmentFile)).toBe(
      [
        `# Resolved from ${HOST.settingsFile} by CodeDeploy deployment d-TEST, anew at each deployment: do not edit.`,
        'AWS_REGION="eu-west-1"',
        'PORT="8123"',
        'PGHOST="db.example.internal"',
        'PGPASSWORD="s3cr3t"',
        'LOG_LEVEL="info"',
        '',
      ].join('\n'),
    );
  });

  it('makes app.env readable by root and the service group only, replacing it by a rename', () => {
    host.write(HOST.settingsFile, SETTINGS);
    host.parameters(PARAMETERS);
    expect(host.run('AfterInstall').status).toBe(0);
    expect(statSync(host.path(HOST.environmentFile)).mode & 0o777).toBe(0o640);
    const [chown] = host.calls('chown');
    expect(chown?.[0]).toBe(`root:${HOST.user}`);
    // The temporary file, in app.env's directory so that the rename is atomic, and gone after it.
    expect(dirname(chown?.[1] ?? '')).toBe(host.path(dirname(HOST.environmentFile)));
    expect(readdirSync(host.path(dirname(HOST.environmentFile))).sort()).toEqual(['app.env', 'settings.env']);
    expect(host.leftovers()).toEqual([]);
  });

  it('writes every value exactly, whatever characters it holds', () => {
    const values = {
      QUOTES: `it's "quoted"`,
      SHELLISH: 'a $HOME `id` $(id) \\n \\ end\\',
      SPACES: '  padded  # not a comment',
      EQUALS: 'a=b=c',
      EMPTY: '',
      MULTILINE: 'line 1\nline 2',
    };
    host.write(
      HOST.settingsFile,
      [
        'AWS_REGION=eu-west-1',
        ...Object.entries(values).map(([k, v]) => (k === 'MULTILINE' ? `${k}=ssm:/p` : `${k}=${v}`)),
      ].join('\n'),
    );
    host.parameters({ '/p': values.MULTILINE });
    const result = host.run('AfterInstall');
    expect(result.status, result.stderr).toBe(0);
    expect(readBack(host.path(HOST.environmentFile), Object.keys(values))).toEqual(values);
  });

  it('reads a changed parameter at the next deployment', () => {
    host.write(HOST.settingsFile, SETTINGS);
    host.parameters(PARAMETERS);
    expect(host.run('AfterInstall').status).toBe(0);
    host.parameters({ ...PARAMETERS, '/ias/dev/db/endpoint': 'db2.example.internal' });
    expect(host.run('AfterInstall').status).toBe(0);
    expect(host.read(HOST.environmentFile)).toContain('PGHOST="db2.example.internal"\n');
  });

  it('installs a daily logrotate configuration for the log, copying then truncating it', () => {
    host.write(HOST.settingsFile, 'AWS_REGION=eu-west-1\n');
    expect(host.run('AfterInstall').status).toBe(0);
    const config = host.read('/etc/logrotate.d/inventory-api');
    expect(config.startsWith(`${HOST.logFile} {\n`)).toBe(true);
    for (const directive of ['daily', 'rotate 7', 'compress', 'copytruncate']) {
      expect(config).toMatch(new RegExp(`^\\s+${directive}$`, 'm'));
    }
  });

  it('fails when SSM cannot read a parameter, naming it and its line, and leaves the previous app.env as it was', () => {
    host.write(HOST.settingsFile, SETTINGS);
    host.write(HOST.environmentFile, 'PORT="8000"\n');
    host.parameters({ '/ias/dev/db/endpoint': 'db.example.internal' });
    const result = host.run('AfterInstall');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /settings\.env line 7: cannot read SSM parameter \/ias\/dev\/db\/password for PGPASSWORD in eu-west-1 \(An error occurred \(ParameterNotFound\)/,
    );
    expect(result.stderr).toMatch(/instance role may ssm:GetParameter/);
    expect(host.read(HOST.environmentFile)).toBe('PORT="8000"\n');
    expect(readdirSync(host.path(dirname(HOST.environmentFile))).sort()).toEqual(['app.env', 'settings.env']);
    expect(host.leftovers()).toEqual([]);
  });

  it.each([
    ['no "="', 'PGHOST', /line 3 is not NAME=value or NAME=ssm:<parameter> \(no '='\)/],
    ['a name with a space', 'PG HOST=secret-value', /line 3: 'PG HOST' is not a variable name/],
    ['a name starting with a digit', '1PORT=3000', /line 3: '1PORT' is not a variable name/],
    ['an ssm: value with no parameter', 'PGPASSWORD=ssm:', /line 3: PGPASSWORD=ssm: names no parameter/],
  ])('fails on a line with %s, naming the line, before reading any parameter', (_, line, message) => {
    host.write(
      HOST.settingsFile,
      ['AWS_REGION=eu-west-1', 'PGHOST=ssm:/ias/dev/db/endpoint', line, ''].join('\n'),
    );
    host.write(HOST.environmentFile, 'PORT="8000"\n');
    host.parameters(PARAMETERS);
    const result = host.run('AfterInstall');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/fix the launch template's user data/);
    // Values may be secrets: never in a message.
    expect(result.stderr).not.toMatch(/secret-value/);
    expect(host.calls('aws')).toEqual([]);
    expect(host.read(HOST.environmentFile)).toBe('PORT="8000"\n');
  });

  it('fails when settings.env is missing, saying what writes it', () => {
    const result = host.run('AfterInstall');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /cannot read .*\/etc\/inventory-api\/settings\.env: the launch template's user data/,
    );
    expect(existsSync(host.path(HOST.environmentFile))).toBe(false);
  });

  it('fails without AWS_REGION when a setting is read from SSM', () => {
    host.write(HOST.settingsFile, 'PGHOST=ssm:/ias/dev/db/endpoint\n');
    const result = host.run('AfterInstall');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/has no AWS_REGION=<region> line/);
    expect(host.calls('aws')).toEqual([]);
  });
});

describe('ApplicationStart', () => {
  it('enables the unit, then restarts it', () => {
    const result = host.run('ApplicationStart');
    expect(result.status, result.stderr).toBe(0);
    expect(host.calls('systemctl')).toEqual([
      ['enable', HOST.unit],
      ['restart', HOST.unit],
    ]);
  });
});

describe('ValidateService', () => {
  const FAST = { IAS_VALIDATE_INTERVAL: '0' };

  it('succeeds once /ready answers 200 on the settings PORT, after failed attempts', () => {
    host.write(HOST.environmentFile, 'AWS_REGION="eu-west-1"\nPORT="8123"\n');
    host.curlFailures(3);
    const result = host.run('ValidateService', { ...FAST, IAS_VALIDATE_ATTEMPTS: '5' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/answered 200 \(attempt 4 of 5\)/);
    expect(host.calls('curl')).toEqual(
      Array.from({ length: 4 }, () => [
        '-fsS',
        '--max-time',
        '2',
        '-o',
        '/dev/null',
        'http://127.0.0.1:8123/ready',
      ]),
    );
  });

  it('polls the service default port, 3000, when the settings have no PORT', () => {
    host.write(HOST.environmentFile, 'AWS_REGION="eu-west-1"\n');
    expect(host.run('ValidateService', FAST).status).toBe(0);
    expect(host.calls('curl')[0]?.at(-1)).toBe('http://127.0.0.1:3000/ready');
  });

  it('fails with exit 1 after N attempts, showing the last log lines and the unit status', () => {
    host.write(HOST.environmentFile, 'PORT="8123"\n');
    host.write(HOST.logFile, Array.from({ length: 80 }, (_, i) => `log line ${i + 1}`).join('\n') + '\n');
    host.curlFailures(100);
    const result = host.run('ValidateService', { ...FAST, IAS_VALIDATE_ATTEMPTS: '3' });
    expect(result.status).toBe(1);
    expect(host.calls('curl')).toHaveLength(3);
    expect(host.calls('systemctl')).toEqual([['status', '--no-pager', '--lines=20', HOST.unit]]);
    expect(result.stderr).toContain('log line 80\n');
    expect(result.stderr).not.toContain('log line 30\n');
    expect(result.stderr).toContain('Active: failed');
    // The message last, where CodeDeploy's summary of the failed script shows it.
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'inventory-api ValidateService: http://127.0.0.1:8123/ready did not answer 200 after 3 attempts, 0 s apart ' +
        "(last: curl: (7) Failed to connect to 127.0.0.1 port 8123: Connection refused): the service's log and status are above",
    );
  });

  it.each([['0'], ['many'], ['-1']])('fails on IAS_VALIDATE_ATTEMPTS=%s before polling', (attempts) => {
    host.write(HOST.environmentFile, 'PORT="8123"\n');
    const result = host.run('ValidateService', { IAS_VALIDATE_ATTEMPTS: attempts });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/IAS_VALIDATE_ATTEMPTS must be a whole number from 1/);
    expect(host.calls('curl')).toEqual([]);
  });

  it('fails when app.env is missing, pointing at AfterInstall', () => {
    const result = host.run('ValidateService', FAST);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cannot read .*app\.env, which AfterInstall writes/);
  });
});
