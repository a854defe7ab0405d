/**
 * A small Dockerfile reader for tests: enough of the Dockerfile reference to check conventions,
 * not a builder. It follows the reference on parser directives (`# escape=`), line continuations,
 * comment lines (also inside a continuation), global `ARG`s before the first `FROM` and their
 * substitution into `FROM`, exec (JSON) versus shell form, and `ENV`/`ARG` key-value syntax.
 * Heredocs (`RUN <<EOF`) are not supported.
 */

/** One instruction, continuation lines joined. */
export interface Instruction {
  /** The keyword, upper-cased: `FROM`, `COPY`, … */
  readonly keyword: string;
  /** Everything after the keyword, flags included, trimmed. */
  readonly args: string;
  /** The 1-based line the instruction starts on, for messages. */
  readonly line: number;
}

/** One build stage: a `FROM` and the instructions up to the next one. */
export interface Stage {
  /** The `AS` name, lower-cased as BuildKit does; `undefined` for an unnamed stage. */
  readonly name: string | undefined;
  /** The image or earlier stage it starts from, global `ARG` defaults substituted. */
  readonly base: string;
  /** The `FROM` instruction itself. */
  readonly from: Instruction;
  /** The instructions after `FROM`, in order. */
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** Global `ARG`s (declared before the first `FROM`) and their defaults; `undefined` when none. */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  /** The global `ARG` instructions themselves. */
  readonly globalArgInstructions: readonly Instruction[];
  /** The stages in file order; the last one is the default build target. */
  readonly stages: readonly Stage[];
}

/** An instruction's leading `--name=value` flags, and the rest of its arguments. */
export interface Flagged {
  /** The flags by name (without `--`); a bare `--name` maps to `''`. */
  readonly flags: ReadonlyMap<string, string>;
  /** The arguments after the flags, trimmed. */
  readonly rest: string;
}

/** Parses a Dockerfile's text; throws, quoting the instruction, on what a builder would reject. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions = readInstructions(text);
  const globalArgs = new Map<string, string | undefined>();
  const globalArgInstructions: Instruction[] = [];
  const stages: { name: string | undefined; base: string; from: Instruction; instructions: Instruction[] }[] =
    [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const { rest } = splitFlags(instruction.args);
      const parts = words(rest);
      const hasAlias = parts.length === 3 && parts[1].toUpperCase() === 'AS';
      if (parts.length !== 1 && !hasAlias) {
        throw new Error(
          `line ${instruction.line}: FROM takes "<image> [AS <name>]", got "${instruction.args}"`,
        );
      }
      stages.push({
        name: hasAlias ? parts[2].toLowerCase() : undefined,
        base: substitute(parts[0], globalArgs),
        from: instruction,
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      globalArgInstructions.push(instruction);
      for (const [name, value] of keyValues(instruction.args, true)) globalArgs.set(name, value);
    } else {
      throw new Error(
        `line ${instruction.line}: only ARG may come before the first FROM, got "${instruction.keyword}"`,
      );
    }
  }
  return { globalArgs, globalArgInstructions, stages };
}

/** Splits the text into instructions: directives, comments and blank lines dropped, continuations joined. */
export function readInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const escape = escapeDirective(lines);
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  let current: { text: string; line: number } | undefined;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    // Comment lines are removed before continuations are joined, so they may sit inside one.
    // Blank lines, even inside a continuation, are skipped as the builder does.
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continues = continuation.test(line);
    const body = continues ? line.replace(continuation, '') : line;
    current =
      current === undefined ? { text: body, line: index + 1 } : { ...current, text: current.text + body };
    if (!continues) {
      instructions.push(toInstruction(current.text, current.line));
      current = undefined;
    }
  });
  if (current !== undefined && current.text.trim() !== '') {
    instructions.push(toInstruction(current.text, current.line));
  }
  return instructions;
}

/** Splits leading `--name=value` flags (as on `FROM`, `COPY`, `HEALTHCHECK`) from the arguments. */
export function splitFlags(args: string): Flagged {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let match = /^--([\w-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest); match;) {
    flags.set(match[1], match[2] ?? '');
    rest = rest.slice(match[0].length);
    match = /^--([\w-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest);
  }
  return { flags, rest: rest.trim() };
}

/** The exec (JSON array of strings) form of the arguments, or `undefined` when they are in shell form. */
export function execForm(args: string): string[] | undefined {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    // As in the builder: anything that is not a JSON array of strings falls back to shell form.
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The arguments of a `COPY`/`ADD` after its flags: sources and destination, exec or shell form. */
export function copyPaths(args: string): { readonly sources: string[]; readonly destination: string } {
  const { rest } = splitFlags(args);
  const parts = execForm(rest) ?? words(rest);
  if (parts.length < 2) throw new Error(`COPY/ADD needs a source and a destination, got "${args}"`);
  return { sources: parts.slice(0, -1), destination: parts[parts.length - 1] };
}

/**
 * The `name=value` pairs of an `ENV`, `ARG` or `LABEL`, quotes removed, in order. `ENV name value`
 * (the legacy form) is one pair; with `bare` (for `ARG`) a name without `=` has no value.
 */
export function keyValues(args: string, bare = false): [string, string | undefined][] {
  const parts = words(args);
  if (!bare && parts.length > 0 && !parts[0].includes('=')) {
    const legacy = /^(\S+)\s+([\s\S]+)$/.exec(args.trim());
    if (!legacy) throw new Error(`expected "name value" or name=value, got "${args}"`);
    return [[legacy[1], legacy[2].trim()]];
  }
  return parts.map((part) => {
    const at = part.indexOf('=');
    if (at < 0 && !bare) throw new Error(`expected name=value, got "${part}" in "${args}"`);
    return at < 0 ? [part, undefined] : [part.slice(0, at), part.slice(at + 1)];
  });
}

/** Splits shell-form arguments into words: unquoted whitespace separates, quotes and escapes removed. */
export function words(args: string): string[] {
  const result: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const c = args[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '\\' && i + 1 < args.length) {
      i += 1;
      word = (word ?? '') + args[i];
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) result.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} in "${args}"`);
  if (word !== undefined) result.push(word);
  return result;
}

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` from `vars`
 * (unset or valueless names become empty), as the builder does in `FROM`.
 */
export function substitute(value: string, vars: ReadonlyMap<string, string | undefined>): string {
  return value.replace(
    /\\\$|\$\{(\w+)(?::([-+])([^}]*))?\}|\$(\w+)/g,
    (match, braced?: string, operator?: string, word?: string, plain?: string) => {
      if (match === '\\$') return '$';
      const current = vars.get(braced ?? plain ?? '') ?? '';
      if (operator === '-') return current === '' ? (word ?? '') : current;
      if (operator === '+') return current === '' ? '' : (word ?? '');
      return current;
    },
  );
}

function escapeDirective(lines: readonly string[]): '\\' | '`' {
  // Directives are `# key=value` lines at the very top, before any comment, blank line or instruction.
  for (const line of lines) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1].toLowerCase() === 'escape') {
      if (directive[2] !== '\\' && directive[2] !== '`') {
        throw new Error(`the escape directive takes \\ or \`, got "${directive[2]}"`);
      }
      return directive[2];
    }
  }
  return '\\';
}

function toInstruction(text: string, line: number): Instruction {
  const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`line ${line}: empty instruction`);
  return { keyword: match[1].toUpperCase(), args: match[2].trim(), line };
}
