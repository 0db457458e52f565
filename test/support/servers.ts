// Hands the servers from global setup to global teardown (both run in jest's main process).

import type { EmbeddedServer } from '../../dev/embedded';

interface StartedServers {
  dataDir: string;
  servers: EmbeddedServer[];
}

const key = Symbol.for('orderflow.test.servers');
type Holder = { [key]?: StartedServers };

export function setServers(started: StartedServers): void {
  (globalThis as Holder)[key] = started;
}

export function takeServers(): StartedServers | undefined {
  const started = (globalThis as Holder)[key];
  delete (globalThis as Holder)[key];
  return started;
}
