// Providers and their signing secrets as the hot paths read them: checkout (is the provider
// active, of this vertical), every signed callback (its secrets) and every webhook (its URL and
// secrets). Kept per process until the provider changes, so that an order's steps do not each
// read the same two records, however many providers there are and however far apart their
// orders come. Every change an admin makes is announced (infra/provider-changes.ts):
// - the process that made it forgets the provider at once;
// - every other process asks for the announcements every DIRECTORY_CACHE_SECONDS and forgets
//   the providers named, so a deactivation, or the end of a rotation's grace that an admin
//   shortened, takes effect there within that interval;
// - a process whose polls fail reads providers afresh until one succeeds again;
// - nothing is kept longer than KEEP_AT_MOST_MS, which bounds what an announcement lost
//   (a process that died between a change and its announcement) can leave behind.
// And what may not wait for the interval does not:
// - a callback whose signature matches no kept secret is checked again against secrets read
//   now (a rotation made through another process works at once);
// - a webhook's retry reads afresh (activities/providers.ts).
// A rotation's grace is never shortened: which kept secrets are valid is asked at each use.

import type { Models } from './db';
import { keptReads } from './kept';
import type { Logger } from './logger';
import type { ProviderDocument } from './models/provider';
import { announceProviderChange, watchProviderChanges } from './provider-changes';
import { openSecrets, type ProviderSecrets } from './provider-secrets';

export interface ProviderEntry {
  provider: ProviderDocument;
  secrets: ProviderSecrets;
}

export interface ProviderDirectory {
  /** The provider and its secrets, or null when there is no such provider. */
  lookup(providerId: string, options?: { fresh?: boolean }): Promise<ProviderEntry | null>;
  /**
   * An admin changed the provider (the change is stored): this process forgets it at once, and
   * the announcement makes every other process forget it within the poll interval.
   */
  changed(providerId: string): Promise<void>;
  /** Stops asking for changes (the process is closing its database). */
  stop(): void;
}

/** More providers than this and the least recently used are read again when next needed. */
const MAX_KEPT_PROVIDERS = 10_000;
/** The longest a provider is kept, announcements or not. */
export const KEEP_AT_MOST_MS = 10 * 60_000;

export function createProviderDirectory(
  models: Pick<Models, 'Provider' | 'ProviderSecret' | 'ProviderChange'>,
  /** pollMs: how often other processes' changes are asked for (0: nothing is kept). */
  options: { pollMs: number; logger?: Logger },
): ProviderDirectory {
  const kept = keptReads<ProviderEntry>(
    async (providerId) => {
      const [provider, records] = await Promise.all([
        models.Provider.findById(providerId).lean(),
        models.ProviderSecret.find({ providerId }).sort({ seq: -1 }).lean(),
      ]);
      return provider ? { provider, secrets: openSecrets(models, provider, records) } : null;
    },
    { keepMs: options.pollMs > 0 ? KEEP_AT_MOST_MS : 0, maxKeys: MAX_KEPT_PROVIDERS },
  );
  const changes =
    options.pollMs > 0
      ? watchProviderChanges(models, {
          intervalMs: options.pollMs,
          maxGapMs: KEEP_AT_MOST_MS,
          onChanged: (providerIds) => providerIds.forEach((id) => kept.forget(id)),
          onGap: () => kept.forgetAll(),
          idle: () => !kept.holdsAny(),
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;
  return {
    lookup: (providerId, o) =>
      kept.get(providerId, changes?.current() === false ? { fresh: true } : o),
    async changed(providerId) {
      kept.forget(providerId);
      await announceProviderChange(models, providerId);
    },
    stop: () => changes?.stop(),
  };
}
