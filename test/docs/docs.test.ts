/**
 * The documentation (README.md and docs/*.md) against the repository it describes: links and images
 * resolve (anchors included, with GitHub's heading slugs), every `npm run <script>` exists, every
 * `npm run local -- …` / `npx medallion local …` names a subcommand and options of the real CLI, every
 * repository path in backticks exists, the cdk-nag suppressions of lib/ are all listed in
 * docs/operations.md, and the repository layout table names every top-level folder and lib/ subfolder.
 * Each failure names file:line and the bad item.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { localCommand } from '../../local/cli';

const ROOT = join(__dirname, '..', '..');

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function docFiles(root: string = ROOT): string[] {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [];
  return ['README.md', ...docs.sort()];
}

/** A piece of a Markdown file with the line it starts on. */
interface Piece {
  readonly line: number;
  readonly text: string;
}

export interface ParsedDoc {
  /** The file's lines outside fenced code blocks, with the fences' lines blanked (so offsets keep their line). */
  readonly prose: string;
  /** Inline code spans outside fenced blocks. */
  readonly codeSpans: Piece[];
  /** Lines inside fenced code blocks. */
  readonly fencedLines: Piece[];
  /** Headings outside fenced code blocks. */
  readonly headings: Piece[];
}

const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

export function parseMarkdown(text: string): ParsedDoc {
  const lines = text.split('\n');
  const fencedLines: Piece[] = [];
  const headings: Piece[] = [];
  let fence: string | undefined;
  const proseLines = lines.map((line, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      else fencedLines.push({ line: i + 1, text: line });
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) headings.push({ line: i + 1, text: heading[1] });
    return line;
  });
  // HTML comments are not rendered: blank them, keeping their line breaks.
  const prose = proseLines.join('\n').replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const codeSpans: Piece[] = [];
  for (const m of prose.matchAll(/(`+)([\s\S]*?[^`])\1(?!`)/g)) codeSpans.push({ line: lineAt(prose, m.index), text: m[2].replace(/\s*\n\s*/g, ' ').trim() });
  return { prose, codeSpans, fencedLines, headings };
}

/** GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/\*+/g, '');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a Markdown file; repeated headings get -1, -2, … as on GitHub. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const h of parseMarkdown(text).headings) {
    const slug = githubSlug(h.text);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Broken relative links and images: a missing target, or an anchor that is not a heading of the target. */
export function linkProblems(file: string, text: string, root: string = ROOT): string[] {
  const { prose } = parseMarkdown(text);
  // Code spans are not links: blank them first.
  const masked = prose.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (c) => c.replace(/[^\n]/g, ' '));
  const problems: string[] = [];
  for (const m of masked.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const where = `${file}:${lineAt(masked, m.index)}`;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const targetFile = pathPart === '' ? join(root, file) : resolve(dirname(join(root, file)), decodeURI(pathPart));
    if (!existsSync(targetFile)) {
      problems.push(`${where}: link target does not exist: ${target}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!targetFile.endsWith('.md') || statSync(targetFile).isDirectory()) {
      problems.push(`${where}: anchor on a file that has no headings: ${target}`);
      continue;
    }
    if (!anchorsOf(readFileSync(targetFile, 'utf8')).has(anchor.toLowerCase())) {
      problems.push(`${where}: no heading for anchor #${anchor} in ${relative(root, targetFile)}: ${target}`);
    }
  }
  return problems;
}

