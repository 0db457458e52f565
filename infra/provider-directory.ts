// Providers and their signing secrets as the hot paths read them: checkout (is the provider
// active, of this vertical), every signed callback (its secrets) and every webhook (its URL and
// secrets). Kept per process for DIRECTORY_CACHE_SECONDS, so an order's steps do not each read
// the same two records. What may not wait for the keep time does not:
// - an admin's change in this process forgets the provider at once (api/admin/routes.ts);
//   other processes read it again within the keep time;
// - a callback whose signature matches no kept secret is checked again against secrets read
//   now (a rotation made through another process works at once);
// - a webhook's retry reads afresh (activities/providers.ts).
// So a deactivation, or the end of a rotation's grace that an admin shortened, takes effect on
// other processes up to the keep time late; a rotation's grace is never shortened.

import type { Models } from './db';
import { keptReads } from './kept';
import type { ProviderDocument } from './models/provider';
import { openSecrets, type ProviderSecrets } from './provider-secrets';

export interface ProviderEntry {
  provider: ProviderDocument;
  secrets: ProviderSecrets;
}

export interface ProviderDirectory {
  /** The provider and its secrets, or null when there is no such provider. */
  lookup(providerId: string, options?: { fresh?: boolean }): Promise<ProviderEntry | null>;
  /** Drops what this process keeps of the provider: an admin changed it. */
  forget(providerId: string): void;
}

/** More providers than this and the least recently used are read again when next needed. */
const MAX_KEPT_PROVIDERS = 10_000;

export function createProviderDirectory(
  models: Pick<Models, 'Provider' | 'ProviderSecret'>,
  options: { keepMs: number },
): ProviderDirectory {
  const kept = keptReads<ProviderEntry>(
    async (providerId) => {
      const [provider, records] = await Promise.all([
        models.Provider.findById(providerId).lean(),
        models.ProviderSecret.find({ providerId }).sort({ seq: -1 }).lean(),
      ]);
      return provider ? { provider, secrets: openSecrets(models, provider, records) } : null;
    },
    { keepMs: options.keepMs, maxKeys: MAX_KEPT_PROVIDERS },
  );
  return { lookup: (providerId, o) => kept.get(providerId, o), forget: (id) => kept.forget(id) };
}
