import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * The public API documents itself as aws-cdk's own constructs do: every field of an exported props or
 * options interface of lib/ has a doc comment, and every optional one says what happens without it (`@default`).
 */

const LIB = join(__dirname, '..', '..', 'lib');
const files = readdirSync(LIB, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(LIB, f));

interface Field {
  readonly where: string;
  readonly optional: boolean;
  readonly doc: string;
}

function fields(): Field[] {
  const out: Field[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
      if (!/(Props|Options)$/.test(node.name.text)) return;
      for (const member of node.members) {
        if (!ts.isPropertySignature(member)) continue;
        const doc = ts
          .getJSDocCommentsAndTags(member)
          .map((d) => d.getText())
          .join('\n');
        const line = source.getLineAndCharacterOfPosition(member.getStart()).line + 1;
        out.push({ where: `${relative(join(LIB, '..'), file)}:${line} ${node.name.text}.${member.name.getText()}`, optional: !!member.questionToken, doc });
      }
    });
  }
  return out;
}

describe('public API documentation', () => {
  const all = fields();

  it('finds the props of the stacks and constructs', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.map((f) => f.where)).toEqual(expect.arrayContaining([expect.stringContaining('TransformStackProps.storage')]));
  });

  it('every field has a doc comment', () => {
    expect(all.filter((f) => f.doc === '').map((f) => f.where)).toEqual([]);
  });

  it('every optional field says its default', () => {
    expect(all.filter((f) => f.optional && !/@default/.test(f.doc)).map((f) => f.where)).toEqual([]);
  });
});
