/**
 * Checks for shell snippets, which the README test never runs: `pnpm demo`
 * runs until Ctrl-C, `./scripts/dev test` is the whole suite, and install lines
 * would change the workspace. What can rot in them is checked instead:
 *
 * - the snippet parses (`bash -n`);
 * - install lines (`pnpm add`, `npm i`): each package exists — a public
 *   workspace package for `@tokenmeter/*` and `tokenmeter`, else one installed
 *   in the workspace — and together the README's install lines name every
 *   package its TS/JS snippets import (what a reader copies must be enough);
 * - commands of this repository resolve: `./scripts/dev <command>` is one the
 *   script accepts, `pnpm <script>` a root script (or a pnpm built-in),
 *   `pnpm exec <bin>` an installed binary, `node [--import <module>] <file>` an
 *   existing repository file and a module the workspace exports, and
 *   `tokenmeter <command> --flags` a command and flags its `--help` lists.
 *
 * Other programs (curl, docker, promtool) and placeholders for the reader's
 * own files (`app.js`) are only syntax-checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';

interface WorkspacePackage {
  name: string;
  dir: string;
  private: boolean;
  exports: Record<string, unknown>;
}

export function workspacePackages(root: string): Map<string, WorkspacePackage> {
  const out = new Map<string, WorkspacePackage>();
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name: string;
        private?: boolean;
        exports?: Record<string, unknown>;
      };
      out.set(pkg.name, {
        name: pkg.name,
        dir: join(root, group, name),
        private: pkg.private === true,
        exports: pkg.exports ?? {},
      });
    }
  }
  return out;
}

/** Joins `\` continuations, drops comments and splits into simple commands (arrays of words). */
export function commandsOf(code: string): string[][] {
  const joined = code.replace(/\\\n/g, ' ');
  const commands: string[][] = [];
  for (const rawLine of joined.split('\n')) {
    const line = rawLine.replace(/(^|\s)#.*$/, '');
    for (const part of line.split(/&&|\|\||;|\|/)) {
      const words = [...part.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
      while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) words.shift();
      if (words.length > 0) commands.push(words);
    }
  }
  return commands;
}

/** Package names an install command names (`pnpm add a @b/c@1`, `npm i -g x`), or undefined for other commands. */
export function installedBy(words: readonly string[]): string[] | undefined {
  const [tool, verb, ...rest] = words;
  const install =
    (tool === 'pnpm' && verb === 'add') ||
    (tool === 'npm' && (verb === 'i' || verb === 'install')) ||
    (tool === 'yarn' && verb === 'add');
  if (!install) return undefined;
  return rest.filter((w) => !w.startsWith('-')).map((w) => w.replace(/(?!^)@[^/]*$/, ''));
}

/** Bare package names a module imports (`node:` and built-ins left out). */
export function importsOf(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(
    /^\s*import\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm,
  )) {
    const spec = m[1] ?? m[2] ?? '';
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
    if (builtinModules.includes(name)) continue;
    names.add(name);
  }
  return [...names];
}

function installedInWorkspace(root: string, fromDir: string, name: string): boolean {
  for (let dir = fromDir; dir.startsWith(root); dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dir === root) break;
  }
  return false;
}

/** Problems with the install lines of one README, given everything its TS/JS snippets import. */
export function checkInstallLines(
  root: string,
  readme: string,
  installs: readonly string[],
  imported: readonly string[],
): string[] {
  const problems: string[] = [];
  const workspace = workspacePackages(root);
  const readmeDir = join(root, dirname(readme));
  for (const name of installs) {
    if (name.startsWith('@tokenmeter/') || name === 'tokenmeter') {
      const pkg = workspace.get(name);
      if (!pkg) problems.push(`install line names ${name}, which is no workspace package`);
      else if (pkg.private) problems.push(`install line names ${name}, which is private (never published)`);
    } else if (
      !installedInWorkspace(root, readmeDir, name) &&
      !installedInWorkspace(root, join(root, 'test'), name)
    ) {
      problems.push(`install line names ${name}, which is installed nowhere in the workspace`);
    }
  }
  for (const name of imported) {
    if (!installs.includes(name)) problems.push(`a snippet imports ${name}, which no install line installs`);
  }
  return problems;
}

