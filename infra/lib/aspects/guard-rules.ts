import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * What a Control Tower guard rule file reads of a template, found by reading the rule itself.
 *
 * Written by hand because no library does it: Guard has no API that says which resources a rule
 * can see, and AWS's own `@aws/cloudformation-validate` (which could evaluate Guard offline) rejects
 * all 237 rule files of the plugin (it does not take parameterized rules).
 */
export interface GuardRuleFile {
  /** The rule file. */
  readonly file: string;
  /** The rule's ID as the plugin takes it (`ct-s3-pr-1`). */
  readonly id: string;
  /**
   * The resource types the rule can look at, when it reaches resources only through lookups by type
   * (`Resources.*[ Type == 'AWS::S3::Bucket' ]`) or by logical ID (`Resources[ keys == %id ]`); then
   * a template cut down to those resources and to what they reference gives the same findings.
   * Undefined: the rule reads resources some other way and needs the whole template.
   */
  readonly types?: readonly string[];
  /**
   * Whether the rule follows references from one resource to another (`Resources[ keys == %id ]`):
   * then the resources its types mention are kept too.
   */
  readonly followsReferences: boolean;
}

/** The plugin's AWS Control Tower rules: one folder per service, one `.guard` file per rule. */
export function controlTowerRulesDir(): string {
  return join(
    dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')),
    '..',
    'rules',
    'control-tower',
    'cfn-guard',
  );
}

/** Every Control Tower rule file but the disabled ones, each with what it reads. */
export function controlTowerRules(disabledRules: readonly string[]): GuardRuleFile[] {
  const dir = controlTowerRulesDir();
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .sort()
    .map((f) => join(dir, f))
    .filter((file) => !disabledRules.includes(basename(file, '.guard')))
    .map((file) => analyseGuardRule(file, readFileSync(file, 'utf8')));
}

