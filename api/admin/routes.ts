// Provider onboarding (role `admin`, mounted at /v1/admin/providers): register a store, hotel
// or clinic (its signing secret is shown once), list and read providers (never a secret),
// change their settings, and rotate their secret with a grace period. Secrets are kept by
// infra/provider-secrets.ts; settings changed here apply to new orders only, because
// checkout copies them into each order's workflow.

import { Router } from 'express';
import { isDuplicateKeyError, type Models } from '../../infra/db';
import type { ProviderDirectory } from '../../infra/provider-directory';
import type { ProviderDocument } from '../../infra/models/provider';
import {
  issueSecret,
  secretSummaries,
  type ProviderSecret,
  type SecretSummary,
} from '../../infra/provider-secrets';
import { ApiError } from '../errors';
import { canonicalTimeZone, DEFAULT_TIME_ZONE, hotelClock } from '../../infra/local-time';
import { ProviderParamsSchema } from '../schemas';
import {
  ListProvidersQuerySchema,
  onlyForClinics,
  onlyForHotels,
  RegisterProviderRequestSchema,
  RotateSecretRequestSchema,
  UpdateProviderRequestSchema,
  type AdminProvider,
} from './schemas';

export function adminProvidersRouter(deps: {
  models: Pick<Models, 'Provider' | 'ProviderSecret'>;
  /** What processes keep of each provider: told of every change made here. */
  providers: Pick<ProviderDirectory, 'changed'>;
  /** SECRET_ROTATION_GRACE_SECONDS: how long previous secrets stay valid after a rotation. */
  defaultGraceSeconds: number;
  /** Why webhooks may not go to a URL (infra/webhook-client.ts), or undefined. */
  webhookUrlRefusal: (url: string) => Promise<string | undefined>;
}): Router {
  const router = Router();
  const { models } = deps;
  const serialized = perKeyQueue();

  /** Refuses a webhook URL that points where webhooks may not go (SSRF). */
  async function checkWebhookUrl(url: string | null | undefined): Promise<void> {
    if (!url) return;
    const refusal = await deps.webhookUrlRefusal(url);
    if (refusal) {
      throw new ApiError(
        422,
        'webhook_url_not_allowed',
        'webhooks may not be sent where this URL points',
        [{ path: 'webhookUrl', message: refusal }],
      );
    }
  }

  router.post('/', async (req, res) => {
    const body = RegisterProviderRequestSchema.parse(req.body);
    const timeZone = knownTimeZone(body.timeZone);
    await checkWebhookUrl(body.webhookUrl);
    const now = new Date();
    let provider: ProviderDocument;
    try {
      // The primary key decides between concurrent registrations of one id.
      const created = await models.Provider.create({
        _id: body.providerId,
        vertical: body.vertical,
        name: body.name,
        webhookUrl: body.webhookUrl,
        confirmationTimeoutSeconds: body.confirmationTimeoutSeconds,
        doctorNoShowGraceSeconds: body.doctorNoShowGraceSeconds,
        timeZone,
        checkInTime: body.checkInTime,
        checkOutTime: body.checkOutTime,
        fallbackProviderIds: body.fallbackProviderIds,
        active: true,
        createdAt: now,
      });
      provider = created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw new ApiError(409, 'provider_exists', `provider ${body.providerId} already exists`, [
        { path: 'providerId' },
      ]);
    }
    const secret = await issueSecret(models, body.providerId, { graceSeconds: 0, now });
    await deps.providers.changed(body.providerId);
    req.log.info({ providerId: body.providerId, secretId: secret.id }, 'provider registered');
    res
      .status(201)
      .location(`${req.baseUrl}/${body.providerId}`)
      .set('Cache-Control', 'no-store')
      .json(await withSecret(provider, secret));
  });

  router.get('/', async (req, res) => {
    const query = ListProvidersQuerySchema.parse(req.query);
    const filter: Record<string, unknown> = {};
    if (query.vertical) filter.vertical = query.vertical;
    // Providers registered before the flag existed are active.
    if (query.active) filter.active = query.active === 'true' ? { $ne: false } : false;
    if (query.needsTimeZone) {
      // Only hotels need one (the others default to UTC).
      if (query.vertical && query.vertical !== 'hotel') return res.json({ providers: [] });
      filter.vertical = 'hotel';
      filter.timeZone = { $exists: false };
    }
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      filter.$or = [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: after.providerId } },
      ];
    }
    const page = await models.Provider.find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .lean();
    const providers = page.slice(0, query.limit);
    const last = providers.at(-1);
    res.json({
      providers: await views(providers),
      ...(page.length > query.limit && last ? { nextCursor: encodeCursor(last) } : {}),
    });
  });

  router.get('/:providerId', async (req, res) => {
    const { providerId } = ProviderParamsSchema.parse(req.params);
    res.json(await view(await existingProvider(providerId)));
  });

  router.patch('/:providerId', async (req, res) => {
    const { providerId } = ProviderParamsSchema.parse(req.params);
    const patch = UpdateProviderRequestSchema.parse(req.body);
    if (patch.timeZone !== undefined) patch.timeZone = knownTimeZone(patch.timeZone);
    await checkWebhookUrl(patch.webhookUrl);
    // FerretDB 1.x rewrites a whole document per update, so two PATCHes of one provider at
    // once could undo each other's fields; one process applies them one at a time. On
    // MongoDB each $set is atomic and only the fields sent are written.
    const updated = await serialized(providerId, async () => {
      const provider = await existingProvider(providerId);
      if (
        typeof patch.doctorNoShowGraceSeconds === 'number' &&
        provider.vertical !== 'teleconsultation'
      ) {
        throw new ApiError(422, 'validation_failed', 'the request is not valid', [
          { path: onlyForClinics.path.join('.'), message: onlyForClinics.message },
        ]);
      }
      if (patch.fallbackProviderIds?.includes(providerId)) {
        throw new ApiError(422, 'validation_failed', 'the request is not valid', [
          { path: 'fallbackProviderIds', message: 'a provider is not its own fallback' },
        ]);
      }
      for (const field of ['checkInTime', 'checkOutTime'] as const) {
        if (typeof patch[field] === 'string' && provider.vertical !== 'hotel') {
          const { path, message } = onlyForHotels(field);
          throw new ApiError(422, 'validation_failed', 'the request is not valid', [
            { path: path.join('.'), message },
          ]);
        }
      }
      const set: Record<string, unknown> = { updatedAt: new Date() };
      const unset: Record<string, 1> = {};
      for (const [field, value] of Object.entries(patch)) {
        if (value === null) unset[field] = 1;
        else if (value !== undefined) set[field] = value;
      }
      await models.Provider.updateOne(
        { _id: providerId },
        Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set },
      );
      await deps.providers.changed(providerId);
      return existingProvider(providerId);
    });
    req.log.info({ providerId, fields: Object.keys(patch) }, 'provider updated');
    res.json(await view(updated));
  });

  router.post('/:providerId/secrets', async (req, res) => {
    const { providerId } = ProviderParamsSchema.parse(req.params);
    const { graceSeconds = deps.defaultGraceSeconds } = RotateSecretRequestSchema.parse(
      req.body ?? {},
    );
    const provider = await existingProvider(providerId);
    const secret = await issueSecret(models, providerId, { graceSeconds });
    await deps.providers.changed(providerId);
    req.log.info({ providerId, secretId: secret.id, graceSeconds }, 'provider secret rotated');
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json(await withSecret(provider, secret));
  });

  /** The zone's canonical name, or 422 unknown_time_zone. */
  function knownTimeZone(name: string): string;
  function knownTimeZone(name: string | undefined): string | undefined;
  function knownTimeZone(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    const canonical = canonicalTimeZone(name);
    if (!canonical) {
      throw new ApiError(
        422,
        'unknown_time_zone',
        `${JSON.stringify(name)} is not an IANA time zone name such as Asia/Shanghai`,
        [{ path: 'timeZone', message: 'not an IANA time zone name (fixed offsets are not zones)' }],
      );
    }
    return canonical;
  }

  async function existingProvider(providerId: string): Promise<ProviderDocument> {
    const provider = await models.Provider.findById(providerId).lean();
    if (!provider) throw new ApiError(404, 'provider_not_found', 'no such provider');
    return provider;
  }

  async function views(providers: readonly ProviderDocument[]): Promise<AdminProvider[]> {
    const secrets = await secretSummaries(models, providers);
    return providers.map((provider) => toAdminView(provider, secrets.get(provider._id) ?? []));
  }

  async function view(provider: ProviderDocument): Promise<AdminProvider> {
    const [only] = await views([provider]);
    return only!;
  }

  async function withSecret(provider: ProviderDocument, secret: ProviderSecret) {
    return { ...(await view(provider)), signingSecret: secret.secret, signingSecretId: secret.id };
  }

  return router;
}

