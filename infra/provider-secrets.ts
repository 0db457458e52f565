// Provider signing secrets: issuing them (registration, rotation) and which are valid now.
// The only module that reads or writes `provider_secrets` and the legacy `signingSecret` of
// older providers, so encrypting secrets at rest is a change to this module alone.
//
// Rotation needs no update (FerretDB 1.x does not make updates atomic): every secret is an
// insert-only record, numbered per provider, and a new one carries `retiresPredecessorsAt`
// (its creation + the rotation's grace). A secret is valid until the earliest
// `retiresPredecessorsAt` of the secrets issued after it. So the newest secret is always
// valid, a later rotation can shorten but never extend an older secret's life, and two
// concurrent rotations both keep their secret: the older of the two retires after the other's
// grace.
//
// At rest, a secret is `enc:v1:<keyId>:<base64 of iv | ciphertext | tag>` (AES-256-GCM under
// SECRET_ENCRYPTION_KEYS, infra/codec.ts's keyring); a value without the `enc:` prefix was
// written before encryption and reads as it is. Each process says once which keys its models
// use (`useSecretKeys`); a module that forgot gets an error, never a secret stored in clear.

import { Keyring, type KeySpec } from './codec';
import { isDuplicateKeyError, type Models } from './db';
import type { ProviderDocument, ProviderSecretDocument } from './models/provider';
import { generateSigningSecret } from './signing';

type SecretModels = Pick<Models, 'ProviderSecret'>;
/** What this module needs of a provider: its id and, for older ones, the legacy secret. */
export type ProviderRef = Pick<ProviderDocument, '_id' | 'createdAt' | 'signingSecret'>;

export interface ProviderSecret {
  /** `<providerId>#<seq>`; safe to show. */
  id: string;
  secret: string;
  createdAt: Date;
  /** When a rotation retires it; absent while no later secret exists. */
  expiresAt?: Date;
}

/** A secret as admins see it: everything but the secret. */
export type SecretSummary = Omit<ProviderSecret, 'secret'>;

/** Concurrent rotations of one provider each retry on a taken number; this many is absurd. */
const MAX_ISSUE_ATTEMPTS = 20;

const secretId = (providerId: string, seq: number) => `${providerId}#${seq}`;

const ENCRYPTED_PREFIX = 'enc:';
const FORMAT = /^enc:v1:([\w.-]+):([A-Za-z0-9+/]+={0,2})$/;

/** Per connection (its ProviderSecret model): the keyring, or null for secrets in clear. */
const keyrings = new WeakMap<object, Keyring | null>();

/**
 * Says which keys protect these models' secrets (config.secretEncryptionKeys): the first
 * encrypts new secrets, all of them decrypt. Without keys, new secrets are stored in clear
 * (development only: production configuration requires keys).
 */
export function useSecretKeys(models: SecretModels, keys: readonly KeySpec[] | undefined): void {
  keyrings.set(
    models.ProviderSecret,
    keys?.length ? new Keyring(keys, 'SECRET_ENCRYPTION_KEYS') : null,
  );
}

function keyringOf(models: SecretModels): Keyring | null {
  const keyring = keyrings.get(models.ProviderSecret);
  if (keyring === undefined) {
    throw new Error(
      'provider secrets: useSecretKeys(models, config.secretEncryptionKeys) was not called for this database',
    );
  }
  return keyring;
}

/** The stored form of a secret. */
function seal(models: SecretModels, secret: string): string {
  const keyring = keyringOf(models);
  if (!keyring) return secret;
  const { keyId, sealed } = keyring.seal(Buffer.from(secret, 'utf8'));
  return `${ENCRYPTED_PREFIX}v1:${keyId}:${sealed.toString('base64')}`;
}

/** The secret from its stored form; values written before encryption are in clear. */
function unseal(models: SecretModels, stored: string): string {
  if (!stored.startsWith(ENCRYPTED_PREFIX)) return stored;
  const [, keyId, sealed] = FORMAT.exec(stored) ?? [];
  if (!keyId || !sealed) throw new Error('a provider secret is stored in an unknown format');
  const keyring = keyringOf(models);
  if (!keyring) {
    throw new Error(
      `a provider secret is encrypted with key "${keyId}", but SECRET_ENCRYPTION_KEYS is not set`,
    );
  }
  return keyring.open(keyId, Buffer.from(sealed, 'base64')).toString('utf8');
}

// App endpoints' signing secrets are kept the same way, under the same keys
// (infra/app-endpoints.ts).
export { seal as sealSecret, unseal as openSecret };

/**
 * Issues the provider's next secret; the ones before it stay valid for `graceSeconds` more (or
 * less, if an earlier rotation already retires them sooner). Answers the new secret, which the
 * admin API shows once.
 */