function scriptCommands(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const body =
    /case "\$cmd" in([\s\S]*?)esac/.exec(text.slice(text.lastIndexOf('case "$cmd" in')))?.[1] ?? '';
  return [...body.matchAll(/^\s*([a-z][a-z |-]*)\)/gm)].flatMap((m) =>
    (m[1] ?? '').split('|').map((s) => s.trim()),
  );
}

const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'exec', 'run', 'dlx']);

/** The subpath `@scope/name/sub` asks of a workspace package, if the package exports it. */
function workspaceModuleExists(root: string, spec: string): boolean | undefined {
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  const pkg = workspacePackages(root).get(name);
  if (!pkg) return undefined;
  const sub = `.${spec.slice(name.length)}` || '.';
  return sub === '.' ? '.' in pkg.exports || Object.keys(pkg.exports).length === 0 : sub in pkg.exports;
}

export class CliHelp {
  private readonly cache = new Map<string, string>();
  constructor(private readonly root: string) {}
  /** `tokenmeter [command] --help`, from the built CLI. */
  help(command?: string): string {
    const key = command ?? '';
    let text = this.cache.get(key);
    if (text === undefined) {
      const main = join(this.root, 'packages/cli/dist/main.js');
      const r = spawnSync(process.execPath, [main, ...(command ? [command] : []), '--help'], {
        encoding: 'utf8',
      });
      text = `${r.stdout}${r.stderr}`;
      this.cache.set(key, text);
    }
    return text;
  }
}

/** Problems with the commands of this repository in one shell snippet. */
export function checkRepoCommands(root: string, code: string, cli: CliHelp): string[] {
  const problems: string[] = [];
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const words of commandsOf(code)) {
    const [program = '', first, ...rest] = words;
    if (program.startsWith('./')) {
      const file = join(root, program);
      if (!existsSync(file) || (statSync(file).mode & 0o111) === 0) {
        problems.push(`${program} is not an executable file of the repository`);
      } else if (first && !scriptCommands(file).includes(first)) {
        problems.push(`${program} has no command "${first}" (it has ${scriptCommands(file).join(', ')})`);
      }
    } else if (program === 'pnpm' && first && !installedBy(words)) {
      if (first === 'exec') {
        const bin = rest[0] ?? '';
        if (!existsSync(join(root, 'node_modules/.bin', bin)))
          problems.push(`pnpm exec ${bin}: no such binary`);
      } else if (!PNPM_BUILTINS.has(first) && !(first in rootPackage.scripts)) {
        problems.push(`pnpm ${first}: no such script in the root package.json`);
      }
    } else if (program === 'node') {
      for (let i = 0; i < words.length - 1; i++) {
        if (words[i] === '--import' && workspaceModuleExists(root, words[i + 1] ?? '') === false) {
          problems.push(`node --import ${words[i + 1]}: the workspace package does not export that path`);
        }
      }
      const file = words.slice(1).find((w, i) => !w.startsWith('-') && words[i] !== '--import');
      if (
        file &&
        /^(packages|examples|scripts|benchmarks|test)\//.test(file) &&
        !existsSync(join(root, file))
      ) {
        problems.push(`node ${file}: no such file (run \`pnpm build\` for dist files)`);
      }
    } else if (program === 'tokenmeter' && first && !first.startsWith('-')) {
      if (!new RegExp(`^\\s+${first}\\s`, 'm').test(cli.help())) {
        problems.push(`tokenmeter has no command "${first}"`);
        continue;
      }
      const help = cli.help(first);
      for (const flag of rest.filter((w) => w.startsWith('--'))) {
        const name = flag.split('=')[0] ?? flag;
        if (!help.includes(name)) problems.push(`tokenmeter ${first} has no option ${name}`);
      }
    }
  }
  return problems;
}

/** `bash -n`: the snippet parses. */
export function shellSyntaxError(code: string): string | undefined {
  try {
    execFileSync('bash', ['-n'], { input: code, stdio: ['pipe', 'ignore', 'pipe'] });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}