/** What an admin sees of a provider: every setting, never a secret (not even a legacy one). */
function toAdminView(provider: ProviderDocument, secrets: readonly SecretSummary[]): AdminProvider {
  return {
    providerId: provider._id,
    vertical: provider.vertical,
    name: provider.name,
    ...(provider.webhookUrl ? { webhookUrl: provider.webhookUrl } : {}),
    ...(provider.confirmationTimeoutSeconds != null
      ? { confirmationTimeoutSeconds: provider.confirmationTimeoutSeconds }
      : {}),
    ...(provider.doctorNoShowGraceSeconds != null
      ? { doctorNoShowGraceSeconds: provider.doctorNoShowGraceSeconds }
      : {}),
    timeZone: provider.timeZone ?? DEFAULT_TIME_ZONE,
    needsTimeZone: provider.vertical === 'hotel' && !provider.timeZone,
    ...(provider.vertical === 'hotel' ? hotelTimes(provider) : {}),
    ...(provider.fallbackProviderIds?.length
      ? { fallbackProviderIds: provider.fallbackProviderIds }
      : {}),
    active: provider.active !== false,
    createdAt: provider.createdAt.toISOString(),
    ...(provider.updatedAt ? { updatedAt: provider.updatedAt.toISOString() } : {}),
    secrets: secrets.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      ...(s.expiresAt ? { expiresAt: s.expiresAt.toISOString() } : {}),
    })),
  };
}

function hotelTimes(provider: ProviderDocument) {
  const { checkInTime, checkOutTime } = hotelClock(provider);
  return { checkInTime, checkOutTime };
}

/** Opaque to clients: the last provider of a page, by the listing's sort key. */
function encodeCursor(provider: ProviderDocument): string {
  return Buffer.from(
    JSON.stringify([provider.createdAt.toISOString(), provider._id]),
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; providerId: string } {
  try {
    const [createdAt, providerId] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    const at = new Date(typeof createdAt === 'string' ? createdAt : Number.NaN);
    if (typeof providerId === 'string' && !Number.isNaN(at.getTime()))
      return { createdAt: at, providerId };
  } catch {
    // Falls through to the 422.
  }
  throw new ApiError(422, 'validation_failed', 'the request is not valid', [
    { path: 'cursor', message: "not a cursor from this listing's nextCursor" },
  ]);
}

/** Runs tasks with the same key one after another (within this process). */
function perKeyQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    tails.set(key, run);
    try {
      return await run;
    } finally {
      if (tails.get(key) === run) tails.delete(key);
    }
  };
}
