// What a process keeps of the records every order reads and admins rarely change: providers
// with their secrets, and the app's event endpoints. Kept until they change, at most
// KEEP_AT_MOST_MS. Every admin change is announced (infra/directory-changes.ts):
// - the process that made it forgets what changed at once;
// - every other process asks for the announcements every DIRECTORY_CACHE_SECONDS and forgets
//   what they name, so a deactivation, a retired secret or a deleted endpoint takes effect
//   there within that interval;
// - a process whose polls fail reads afresh until one succeeds again;
// - nothing is kept longer than KEEP_AT_MOST_MS, which bounds what a lost announcement (a
//   process that died between a change and its announcement) can leave behind.
// One per process, shared by its API and worker when they run together (dev/in-process.ts).

import { keptEndpoints, type KeptEndpoints } from './app-endpoints';
import type { Models } from './db';
import {
  announceChange,
  changeSubject,
  watchChanges,
  type KeptByChange,
} from './directory-changes';
import type { Logger } from './logger';
import { createProviderDirectory, type ProviderDirectory } from './provider-directory';

export interface Directory {
  providers: ProviderDirectory;
  appEndpoints: KeptEndpoints;
}

/** The longest anything is kept, announcements or not. */
export const KEEP_AT_MOST_MS = 10 * 60_000;

export function createDirectory(
  models: Models,
  /** keepMs: DIRECTORY_CACHE_SECONDS, how often changes are asked for (0: nothing is kept). */
  options: { keepMs: number; logger?: Logger },
): Directory {
  const pollMs = options.keepMs;
  let current = () => true;
  const keep: KeptByChange = {
    keepMs: pollMs > 0 ? KEEP_AT_MOST_MS : 0,
    current: () => current(),
    announce: (subject) => announceChange(models, subject),
  };
  const providers = createProviderDirectory(models, keep);
  const appEndpoints = keptEndpoints(models, keep);
  if (pollMs > 0) {
    const watch = watchChanges(models, {
      intervalMs: pollMs,
      maxGapMs: KEEP_AT_MOST_MS,
      onChanged(subjects) {
        for (const subject of subjects) {
          const providerId = changeSubject.providerIdOf(subject);
          if (providerId !== undefined) providers.forget(providerId);
          else if (subject === changeSubject.appEndpoints) appEndpoints.forget();
        }
      },
      onGap() {
        providers.forgetAll();
        appEndpoints.forget();
      },
      idle: () => !providers.holdsAny() && !appEndpoints.holdsAny(),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    current = () => watch.current();
    // It asks the database for changes until the database is closed.
    models.DirectoryChange.db.once('close', () => watch.stop());
  }
  return { providers, appEndpoints };
}
