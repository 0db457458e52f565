// The app's event endpoints and their signing secrets, and Standard Webhooks signatures
// (https://www.standardwebhooks.com): the only module that reads or writes an endpoint's
// secret. Secrets are sealed at rest exactly as providers' are (infra/provider-secrets.ts).

import { createHmac, randomBytes } from 'node:crypto';
import type { Models } from './db';
import { changeSubject, type KeptByChange } from './directory-changes';
import { keptReads } from './kept';
import type { AppEndpointDocument } from './models/app-event';
import { openSecret, sealSecret } from './provider-secrets';

type EndpointModels = Pick<Models, 'AppEndpoint' | 'ProviderSecret'>;

const SECRET_PREFIX = 'whsec_';

/** An endpoint as admins see it: never its secret. */
export interface AppEndpointView {
  endpointId: string;
  url: string;
  description?: string;
  createdAt: string;
}

export function endpointView(endpoint: AppEndpointDocument): AppEndpointView {
  return {
    endpointId: endpoint._id,
    url: endpoint.url,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    createdAt: endpoint.createdAt.toISOString(),
  };
}

/** Registers an endpoint; answers it with its secret (`whsec_<base64 key>`), shown this once. */
export async function registerEndpoint(
  models: EndpointModels,
  input: { url: string; description?: string },
): Promise<AppEndpointView & { signingSecret: string }> {
  const signingSecret = `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
  const created = await models.AppEndpoint.create({
    _id: `ep_${randomBytes(12).toString('base64url')}`,
    url: input.url,
    description: input.description,
    secret: sealSecret(models, signingSecret),
    createdAt: new Date(),
  });
  return { ...endpointView(created.toObject()), signingSecret };
}

/** The endpoints events go to now (not deleted), oldest first. */
async function liveEndpoints(models: Pick<Models, 'AppEndpoint'>): Promise<AppEndpointDocument[]> {
  return models.AppEndpoint.find({ deletedAt: { $exists: false } })
    .sort({ createdAt: 1 })
    .lean();
}

/**
 * The live endpoints as a process keeps them until they change (infra/directory.ts), so that a
 * publication does not read them every time: an endpoint registered or deleted through another
 * process is seen within DIRECTORY_CACHE_SECONDS, at once where it was made (`changed`). A
 * delivery reads its endpoint afresh before each attempt, so a deleted endpoint receives nothing.
 */
export interface KeptEndpoints {
  live(): Promise<AppEndpointDocument[]>;
  /** An admin registered or deleted an endpoint: forgotten here, announced to the others. */
  changed(): Promise<void>;
  /** Another process announced a change. */
  forget(): void;
  holdsAny(): boolean;
}

export function keptEndpoints(
  models: Pick<Models, 'AppEndpoint'>,
  keep: KeptByChange,
): KeptEndpoints {
  const kept = keptReads(async () => liveEndpoints(models), { keepMs: keep.keepMs, maxKeys: 1 });
  return {
    live: async () => (await kept.get('live', keep.current() ? {} : { fresh: true })) ?? [],
    async changed() {
      kept.forget('live');
      await keep.announce(changeSubject.appEndpoints);
    },
    forget: () => kept.forget('live'),
    holdsAny: () => kept.holdsAny(),
  };
}

/**
 * Signs messages for one endpoint with its stored secret, opened once: each call gives the
 * headers that sign `body` as event `id` at `now`.
 */
export function endpointSigner(
  models: Pick<Models, 'ProviderSecret'>,
  endpoint: Pick<AppEndpointDocument, 'secret'>,
): (message: { id: string; body: string; now: Date }) => Record<string, string> {
  const secret = openSecret(models, endpoint.secret);
  return (message) => standardWebhookHeaders(secret, message);
}

/**
 * Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<unix seconds>.<body>">`
 * keyed with the secret's base64-decoded key.
 */
export function standardWebhookHeaders(
  secret: string,
  { id, body, now }: { id: string; body: string; now: Date },
): Record<string, string> {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const timestamp = Math.floor(now.getTime() / 1000).toString();
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestamp}.${body}`, 'utf8')
    .digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}
