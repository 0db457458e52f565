// How every process learns that an admin changed what it keeps (infra/directory.ts: providers
// and the app's event endpoints), so that it can keep them for minutes instead of seconds. Each
// change made through the admin API is announced by an insert into `directory_changes` once the
// change is stored; each process that keeps anything asks, every `intervalMs`, for the
// announcements of the last few minutes and forgets what the ones it has not seen name.
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
import { changePeriod, type DirectoryChangeDocument } from './models/directory-change';

type ChangeModels = Pick<Models, 'DirectoryChange'>;

/** What an announcement names: one provider, or the app's event endpoints. */
const PROVIDER_PREFIX = 'provider:';
export const changeSubject = {
  provider: (providerId: string) => `${PROVIDER_PREFIX}${providerId}`,
  appEndpoints: 'app-endpoints',
  /** The provider a subject names, or undefined. */
  providerIdOf: (subject: string) =>
    subject.startsWith(PROVIDER_PREFIX) ? subject.slice(PROVIDER_PREFIX.length) : undefined,
};

/** Records that `subject` changed (after the change is stored): other processes forget it. */
export async function announceChange(
  models: ChangeModels,
  subject: string,
  at: Date = new Date(),
): Promise<void> {
  await insertValidated<DirectoryChangeDocument>(models.DirectoryChange, {
    _id: `${subject}/${randomUUID()}`,
    subject,
    period: changePeriod(at),
    at,
  });
}

/** Deletes the announcements stored before `before` (maintenance; no process asks for them). */
export async function deleteChangesBefore(models: ChangeModels, before: Date): Promise<number> {
  return (await models.DirectoryChange.deleteMany({ at: { $lt: before } })).deletedCount;
}

/** How what a process keeps learns of changes (given to each kind it keeps by infra/directory.ts). */
export interface KeptByChange {
  /** How long anything is kept at most, announcements or not (0: nothing is kept). */
  keepMs: number;
  /** False while polls fail: what is kept may be older than a change since; read afresh. */
  current(): boolean;
  /** Announces that `subject` changed (after the change is stored). */
  announce(subject: string): Promise<void>;
}

export interface ChangeWatch {
  /**
   * Whether a poll has succeeded recently (within three intervals): while not, what a process
   * keeps may be older than any change since, and it reads afresh.
   */
  current(): boolean;
  /** Asks now (the timer asks every interval on its own). */
  poll(): Promise<void>;
  stop(): void;
}

export interface ChangeWatchOptions {
  /** What changed since the last poll (each subject once): forget it. */
  onChanged(subjects: string[]): void;
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

export function watchChanges(models: ChangeModels, options: ChangeWatchOptions): ChangeWatch {
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
        models.DirectoryChange.find({ period }, { _id: 1, subject: 1, period: 1 }).lean(),
      ),
    );
    const changed = new Set<string>();
    for (const change of batches.flat()) {
      if (seen.has(change._id)) continue;
      seen.set(change._id, change.period);
      changed.add(change.subject);
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
          'directory changes: poll failed; providers and endpoints are read afresh until one succeeds',
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
