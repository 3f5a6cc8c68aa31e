// The installed index.d.ts is the API's documentation: every export and every
// member has TSDoc, and every method that can fail says how (`@throws`).
// Parsed with the TypeScript compiler API of build/js-tools (setup-debian.sh).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

import { packageDir, repo } from './support.mjs';

const tools = process.env.TENSORMEM_JS_TOOLS ?? path.join(repo, 'build', 'js-tools');
const ts = createRequire(path.join(tools, 'package.json'))('typescript');

// Methods that cannot fail in a way worth a @throws.
const NO_THROWS = new Set(['Device.dispose', 'Device.[Symbol.dispose]', 'Tensor.[Symbol.dispose]',
  'DeviceData.[Symbol.dispose]', 'Disposable.[Symbol.dispose]']);
const WITH_THROWS = new Set(['Device', 'Tensor', 'DeviceData']);

function nameOf(node, source) {
  return node.name ? node.name.getText(source) : ts.SyntaxKind[node.kind];
}

// Every declaration of the file that must be documented: [{ where, node }].
function declarations(source) {
  const out = [];
  const visitMembers = (owner, members) => {
    for (const member of members) out.push({ where: `${owner}.${nameOf(member, source)}`, owner, node: member });
  };
  const visit = (statement, scope) => {
    if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) {
      if (statement.name.getText(source) !== 'global') out.push({ where: `${scope}${statement.name.getText(source)}`, node: statement });
      for (const inner of statement.body.statements) visit(inner, `${scope}${statement.name.getText(source)}.`);
      return;
    }
    if (ts.isVariableStatement(statement)) {
      out.push({ where: statement.declarationList.declarations.map((d) => d.name.getText(source)).join(), node: statement });
      return;
    }
    if (!statement.name) return;
    const name = `${scope.replace(/^global\./, '')}${statement.name.getText(source)}`;
    out.push({ where: name, node: statement });
    if (ts.isInterfaceDeclaration(statement) || ts.isClassDeclaration(statement)) visitMembers(name, statement.members);
  };
  for (const statement of source.statements) visit(statement, '');
  return out;
}

const docsOf = (node) => ts.getJSDocCommentsAndTags(node).filter((d) => ts.isJSDoc(d));

test('every export and member of the installed index.d.ts has TSDoc; methods that can fail have @throws', () => {
  const file = path.join(packageDir, 'index.d.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const all = declarations(source);
  assert.ok(all.length > 150, `only ${all.length} declarations found: is the parser seeing the file?`);
  const undocumented = all.filter(({ node }) => docsOf(node).length === 0).map(({ where }) => where);
  assert.deepEqual(undocumented, [], `undocumented in ${file}`);

  const throws = new Map();  // "Class.method" -> whether an overload has @throws
  for (const { where, owner, node } of all) {
    if (!WITH_THROWS.has(owner) || !(ts.isMethodSignature(node) || ts.isMethodDeclaration(node))) continue;
    const has = docsOf(node).some((doc) => (doc.tags ?? []).some((tag) => tag.tagName.text === 'throws'));
    throws.set(where, (throws.get(where) ?? false) || has);
  }
  const missing = [...throws].filter(([where, has]) => !has && !NO_THROWS.has(where)).map(([where]) => where);
  assert.deepEqual(missing, [], 'methods without @throws');
  assert.ok(throws.size > 40, `only ${throws.size} methods found`);
});
