// The app's backends during the fault suite: one endpoint that takes every event and one that
// is dead (nothing listens on its port), both registered before the storm. The dead one's
// deliveries retry through the run; orders must not notice (checkout's latency limit, every
// order settled, zero breaches), and the live one must hear of every order (`untold`): what
// the app's backend learns of its orders is a promise too.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminClient } from '../../dev/admin-client';
import type { Models } from '../../infra/db';
import { bump, type Tally } from './findings';

export interface AppEventStats {
  /** Events the live endpoint received (attempts, repeats included), and distinct ones. */
  liveReceived: number;
  liveDistinct: number;
  /** Orders the live endpoint heard of. */
  liveOrders: number;
  /** Orders whose newest event there shows another status than a read by id (finding H). */
  liveBehind?: { orderId: string; status: string; heard: string }[];
  /** Deliveries of each endpoint by status at the end of the run. */
  deliveries: { live: Tally; dead: Tally };
}

export async function startAppEventEndpoints(apiUrl: string, adminToken: string) {
  const ids = new Set<string>();
  /** Each order's newest event at the live endpoint: its sequence and the order's status. */
  const newest = new Map<string, { sequence: number; status: string }>();
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received += 1;
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: string;
          orderId: string;
          sequence: number;
          order: { status: string };
        };
        ids.add(event.id);
        const known = newest.get(event.orderId);
        if (!known || known.sequence < event.sequence)
          newest.set(event.orderId, { sequence: event.sequence, status: event.order.status });
      } catch {
        // Counted as received; the suite does not judge bodies.
      }
      res.writeHead(204).end();
    });
  });
  const listen = (s: typeof server) =>
    new Promise<number>((resolve) =>
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
    );
  const livePort = await listen(server);
  // A port that was free a moment ago and that nothing listens on now.
  const probe = createServer();
  const deadPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const admin = createAdminClient(apiUrl, adminToken);
  const register = (url: string) => admin.registerAppEndpointOrThrow(url, 'fault suite');
  const live = await register(`http://127.0.0.1:${livePort}/events`);
  const dead = await register(`http://127.0.0.1:${deadPort}/events`);

  return {
    async stats(models: Pick<Models, 'AppEventDelivery'>): Promise<AppEventStats> {
      const deliveries = { live: {} as Tally, dead: {} as Tally };
      const docs = await models.AppEventDelivery.find({ endpointId: { $in: [live, dead] } })
        .select({ endpointId: 1, status: 1 })
        .lean();
      for (const doc of docs)
        bump(doc.endpointId === live ? deliveries.live : deliveries.dead, doc.status);
      return {
        liveReceived: received,
        liveDistinct: ids.size,
        liveOrders: newest.size,
        deliveries,
      };
    },
    /**
     * What the live endpoint missed, after waiting up to `waitMs` for the relays' last rounds:
     * orders it heard nothing of, and orders whose newest event (by sequence) shows another
     * status than a read by id answers (docs/RELIABILITY.md, finding H).
     */
    async untold(statuses: ReadonlyMap<string, string>, waitMs: number) {
      const missed = () => {
        const unheard: string[] = [];
        const behind: { orderId: string; status: string; heard: string }[] = [];
        for (const [orderId, status] of statuses) {
          const heard = newest.get(orderId)?.status;
          if (heard === undefined) unheard.push(orderId);
          else if (heard !== status) behind.push({ orderId, status, heard });
        }
        return { unheard, behind };
      };
      const until = Date.now() + waitMs;
      let now = missed();
      while (now.unheard.length + now.behind.length > 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        now = missed();
      }
      return now;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
