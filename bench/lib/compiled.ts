// The serving processes as production runs them: compiled JavaScript under plain `node`
// (`npm run build`, `node dist/…`), not TypeScript through tsx's loader. The load generator
// compiles the API, the workers and the bare worker once per run into `.bench/dist` (inside the
// repository, so the compiled files resolve node_modules as dist/ does).

import { execFile } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..', '..');

/** Compiles the services; answers the root their `.js` files are under. */
export async function compileServices(): Promise<string> {
  const outDir = path.join(ROOT, '.bench', 'dist');
  await rm(outDir, { recursive: true, force: true });
  await promisify(execFile)(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      path.join(ROOT, 'bench', 'tsconfig.services.json'),
      '--outDir',
      outDir,
    ],
    { cwd: ROOT },
  );
  // The support console's static files, as `npm run build` copies them.
  await cp(
    path.join(ROOT, 'api', 'console', 'public'),
    path.join(outDir, 'api', 'console', 'public'),
    { recursive: true },
  );
  return outDir;
}

/** `script` (a .ts path from the repository root) as its compiled file under `root`. */
export const compiledScript = (root: string, script: string): string =>
  path.join(root, script.replace(/\.ts$/, '.js'));
