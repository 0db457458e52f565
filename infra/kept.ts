// Values read from the database and kept for a few seconds per process, for the hot paths that
// would otherwise read the same record for every order (providers, their secrets, the app's
// endpoints). Concurrent reads of one key share one query; `forget` drops a key at once (its
// owner changed it), including a read of it still under way; a `fresh` read replaces what is kept.

import { LRUCache } from 'lru-cache';

export interface Kept<V> {
  /** The value (null: none), kept unless `fresh` or older than the keep time. */
  get(key: string, options?: { fresh?: boolean }): Promise<V | null>;
  forget(key: string): void;
  forgetAll(): void;
  /** Whether anything is kept or being read. */
  holdsAny(): boolean;
}

export function keptReads<V extends object>(
  read: (key: string) => Promise<V | null>,
  options: { keepMs: number; maxKeys: number; now?: () => number },
): Kept<V> {
  // 0: nothing is kept (every get reads).
  if (options.keepMs <= 0)
    return {
      get: (key) => read(key),
      forget: () => undefined,
      forgetAll: () => undefined,
      holdsAny: () => false,
    };
  // Nulls are not kept: a record created elsewhere is seen on the next get.
  const values = new LRUCache<string, V>({
    max: options.maxKeys,
    ttl: options.keepMs,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  const reading = new Map<string, Promise<V | null>>();
  return {
    async get(key, { fresh = false } = {}) {
      if (!fresh) {
        const value = values.get(key);
        if (value) return value;
        const pending = reading.get(key);
        if (pending) return pending;
      }
      const pending = read(key);
      reading.set(key, pending);
      try {
        const value = await pending;
        // A forget (or a fresher read) since this read began wins over it.
        if (reading.get(key) === pending) {
          if (value) values.set(key, value);
          else values.delete(key);
        }
        return value;
      } finally {
        if (reading.get(key) === pending) reading.delete(key);
      }
    },
    forget(key) {
      values.delete(key);
      reading.delete(key);
    },
    forgetAll() {
      values.clear();
      reading.clear();
    },
    holdsAny: () => values.size > 0 || reading.size > 0,
  };
}
