// Lists the import cycles among the TypeScript files under the given folders (default: src functions local),
// type-only imports and re-exports included. Exit 1 when there is one. Usage: node scripts/import-cycles.mjs [dir…]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = process.cwd();
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'functions', 'local'];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** The file a relative specifier names (`./x.js` is `./x.ts` in the source tree). */
function resolveSpecifier(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.m?js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const graph = new Map();
for (const dir of dirs) {
  for (const file of files(resolve(root, dir))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles.map((f) => resolveSpecifier(file, f.fileName)).filter(Boolean);
    graph.set(file, [...new Set(deps)]);
  }
}

// Tarjan's strongly connected components: every component of two or more files (or a file importing itself) is a cycle.
let index = 0;
const stack = [];
const meta = new Map();
const cycles = [];
function connect(v) {
  meta.set(v, { index, low: index, onStack: true });
  index += 1;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!meta.has(w)) {
      connect(w);
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
    } else if (meta.get(w).onStack) meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
  }
  if (meta.get(v).low === meta.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.map((f) => relative(root, f)).sort());
  }
}
for (const v of graph.keys()) if (!meta.has(v)) connect(v);

console.log(`${graph.size} files, ${[...graph.values()].reduce((n, d) => n + d.length, 0)} imports (type-only included): ${cycles.length} cycle(s)`);
for (const c of cycles) console.log(`  cycle: ${c.join(' <-> ')}`);
process.exit(cycles.length ? 1 : 0);