/** Where a rule reaches resources by a lookup on their type or logical ID, or checks they exist. */
// eslint-disable-next-line security/detect-unsafe-regex -- the group is optional, not repeated, and needs a literal . and *
const SCOPED_LOOKUP = /\bResources(\s*\.\s*\*)?\s*\[\s*(Type|keys)\s*==|\bResources\s+exists\b/g;

/**
 * Reads a guard rule's source (comments and `<< >>` messages left out) for the resource types it
 * names and whether every mention of `Resources` is a lookup by type or logical ID. One that is not
 * (`Resources.*`, `Resources[*]`, a condition over all resources) keeps the whole template.
 */
export function analyseGuardRule(file: string, source: string): GuardRuleFile {
  const code = source
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/<<[\s\S]*?>>/g, '');
  const id = basename(file, '.guard');
  const types = [
    ...new Set([...code.matchAll(/["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g)].map((m) => m[1] ?? '')),
  ].sort();
  const mentions = [...code.matchAll(/\bResources\b/g)].length;
  const scoped = [...code.matchAll(SCOPED_LOOKUP)].length;
  const followsReferences = /\bkeys\s*==/.test(code);
  return types.length > 0 && mentions === scoped
    ? { file, id, types, followsReferences }
    : { file, id, followsReferences };
}

/** A CloudFormation template as guard reads it. */
export interface Template {
  readonly Resources?: Record<string, unknown>;
  readonly [section: string]: unknown;
}

/**
 * Each resource's logical ID with the IDs of the template's other resources its definition
 * mentions (by `Ref`, `Fn::GetAtt`, `DependsOn`, `Fn::Sub`, or anywhere as text).
 */
export function resourceReferences(template: Template): Map<string, string[]> {
  const resources = template.Resources ?? {};
  const ids = Object.keys(resources);
  return new Map(
    ids.map((id) => {
      const text = JSON.stringify(resources[id]);
      return [id, ids.filter((other) => other !== id && text.includes(other))];
    }),
  );
}

/**
 * `template` with only the resources of `types`, and with `references` every resource they
 * mention, directly or through another kept resource; every other section whole. The references
 * are over-approximated (an ID mentioned anywhere as text is kept), never under.
 */
export function pruneTemplate(
  template: Template,
  types: readonly string[],
  references?: Map<string, string[]>,
): Template {
  const resources = template.Resources ?? {};
  const wanted = new Set(types);
  const keep = new Set(Object.keys(resources).filter((id) => wanted.has(typeOf(resources[id]))));
  const queue = [...keep];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const other of references?.get(id) ?? []) {
      if (!keep.has(other)) {
        keep.add(other);
        queue.push(other);
      }
    }
  }
  if (template.Resources === undefined) {
    return template;
  }
  return {
    ...template,
    Resources: Object.fromEntries(Object.entries(resources).filter(([id]) => keep.has(id))),
  };
}

function typeOf(resource: unknown): string {
  const type = (resource as { Type?: unknown } | null)?.Type;
  return typeof type === 'string' ? type : '';
}

/** One guard process: some rules over some templates, cut down to the resources those rules read. */
export interface GuardJob {
  /** The rule files. */
  readonly rules: readonly string[];
  /** The types the templates are cut down to, or undefined for whole templates. */
  readonly types?: readonly string[];
  /** Whether the cut-down templates keep what the kept resources mention. */
  readonly followsReferences: boolean;
  /** Indexes into the templates of the plan. */
  readonly templates: readonly number[];
  /** Estimated cost, in bytes of resources times rules (see {@link GUARD_PROCESS_COST}). */
  readonly cost: number;
}

/**
 * What one more guard process costs, in the unit of {@link GuardJob.cost}. Measured with the
 * plugin's guard 3.1.1 on 2 cores: a rule costs about 0.57 ms per kilobyte of resources it is run
 * over (1 unit is 0.57 µs), a process about 40 ms (70,000) before it reads a rule, and each rule
 * file 5 to 100 ms to load. Over this repository's 33 templates, runs of 81, 55, 35, 30, 20 and 12
 * processes took 15.8, 13.0, 12.0, 14.2, 11.6 and 14.7 s (±15% between runs): 150,000 (35 processes)
 * sits in the flat middle, where joining groups stops paying.
 */
export const GUARD_PROCESS_COST = 150_000;

/** What a template's sections other than `Resources` cost a rule, in the same unit. */
const TEMPLATE_BASE_COST = 200;

/**
 * Splits the work of running `rules` over `templates` into guard processes for `workers` cores.
 *
 * Rules that read the same resource types share a process over templates cut down to those types
 * (guard's cost grows with every resource of every template, times every rule, and most rules read
 * one or two types). Groups whose cut-down templates are small join others while a process more
 * would cost more than the larger templates; jobs larger than a worker's fair share are split by
 * template. Every template is checked by every rule.
 */
export function planGuardJobs(
  rules: readonly GuardRuleFile[],
  templates: readonly Template[],
  workers: number,
  references: readonly Map<string, string[]>[] = templates.map((t) => resourceReferences(t)),
): GuardJob[] {
  const sizes = templates.map((t) =>
    Object.fromEntries(Object.entries(t.Resources ?? {}).map(([id, r]) => [id, JSON.stringify(r).length])),
  );
  /** Bytes of each template the rules of `types` read. */
  const bytesFor = (types: readonly string[] | undefined, follows: boolean): number[] =>
    templates.map((t, i) => {
      const kept = types === undefined ? t : pruneTemplate(t, types, follows ? references[i] : undefined);
      const own = sizes[i] ?? {};
      return (
        TEMPLATE_BASE_COST + Object.keys(kept.Resources ?? {}).reduce((sum, id) => sum + (own[id] ?? 0), 0)
      );
    });

  const byTypes = new Map<string, GuardRuleFile[]>();
  for (const rule of rules) {
    const key =
      rule.types === undefined ? '*' : `${rule.followsReferences ? '+' : ''}${rule.types.join(',')}`;
    byTypes.set(key, [...(byTypes.get(key) ?? []), rule]);
  }
  interface Group {
    rules: string[];
    types?: string[];
    follows: boolean;
    bytes: number[];
    total: number;
  }
  const sum = (bytes: readonly number[]) => bytes.reduce((a, b) => a + b, 0);
  const groups: Group[] = [...byTypes.values()].map((members) => {
    const types = members[0]?.types === undefined ? undefined : [...(members[0]?.types ?? [])];
    const follows = members.some((r) => r.followsReferences);
    const bytes = bytesFor(types, follows);
    return { rules: members.map((r) => r.file), types, follows, bytes, total: sum(bytes) };
  });

  // Joins the pair of typed groups whose joining saves the most, while one saves anything: the
  // joined group reads both groups' resources (at most the sum of their bytes) with both's rules.
  const typed = groups.filter((g) => g.types !== undefined);
  for (;;) {
    let best: { a: number; b: number; saving: number } | undefined;
    for (let a = 0; a < typed.length; a += 1) {
      for (let b = a + 1; b < typed.length; b += 1) {
        const ga = typed[a] as Group;
        const gb = typed[b] as Group;
        const extra = ga.rules.length * gb.total + gb.rules.length * ga.total;
        const saving = GUARD_PROCESS_COST - extra;
        if (saving > 0 && (best === undefined || saving > best.saving)) {
          best = { a, b, saving };
        }
      }
    }
    if (best === undefined) {
      break;
    }
    const ga = typed[best.a] as Group;
    const gb = typed[best.b] as Group;
    const types = [...new Set([...(ga.types ?? []), ...(gb.types ?? [])])].sort();
    typed.splice(best.b, 1);
    const follows = ga.follows || gb.follows;
    const bytes = bytesFor(types, follows);
    typed[best.a] = { rules: [...ga.rules, ...gb.rules], types, follows, bytes, total: sum(bytes) };
  }

  const whole = groups.filter((g) => g.types === undefined);
  const cost = (g: Group, templateIndexes: readonly number[]) =>
    GUARD_PROCESS_COST + g.rules.length * templateIndexes.reduce((s, i) => s + (g.bytes[i] ?? 0), 0);
  const all = templates.map((_, i) => i);
  const total = [...typed, ...whole].reduce((s, g) => s + cost(g, all), 0);
  const share = total / Math.max(1, workers);

  // Splits a group too large for one worker's share by template, largest templates first.
  return [...typed, ...whole].flatMap((g) => {
    const parts = Math.min(templates.length, Math.max(1, Math.ceil(cost(g, all) / share)));
    const bins = Array.from({ length: parts }, () => ({ bytes: 0, templates: [] as number[] }));
    for (const i of [...all].sort((x, y) => (g.bytes[y] ?? 0) - (g.bytes[x] ?? 0))) {
      const lightest = bins.reduce((min, b) => (b.bytes < min.bytes ? b : min));
      lightest.templates.push(i);
      lightest.bytes += g.bytes[i] ?? 0;
    }
    return bins
      .filter((b) => b.templates.length > 0)
      .map((b) => ({
        rules: g.rules,
        ...(g.types === undefined ? {} : { types: g.types }),
        followsReferences: g.follows,
        templates: b.templates.sort((x, y) => x - y),
        cost: cost(g, b.templates),
      }));
  });
}
