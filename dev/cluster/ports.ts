// The cluster's ports, chosen once and kept in `<dataDir>/cluster-ports.json`: the next start
// takes the same ones when they are still free, so the Web UI's address and the URLs in a
// terminal's history stay valid, and the Temporal server's membership (which remembers its
// hosts' addresses in PostgreSQL) finds itself where it was.

import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, preferPort } from '../embedded';

export interface PortBook {
  /**
   * The port kept for `name` if free, else `preferred` if free, else any free port (with
   * `below`: the first free one after `preferred` under that bound).
   */
  take(name: string, preferred?: number, options?: { below?: number }): Promise<number>;
}

/**
 * `anyFree`: prefer no well-known port (tests, which run beside an `npm start` of their own);
 * a port that must stay `below` a bound is then looked for well away from its default, from a
 * point drawn at random for this book. Clusters started side by side (the suite's, on two jest
 * workers) would otherwise look at the same ports in the same order: one took the membership
 * port that another's Temporal server had let go for the moment of a restart, and that server
 * could not start again ("bind: address already in use").
 */
export function portBook(dataDir: string, { anyFree = false } = {}): PortBook {
  const file = path.join(dataDir, 'cluster-ports.json');
  // Well-known ports are below 10,000; membership ports must stay below 32,768 (the bound).
  const awayFromDefaults = 10_000 + 10 * randomInt(0, 1_200);
  const kept: Record<string, number> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>)
    : {};
  const taken = new Set<number>();
  return {
    async take(name, wellKnown, options = {}) {
      const preferred =
        anyFree && wellKnown !== undefined
          ? options.below !== undefined
            ? wellKnown + awayFromDefaults
            : undefined
          : wellKnown;
      let port: number | undefined;
      for (const candidate of [kept[name], preferred]) {
        if (candidate === undefined || taken.has(candidate)) continue;
        if ((await preferPort(candidate)) === candidate) {
          port = candidate;
          break;
        }
      }
      if (port === undefined && preferred !== undefined && options.below !== undefined)
        for (let candidate = preferred + 1; candidate < options.below; candidate++)
          if (!taken.has(candidate) && (await preferPort(candidate)) === candidate) {
            port = candidate;
            break;
          }
      while (port === undefined || taken.has(port)) port = await freePort();
      taken.add(port);
      kept[name] = port;
      writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`);
      return port;
    },
  };
}
