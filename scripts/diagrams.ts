/**
 * `npm run diagrams`: regenerates diagrams/ from the synthesized CDK app.
 * `tsx scripts/diagrams.ts --check [--dir <folder>]`: exits 1 and names every stale, missing or extra file
 * instead of writing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderDiagrams, synthesizeArchitecture } from './diagrams/generate';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const dirIndex = args.indexOf('--dir');
  const dir = dirIndex >= 0 ? args[dirIndex + 1] : join(__dirname, '..', 'diagrams');
  const files = await renderDiagrams(synthesizeArchitecture());
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(dot|svg)$/.test(f)) : [];
  const fromCwd = relative(process.cwd(), dir);
  const shown = fromCwd.startsWith('..') ? dir : fromCwd || '.';
  if (check) {
    const problems: string[] = [];
    for (const [name, text] of files) {
      const path = join(dir, name);
      if (!existsSync(path)) problems.push(`${join(shown, name)} is missing`);
      else if (readFileSync(path, 'utf8') !== text) problems.push(`${join(shown, name)} differs from a fresh generation`);
    }
    for (const f of present) if (!files.has(f)) problems.push(`${join(shown, f)} is no longer generated (no such stack)`);
    if (problems.length > 0) {
      console.error(`The diagrams are stale (${problems.length} file${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nRun \`npm run diagrams\` and commit ${shown}/.`);
      return 1;
    }
    console.log(`${shown}/: ${files.size} files up to date`);
    return 0;
  }
  mkdirSync(dir, { recursive: true });
  for (const f of present) if (!files.has(f)) rmSync(join(dir, f));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  console.log(`${shown}/: wrote ${[...files.keys()].join(', ')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
