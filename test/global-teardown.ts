// Stops the servers global-setup started and removes their throwaway data.

import { rmSync } from 'node:fs';
import { takeServers } from './support/servers';

export default async function globalTeardown(): Promise<void> {
  const started = takeServers();
  if (!started) return;
  for (const server of started.servers) await server.stop();
  if (!process.env.KEEP_TEST_DATA) rmSync(started.dataDir, { recursive: true, force: true });
}
