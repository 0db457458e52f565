// How every process learns that an admin changed a provider, so that it can keep providers for
// minutes instead of seconds (infra/provider-directory.ts). Each change made through the admin
// API is announced by an insert into `provider_changes` once the change is stored; each process
// that keeps providers asks, every `intervalMs`, for the announcements of the last few minutes
// and forgets the providers named in the ones it has not seen.
//
// Insert-only (FerretDB 1.x makes no update atomic), and asked by `period`, an equality that
// FerretDB answers from an index (it pushes down no range filter). A poll asks about every period
// from the previous successful poll's start, less `lookbackMs`, to now: that covers an
// announcement stored a little after the time it was stamped with, and clocks a little apart.
// One later than that, and a process that died between a change and its announcement, are
// caught by the directory's longest keep (KEEP_AT_MOST_MS there).

import { randomUUID } from 'node:crypto';
import type { Models } from './db';
import { insertValidated } from './insert-validated';
import type { Logger } from './logger';
import { changePeriod, type ProviderChangeDocument } from './models/provider';

/** Records that a provider changed (after the change is stored): other processes forget it. */
export async function announceProviderChange(
  models: Pick<Models, 'ProviderChange'>,
  providerId: string,
  at: Date = new Date(),
): Promise<void> {
  await insertValidated<ProviderChangeDocument>(models.ProviderChange, {
    _id: `${providerId}/${randomUUID()}`,
    providerId,
    period: changePeriod(at),
    at,
  });
}

/** Deletes the announcements stored before `before` (maintenance; no process asks for them). */
export async function deleteProviderChangesBefore(
  models: Pick<Models, 'ProviderChange'>,
  before: Date,
): Promise<number> {
  return (await models.ProviderChange.deleteMany({ at: { $lt: before } })).deletedCount;
}

export interface ProviderChangeWatch {
  /**
   * Whether a poll has succeeded recently (within three intervals): while not, what a process
   * keeps may be older than any change since, and it reads providers afresh.
   */
  current(): boolean;
  /** Asks now (the timer asks every interval on its own). */
  poll(): Promise<void>;
  stop(): void;
}

export interface ProviderChangeWatchOptions {
  /** The providers changed since the last poll: forget them. */
  onChanged(providerIds: string[]): void;
  /** Too long without a successful poll to ask about every change since: forget everything. */
  onGap(): void;
  /** Nothing is kept or being read: there is nothing to forget, so nothing is asked. */
  idle(): boolean;
  intervalMs: number;
  lookbackMs?: number;
  /** Longer than this without a successful poll is a gap (the directory's longest keep). */
  maxGapMs: number;
  logger?: Logger;
  now?: () => number;
}

/** Logs a failing poll at most this often (the database being down fails every poll). */
const FAILURE_LOG_INTERVAL_MS = 30_000;

export function watchProviderChanges(
  models: Pick<Models, 'ProviderChange'>,
  options: ProviderChangeWatchOptions,
): ProviderChangeWatch {
  const { intervalMs, lookbackMs = 30_000, maxGapMs, logger, now = Date.now } = options;
  /** The start of the last successful poll (or idle turn): the next asks from here. */
  let heardUpTo = now();
  /** Announcements already acted on, by id, with their period (pruned once not asked about). */
  const seen = new Map<string, number>();
  let lastFailureLoggedAt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function poll() {
    const startedAt = now();
    if (options.idle()) {
      heardUpTo = startedAt;
      return;
    }
    if (startedAt - heardUpTo > maxGapMs) {
      options.onGap();
      heardUpTo = startedAt;
      seen.clear();
      return;
    }
    const first = changePeriod(new Date(heardUpTo - lookbackMs));
    const last = changePeriod(new Date(startedAt));
    const periods = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const batches = await Promise.all(
      periods.map((period) =>
        models.ProviderChange.find({ period }, { _id: 1, providerId: 1, period: 1 }).lean(),
      ),
    );
    const changed = new Set<string>();
    for (const change of batches.flat()) {
      if (seen.has(change._id)) continue;
      seen.set(change._id, change.period);
      changed.add(change.providerId);
    }
    for (const [id, period] of seen) if (period < first) seen.delete(id);
    if (changed.size > 0) options.onChanged([...changed]);
    heardUpTo = startedAt;
  }

  async function tick() {
    try {
      await poll();
    } catch (error) {
      if (now() - lastFailureLoggedAt > FAILURE_LOG_INTERVAL_MS) {
        lastFailureLoggedAt = now();
        logger?.warn(
          { err: error },
          'provider changes: poll failed; providers are read afresh until one succeeds',
        );
      }
    } finally {
      // Unref: the servers, not the watch, keep the process alive.
      if (!stopped) timer = setTimeout(() => void tick(), intervalMs).unref();
    }
  }
  timer = setTimeout(() => void tick(), intervalMs).unref();

  return {
    current: () => now() - heardUpTo <= 3 * intervalMs,
    poll,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
