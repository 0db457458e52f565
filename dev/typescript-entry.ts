// How this repository's processes run a TypeScript entry point: plain `node` with tsx's loader.
// Not the `tsx` command: it relays SIGTERM to its child and SIGKILLs the child if it has not
// answered within 30 ms, so a worker whose event loop is busy for a moment on a loaded machine
// dies instead of draining (exit 143).

import { pathToFileURL } from 'node:url';

/** The arguments for `process.execPath` that run `script` (a .ts path) through tsx's loader. */
export function typescriptEntry(script: string): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href, script];
}
