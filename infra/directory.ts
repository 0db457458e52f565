// What a process keeps of the records every order reads and admins rarely change: providers
// with their secrets (until they change), and the app's event endpoints (DIRECTORY_CACHE_SECONDS).
// One per process, shared by its API and worker when they run together (dev/in-process.ts), so
// that an admin's change is seen at once by everything in the process that made it.

import { keptEndpoints, type KeptEndpoints } from './app-endpoints';
import type { Models } from './db';
import type { Logger } from './logger';
import { createProviderDirectory, type ProviderDirectory } from './provider-directory';

export interface Directory {
  providers: ProviderDirectory;
  appEndpoints: KeptEndpoints;
}

export function createDirectory(
  models: Models,
  options: { keepMs: number; logger?: Logger },
): Directory {
  const providers = createProviderDirectory(models, {
    pollMs: options.keepMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  // It asks the database for changes until the database is closed.
  models.ProviderChange.db.once('close', () => providers.stop());
  return { providers, appEndpoints: keptEndpoints(models, options) };
}
