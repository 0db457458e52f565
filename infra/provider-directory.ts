// Providers and their signing secrets as the hot paths read them: checkout (is the provider
// active, of this vertical), every signed callback (its secrets) and every webhook (its URL and
// secrets). Kept per process until the provider changes (infra/directory.ts: every admin change
// is announced, and each process asks for the announcements every DIRECTORY_CACHE_SECONDS), so
// that an order's steps do not each read the same two records, however many providers there are
// and however far apart their orders come. What may not wait for the next poll does not:
// - the process where an admin made the change forgets the provider at once (`changed`);
// - a callback whose signature matches no kept secret is checked again against secrets read
//   now (a rotation made through another process works at once);
// - a webhook's retry reads afresh (activities/providers.ts).
// A rotation's grace is never shortened: which kept secrets are valid is asked at each use.

import type { Models } from './db';
import { keptReads } from './kept';
import type { ProviderDocument } from './models/provider';
import { changeSubject, type KeptByChange } from './directory-changes';
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
  /** Another process announced that the provider changed. */
  forget(providerId: string): void;
  /** Too long without news of changes: everything is read again. */
  forgetAll(): void;
  /** Whether anything is kept or being read (else there is nothing to forget). */
  holdsAny(): boolean;
}

/** More providers than this and the least recently used are read again when next needed. */
const MAX_KEPT_PROVIDERS = 10_000;
export function createProviderDirectory(
  models: Pick<Models, 'Provider' | 'ProviderSecret'>,
  keep: KeptByChange,
): ProviderDirectory {
  const kept = keptReads<ProviderEntry>(
    async (providerId) => {
      const [provider, records] = await Promise.all([
        models.Provider.findById(providerId).lean(),
        models.ProviderSecret.find({ providerId }).sort({ seq: -1 }).lean(),
      ]);
      return provider ? { provider, secrets: openSecrets(models, provider, records) } : null;
    },
    { keepMs: keep.keepMs, maxKeys: MAX_KEPT_PROVIDERS },
  );
  return {
    lookup: (providerId, options) =>
      kept.get(providerId, keep.current() ? options : { fresh: true }),
    async changed(providerId) {
      kept.forget(providerId);
      await keep.announce(changeSubject.provider(providerId));
    },
    forget: (providerId) => kept.forget(providerId),
    forgetAll: () => kept.forgetAll(),
    holdsAny: () => kept.holdsAny(),
  };
}
