// The demo provider simulator: receives orderflow's signed webhooks for the seeded demo
// providers and plays a well-behaved provider — accepts each new order, then reports its
// progress (a grocery courier's pickup and delivery, a hotel guest's stay) — so a demo
// order completes with no other step. A clinic accepts; its consultation follows the clock.

import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderSnapshot } from '../domain/order';
import type { Logger } from '../infra/logger';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../infra/signing';
import { createProviderClient, type ProviderCredentials } from './provider-client';

export interface SimulatedProvider extends ProviderCredentials {
  /** Seconds the simulated staff take for each step. */
  stepDelaySeconds: number;
}

export interface ProviderSimulator {
  url: string;
  webhookUrl(providerId: string): string;
  close(): Promise<void>;
}

const EVENT_RETRIES = 10;

/** What the simulated provider reports after accepting, in order. */
const PROGRESS: Record<OrderSnapshot['vertical'], readonly string[]> = {
  grocery: ['picked_up', 'delivered'],
  hotel: ['checked_in', 'checked_out'],
  teleconsultation: [],
};

export async function startProviderSimulator(options: {
  apiUrl: () => string;
  providers: () => Promise<SimulatedProvider[]>;
  logger: Logger;
  port?: number;
}): Promise<ProviderSimulator> {
  const { logger } = options;
  let stopping = false;

  async function play(provider: SimulatedProvider, order: OrderSnapshot): Promise<void> {
    const client = createProviderClient(options.apiUrl(), provider);
    const pause = () => sleep(provider.stepDelaySeconds * 1000);
    await pause();
    const confirmed = await client.confirm(order.orderId, {
      decision: 'accept',
      ...(order.vertical === 'hotel' ? { confirmationCode: `HTL-${order.orderId.slice(-6)}` } : {}),
    });
    logger.info({ orderId: order.orderId, status: confirmed.status }, 'simulator: accepted order');
    for (const type of PROGRESS[order.vertical]) {
      await pause();
      // Dispatch may not have started yet (409): try again shortly.
      for (let attempt = 1; attempt <= EVENT_RETRIES && !stopping; attempt++) {
        const reported = await client.reportEvent(order.orderId, type);
        if (reported.status === 200) break;
        await sleep(500 * attempt);
      }
      logger.info({ orderId: order.orderId, type }, 'simulator: reported event');
    }
  }

  const server: Server = createServer((req, res) => {
    const match = /^\/webhooks\/([^/]+)$/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const providers = await options.providers();
        const provider = providers.find((p) => p.providerId === match?.[1]);
        const raw = Buffer.concat(chunks);
        if (req.method !== 'POST' || !provider) {
          res.writeHead(404).end();
          return;
        }
        // Webhooks are signed over "<t>.<raw body>"; the simulator's own callbacks (through
        // the provider client) over "<t>.<METHOD>.<path and query>.<raw body>".
        if (
          !verifyWebhookSignature(
            req.headers[SIGNATURE_HEADER.toLowerCase()] as string,
            provider.signingSecret,
            raw,
            300,
          ).valid
        ) {
          res.writeHead(401).end();
          return;
        }
        res.writeHead(204).end();
        const webhook = JSON.parse(raw.toString('utf8')) as { type: string; order: OrderSnapshot };
        if (webhook.type !== 'order.created') return;
        play(provider, webhook.order).catch((error: unknown) =>
          logger.warn(
            { err: error, orderId: webhook.order.orderId },
            'simulator: could not play order',
          ),
        );
      })().catch((error: unknown) => {
        logger.error({ err: error }, 'simulator: webhook handling failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    webhookUrl: (providerId) => `${url}/webhooks/${providerId}`,
    close: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
