/**
 * Pre-bundles every platform Lambda into dist/assets/<function>/ for the npm package (run by `npm run build`
 * after tsc): the same esbuild bundle synth makes in this repository, and for the transform the DuckDB
 * packages with their linux-arm64 binding (under asset_modules/, renamed to node_modules when staged: npm
 * never packs a node_modules folder). A consumer's synth then only copies files: no esbuild, no registry.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFunction, filesUnder, PLATFORM_FUNCTIONS } from '../lib/runtime/function-code';

const out = join(__dirname, '..', 'dist', 'assets');
rmSync(out, { recursive: true, force: true });
for (const source of Object.values(PLATFORM_FUNCTIONS)) {
  const dir = join(out, source.name);
  bundleFunction(source, dir, { packedModules: true });
  console.log(`dist/assets/${source.name}: ${filesUnder(dir).length} files`);
}