export async function issueSecret(
  models: SecretModels,
  providerId: string,
  options: { graceSeconds: number; now?: Date },
): Promise<ProviderSecret> {
  const createdAt = options.now ?? new Date();
  const secret = generateSigningSecret();
  const stored = seal(models, secret);
  for (let attempt = 1; attempt <= MAX_ISSUE_ATTEMPTS; attempt++) {
    const newest = await models.ProviderSecret.findOne({ providerId })
      .sort({ seq: -1 })
      .select({ seq: 1 })
      .lean();
    const seq = (newest?.seq ?? 0) + 1;
    try {
      await models.ProviderSecret.create({
        _id: secretId(providerId, seq),
        providerId,
        seq,
        secret: stored,
        createdAt,
        retiresPredecessorsAt: new Date(createdAt.getTime() + options.graceSeconds * 1000),
      });
      return { id: secretId(providerId, seq), secret, createdAt };
    } catch (error) {
      // Another rotation took this number first: take the next one.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  throw new Error(`could not issue a secret for ${providerId}: too many concurrent rotations`);
}

/**
 * The provider's secrets, read once and unsealed: which of them are valid is asked at a given
 * time (infra/provider-directory.ts keeps one of these for a few seconds).
 */
export interface ProviderSecrets {
  /** The secrets valid at `now`, newest first (empty only if none was ever issued). */
  validAt(now: Date): ProviderSecret[];
}

/** The provider's `records` (its secret records, newest first) as ProviderSecrets. */
export function openSecrets(
  models: SecretModels,
  provider: ProviderRef,
  records: readonly ProviderSecretDocument[],
): ProviderSecrets {
  const issued = withLegacy(records, provider);
  // Unsealed when first valid, once: a retired secret under a retired key is never opened.
  const opened = new Map<string, string>();
  const open = ({ id, secret }: ProviderSecret) => {
    let plain = opened.get(id);
    if (plain === undefined) opened.set(id, (plain = unseal(models, secret)));
    return plain;
  };
  return {
    validAt: (now) => liveSecrets(issued, now).map((live) => ({ ...live, secret: open(live) })),
  };
}

/** The provider's secrets valid at `now`, newest first (empty only if none was ever issued). */
export async function validSecrets(
  models: SecretModels,
  provider: ProviderRef,
  now: Date = new Date(),
): Promise<ProviderSecret[]> {
  const records = await models.ProviderSecret.find({ providerId: provider._id })
    .sort({ seq: -1 })
    .lean();
  return openSecrets(models, provider, records).validAt(now);
}

/** The secret a provider should sign with now (the newest), if it has one. */
export async function newestSecret(
  models: SecretModels,
  provider: ProviderRef,
): Promise<string | undefined> {
  const newest = await models.ProviderSecret.findOne({ providerId: provider._id })
    .sort({ seq: -1 })
    .lean();
  const stored = newest?.secret ?? provider.signingSecret;
  return stored === undefined ? undefined : unseal(models, stored);
}

/** What admins see of each provider's valid secrets (no secret), with one query. */
export async function secretSummaries(
  models: SecretModels,
  providers: readonly ProviderRef[],
  now: Date = new Date(),
): Promise<Map<string, SecretSummary[]>> {
  const records = await models.ProviderSecret.find({
    providerId: { $in: providers.map((p) => p._id) },
  })
    .sort({ seq: -1 })
    .lean();
  return new Map(
    providers.map((provider) => [
      provider._id,
      liveSecrets(
        withLegacy(
          records.filter((r) => r.providerId === provider._id),
          provider,
        ),
        now,
      ).map(({ id, createdAt, expiresAt }) => ({
        id,
        createdAt,
        ...(expiresAt ? { expiresAt } : {}),
      })),
    ]),
  );
}

type SecretRecord = Pick<
  ProviderSecretDocument,
  'seq' | 'secret' | 'createdAt' | 'retiresPredecessorsAt'
> & { id: string };

/** A legacy `signingSecret` is the provider's secret number 0, issued at its registration. */
function withLegacy(
  records: readonly ProviderSecretDocument[],
  provider: ProviderRef,
): SecretRecord[] {
  const issued: SecretRecord[] = records.map((r) => ({ ...r, id: r._id }));
  if (provider.signingSecret) {
    issued.push({
      id: secretId(provider._id, 0),
      seq: 0,
      secret: provider.signingSecret,
      createdAt: provider.createdAt,
      retiresPredecessorsAt: provider.createdAt,
    });
  }
  return issued;
}

/**
 * `records` newest first: each is valid until the earliest retirement issued after it. The
 * secrets are as stored (possibly encrypted).
 */
function liveSecrets(records: readonly SecretRecord[], now: Date): ProviderSecret[] {
  const live: ProviderSecret[] = [];
  let retiredAt = Number.POSITIVE_INFINITY;
  for (const record of records) {
    if (retiredAt <= now.getTime()) break;
    live.push({
      id: record.id,
      secret: record.secret,
      createdAt: record.createdAt,
      ...(Number.isFinite(retiredAt) ? { expiresAt: new Date(retiredAt) } : {}),
    });
    retiredAt = Math.min(retiredAt, record.retiresPredecessorsAt.getTime());
  }
  return live;
}