/** Every text in which a command may be written: inline code spans and fenced code lines. */
function commandTexts(doc: ParsedDoc): Piece[] {
  return [...doc.codeSpans, ...doc.fencedLines.map((l) => ({ line: l.line, text: l.text.replace(/\s#\s.*$/, '') }))];
}

/** `npm run <script>` naming a script package.json does not have. */
export function npmScriptProblems(file: string, text: string, scripts: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const piece of commandTexts(parseMarkdown(text))) {
    for (const m of piece.text.matchAll(/\bnpm run(?:-script)?\s+([A-Za-z0-9][\w:.-]*)/g)) {
      if (!(m[1] in scripts)) problems.push(`${file}:${piece.line}: npm run ${m[1]}: no script '${m[1]}' in package.json`);
    }
  }
  return problems;
}

const isPlaceholder = (token: string): boolean => /^(<.*>|…|\.\.\.|\[.*\]|N|YYYY-MM-DD)$/.test(token) || token.startsWith('<') || token.startsWith('…');
const takesValue = (option: Option): boolean => option.required || option.optional;
const findOption = (command: Command, flag: string): Option | undefined =>
  (command.options as readonly Option[]).find((o) => o.long === flag || o.short === flag);

/**
 * One invocation of the local CLI as written in the docs (the words after `local`), checked against the
 * real command: the subcommand must exist, and every option must be one of that subcommand's or of `local`'s.
 */
export function cliInvocationProblems(words: string, program: Command): string[] {
  const tokens: string[] = [];
  for (const raw of words.split(/\s+/)) {
    if (raw === '') continue;
    if (/^(#|\||&&?|;|>|2>&1|\))/.test(raw)) break; // a comment, a pipe, the next command
    const token = raw.replace(/^[[(]+/, '').replace(/[\]),;&]+$/, '');
    if (token !== '') tokens.push(token);
  }
  const problems: string[] = [];
  let command: Command | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--' || isPlaceholder(token)) continue;
    if (token.startsWith('-')) {
      const flag = token.split('=')[0];
      if (flag === '--help' || flag === '-h') continue;
      const option = (command && findOption(command, flag)) ?? findOption(program, flag);
      if (!option) {
        problems.push(`unknown option ${flag}${command ? ` for 'local ${command.name()}'` : " for 'local'"}`);
        continue;
      }
      if (takesValue(option) && !token.includes('=')) i++;
      continue;
    }
    if (command) continue; // a positional argument
    command = program.commands.find((c) => c.name() === token || c.aliases().includes(token));
    if (!command) {
      problems.push(`unknown subcommand '${token}' (the CLI has: ${program.commands.map((c) => c.name()).join(', ')})`);
      return problems;
    }
  }
  return problems;
}

/** `npm run local -- …`, `npx medallion local …` and `medallion local …` naming a subcommand or option the CLI does not have. */
export function cliProblems(file: string, text: string, program: Command): string[] {
  const problems: string[] = [];
  for (const piece of commandTexts(parseMarkdown(text))) {
    for (const m of piece.text.matchAll(/(?:\bnpm run local\s+\[?--(?=\s|$)|\bmedallion local\b)([^`&|;#]*)/g)) {
      for (const p of cliInvocationProblems(m[1], program)) problems.push(`${file}:${piece.line}: ${m[0].trim()}: ${p}`);
    }
  }
  return problems;
}

/** Top-level folders whose paths the docs name in backticks. */
const REPO_FOLDERS = ['.ci', 'bench', 'bin', 'contracts', 'diagrams', 'docs', 'lambdas', 'lib', 'local', 'openapi', 'scripts', 'sql', 'test'];

/** A repository path in backticks that does not exist (for a path with a placeholder, the folder before it). */
export function pathProblems(file: string, text: string, root: string = ROOT): string[] {
  const problems: string[] = [];
  for (const span of parseMarkdown(text).codeSpans) {
    const path = span.text.replace(/:\d+(:\d+)?$/, '');
    if (/\s/.test(path) || !REPO_FOLDERS.some((f) => path.startsWith(`${f}/`))) continue;
    const placeholder = path.search(/[<>*…{}$[\]=|]/);
    const checked = placeholder === -1 ? path : path.slice(0, path.lastIndexOf('/', placeholder) + 1);
    if (!existsSync(join(root, checked))) problems.push(`${file}:${span.line}: path does not exist: ${checked}${checked === path ? '' : ` (in ${path})`}`);
  }
  return problems;
}

/** Every cdk-nag rule suppressed in lib/, with the file that suppresses it. */
export function nagSuppressions(root: string = ROOT): { rule: string; file: string }[] {
  const found: { rule: string; file: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const rules = new Set([...readFileSync(join(root, path), 'utf8').matchAll(/\bid:\s*['"](AwsSolutions-[A-Za-z0-9]+)['"]/g)].map((m) => m[1]));
        for (const rule of [...rules].sort()) found.push({ rule, file: path });
      }
    }
  };
  walk('lib');
  return found;
}

/** The rows of docs/operations.md's suppression table against the suppressions of lib/, both ways. */
export function nagTableProblems(operations: string, suppressions: { rule: string; file: string }[]): string[] {
  const rows = operations
    .split('\n')
    .map((text, i) => ({ line: i + 1, m: /^\|\s*`(AwsSolutions-[A-Za-z0-9]+)`\s*\|\s*`([^`]+)`\s*\|/.exec(text) }))
    .filter((r) => r.m !== null)
    .map((r) => ({ line: r.line, rule: r.m![1], file: r.m![2] }));
  const problems: string[] = [];
  for (const s of suppressions) {
    if (!rows.some((r) => r.rule === s.rule && r.file === s.file)) problems.push(`docs/operations.md: no row for ${s.rule} suppressed in ${s.file}`);
  }
  for (const r of rows) {
    if (!suppressions.some((s) => s.rule === r.rule && s.file === r.file)) problems.push(`docs/operations.md:${r.line}: ${r.rule} is not suppressed in ${r.file}`);
  }
  return problems;
}

describe('documentation', () => {
  const files = docFiles();
  const texts = new Map(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const));
  const each = (check: (file: string, text: string) => string[]): string[] => files.flatMap((f) => check(f, texts.get(f)!));

  it('covers README.md and the docs pages', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/operations.md', 'docs/development.md']));
  });

  it('links and images point at files and headings that exist', () => {
    expect(each((f, t) => linkProblems(f, t))).toEqual([]);
  });

  it('every `npm run <script>` is a script of package.json', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(each((f, t) => npmScriptProblems(f, t, scripts))).toEqual([]);
  });

  it('every local CLI invocation names a subcommand and options of the real CLI', () => {
    const program = localCommand();
    expect(each((f, t) => cliProblems(f, t, program))).toEqual([]);
  });

  it('every repository path in backticks exists', () => {
    expect(each((f, t) => pathProblems(f, t))).toEqual([]);
  });

  it('docs/operations.md lists every cdk-nag suppression of lib/, and only those', () => {
    const suppressions = nagSuppressions();
    expect(suppressions.length).toBeGreaterThan(0);
    expect(nagTableProblems(texts.get('docs/operations.md')!, suppressions)).toEqual([]);
  });

  it('the repository layout in docs/development.md names every top-level folder and every lib/ subfolder', () => {
    const dev = texts.get('docs/development.md')!;
    const layout = dev.slice(dev.indexOf('## Repository layout'));
    const named = new Set([...layout.matchAll(/^\|\s*`([^`]+?)\/?`/gm)].map((m) => m[1]));
    const folders = [
      // The folders in git: not those a command makes (local-out/, sample/, .medallion/, cdk.out/…; git-ignored).
      ...new Set(trackedFiles().filter((f) => f.includes('/')).map((f) => f.split('/')[0])),
      ...new Set(trackedFiles().filter((f) => f.startsWith('lib/') && f.split('/').length > 2).map((f) => `lib/${f.split('/')[1]}`)),
    ];
    expect(folders.filter((f) => !named.has(f)).map((f) => `docs/development.md: the repository layout table has no row for ${f}/`)).toEqual([]);
  });
});

/** The repository's files as git tracks them (added but not committed ones too). */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('the documentation checks themselves', () => {
  const program = localCommand();

  it('uses GitHub heading slugs', () => {
    expect(githubSlug('Bronze → silver')).toBe('bronze--silver');
    expect(githubSlug('Stacks (per stage)')).toBe('stacks-per-stage');
    expect(githubSlug('Trino, the engine Athena runs')).toBe('trino-the-engine-athena-runs');
    expect(githubSlug('`value_prop_features` and **more**')).toBe('value_prop_features-and-more');
    expect([...anchorsOf('# A\n## B\n```\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
  });

  it('reports a missing file and a missing anchor with file:line', () => {
    expect(linkProblems('docs/x.md', 'text\nsee [a](api.md#no-such-heading) and ![img](../diagrams/none.svg)\n`[not](a-link.md)`')).toEqual([
      'docs/x.md:2: no heading for anchor #no-such-heading in docs/api.md: api.md#no-such-heading',
      'docs/x.md:2: link target does not exist: ../diagrams/none.svg',
    ]);
  });

  it('reports an unknown npm script', () => {
    expect(npmScriptProblems('README.md', '```bash\nnpm run lint\nnpm run tset\n```\n', { lint: '' })).toEqual(["README.md:3: npm run tset: no script 'tset' in package.json"]);
  });

  it('reports an unknown subcommand or option of the local CLI, and accepts the real ones', () => {
    expect(cliInvocationProblems('run ./sample --out ./local-out --as-of 2020-11-28 --engine trino', program)).toEqual([]);
    expect(cliInvocationProblems('[-- demo --port N --out <dir>]', program)).toEqual([]);
    expect(cliInvocationProblems('serve --port 3000 &', program)).toEqual([]);
    expect(cliInvocationProblems('… --contracts <dir>', program)).toEqual([]);
    expect(cliInvocationProblems('serv', program)).toEqual([expect.stringContaining("unknown subcommand 'serv'")]);
    expect(cliInvocationProblems('generate ./x --rowz 5', program)).toEqual(["unknown option --rowz for 'local generate'"]);
    expect(cliProblems('docs/y.md', 'one\n`npx medallion local serve --out x`\n', program)).toEqual([
      "docs/y.md:2: medallion local serve --out x: unknown option --out for 'local serve'",
    ]);
  });

  it('reports a repository path that does not exist, and checks the folder before a placeholder', () => {
    expect(pathProblems('README.md', '`lib/platform.ts` `lib/nope.ts` `sql/gold/<dataset>.sql` `sql/silver/<x>.sql` `report.json`')).toEqual([
      'README.md:1: path does not exist: lib/nope.ts',
      'README.md:1: path does not exist: sql/silver/ (in sql/silver/<x>.sql)',
    ]);
  });

  it('reports a suppression missing from the table and a row without a suppression', () => {
    const table = '| rule | file |\n| --- | --- |\n| `AwsSolutions-IAM5` | `lib/a.ts` | x |\n| `AwsSolutions-L1` | `lib/b.ts` | y |\n';
    expect(nagTableProblems(table, [{ rule: 'AwsSolutions-IAM5', file: 'lib/a.ts' }, { rule: 'AwsSolutions-SF2', file: 'lib/a.ts' }])).toEqual([
      'docs/operations.md: no row for AwsSolutions-SF2 suppressed in lib/a.ts',
      'docs/operations.md:4: AwsSolutions-L1 is not suppressed in lib/b.ts',
    ]);
  });
});
