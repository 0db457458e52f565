// How this repository's serving processes (the API, the workers, the bare worker) are run:
// compiled JavaScript under plain `node`, as production runs them (`npm run build`, `node
// dist/…`), or the TypeScript through tsx's loader (the tests, which start them often and
// measure nothing). Optionally with V8 writing CPU profiles (`npm run bench:profile` reads them).

import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');

/** How a service process runs; nothing set: TypeScript through tsx, unprofiled. */
export interface ServiceRuntime {
  /** Run the compiled `.js` under this root (compileServices) instead of the `.ts` through tsx. */
  compiledRoot?: string;
  /** V8 writes the process's CPU profiles (one per thread) to `<cpuProfileDir>/<name>/` at exit. */
  cpuProfileDir?: string;
}

/**
 * The arguments for `process.execPath` that run `script` (a .ts path from the repository root)
 * as the service `name`.
 */
export function serviceArgs(name: string, script: string, runtime: ServiceRuntime = {}): string[] {
  const profiling = runtime.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(runtime.cpuProfileDir, name)}`]
    : [];
  const entry = runtime.compiledRoot
    ? [compiledScript(runtime.compiledRoot, script)]
    : typescriptEntry(script);
  return [...profiling, ...entry];
}

/**
 * The arguments for `process.execPath` that run `script` through tsx's loader. Not the `tsx`
 * command: it relays SIGTERM to its child and SIGKILLs the child if it has not answered within
 * 30 ms, so a worker whose event loop is busy for a moment on a loaded machine dies instead of
 * draining (exit 143).
 */
export function typescriptEntry(script: string): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href, script];
}

/**
 * Compiles the services into `outDir`, as `npm run build` does dist/; answers `outDir`. It must
 * be inside the repository, so the compiled files resolve its node_modules. Incremental (tsc's
 * build info in `outDir`): a compile of unchanged sources emits nothing, in less than half
 * the time of a fresh one.
 */
export async function compileServices(outDir: string): Promise<string> {
  const tsc = [
    require.resolve('typescript/bin/tsc'),
    '-p',
    path.join(ROOT, 'dev', 'tsconfig.services.json'),
    '--outDir',
    outDir,
    '--incremental',
    '--tsBuildInfoFile',
    path.join(outDir, '.tsbuildinfo'),
  ];
  await promisify(execFile)(process.execPath, tsc, { cwd: ROOT }).catch(
    (error: Error & { stdout?: string }) => {
      // tsc writes its errors to stdout, which execFile's message leaves out.
      throw new Error(`compiling the services failed:\n${error.stdout || error.message}`);
    },
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
function compiledScript(root: string, script: string): string {
  return path.join(root, script.replace(/\.ts$/, '.js'));
}
