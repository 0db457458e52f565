// Encryption at rest with AES-256-GCM: a keyring of named keys from configuration (the first
// encrypts, every one decrypts, so keys rotate without breaking what is already stored), and
// the Temporal payload codec built on it, used by the client, the worker, the support timeline
// and the codec endpoint for the Web UI. Provider signing secrets use the same keyring type.
//
// An encrypted payload is a new payload with metadata `encoding: binary/encrypted` and
// `encryption-key-id: <id>`, whose data is iv (12 bytes) | ciphertext | tag (16 bytes) of the
// original payload serialised as a protobuf. Payloads without that encoding (histories
// recorded before encryption was turned on) pass through decoding unchanged.

import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** A key as configuration holds it: `<id>:<base64 of 32 bytes>` entries. */
export interface KeySpec {
  id: string;
  /** Base64 of 32 random bytes. */
  key: string;
}

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Fresh random IVs, sliced from a buffer the CSPRNG fills a few hundred IVs at a time: every
 * payload is sealed with a new IV, and `randomBytes(12)` per payload was a call into OpenSSL
 * and the kernel each time (~5 µs of CPU on our benchmark machines, against ~0.3 µs for a
 * slice; docs/BENCHMARKS.md, "Tenth round"). A new buffer per refill: a slice handed out is
 * never written again.
 */
class RandomIvs {
  private static readonly PER_REFILL = 256;
  private pool = Buffer.alloc(0);
  private next = 0;

  constructor(private readonly bytes: number) {}

  take(): Buffer {
    if (this.next + this.bytes > this.pool.length) {
      this.pool = randomBytes(this.bytes * RandomIvs.PER_REFILL);
      this.next = 0;
    }
    const iv = this.pool.subarray(this.next, this.next + this.bytes);
    this.next += this.bytes;
    return iv;
  }
}

const ivs = new RandomIvs(IV_BYTES);

/** Named AES-256-GCM keys: the first encrypts; any of them decrypts what it encrypted. */
export class Keyring {
  // Key objects: a cipher made from one skips importing the key's bytes each time.
  private readonly keys = new Map<string, KeyObject>();
  readonly currentKeyId: string;

  /** `setting` names where the keys come from, for error messages (e.g. PAYLOAD_ENCRYPTION_KEYS). */
  constructor(
    specs: readonly KeySpec[],
    private readonly setting: string,
  ) {
    const [first] = specs;
    if (!first) throw new Error(`${setting}: at least one key is needed`);
    for (const { id, key } of specs) {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length !== KEY_BYTES)
        throw new Error(`${setting}: key "${id}" is not ${KEY_BYTES} bytes`);
      this.keys.set(id, createSecretKey(bytes));
    }
    this.currentKeyId = first.id;
  }

  /** Encrypts with the current key: iv | ciphertext | tag. */
  seal(plaintext: Uint8Array): { keyId: string; sealed: Buffer } {
    const iv = ivs.take();
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      keyId: this.currentKeyId,
      sealed: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  /** Decrypts what `seal` produced with the key `keyId`; fails on any change to it. */
  open(keyId: string, sealed: Uint8Array): Buffer {
    const key = this.keys.get(keyId);
    if (!key) {
      throw new DecryptionError(
        `encrypted with key "${keyId}", which ${this.setting} does not hold: add it back to decrypt`,
      );
    }
    if (sealed.length < IV_BYTES + TAG_BYTES)
      throw new DecryptionError(`the ciphertext for key "${keyId}" is truncated`);
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new DecryptionError(
        `the ciphertext for key "${keyId}" does not authenticate: it was changed or the key is wrong`,
      );
    }
  }
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const text = (bytes: Uint8Array | null | undefined) =>
  bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') : undefined;
const { Payload: PayloadMessage } = temporal.api.common.v1;

/** The payload codec: encrypts every payload, decrypts encrypted ones, passes others through. */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const { keyId, sealed } = this.keyring.seal(PayloadMessage.encode(payload).finish());
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new DecryptionError(`an encrypted payload has no ${KEY_ID_METADATA}`);
      try {
        return PayloadMessage.decode(this.keyring.open(keyId, payload.data ?? new Uint8Array()));
      } catch (error) {
        if (error instanceof DecryptionError)
          throw new DecryptionError(`cannot decrypt a payload: ${error.message}`);
        throw error;
      }
    });
  }
}

/** The codec for configured payload keys; none (plain payloads) when there are none. */
export function payloadCodec(keys: readonly KeySpec[] | undefined): PayloadCodec | undefined {
  return keys?.length
    ? new EncryptionCodec(new Keyring(keys, 'PAYLOAD_ENCRYPTION_KEYS'))
    : undefined;
}

/** The data converter the client and the worker share: the default one plus the codec. */
export function payloadDataConverter(
  keys: readonly KeySpec[] | undefined,
): DataConverter | undefined {
  const codec = payloadCodec(keys);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** Runs payloads back through `codecs` (the last one applied first, as on the wire). */
export async function decodePayloads(
  codecs: readonly PayloadCodec[],
  payloads: Payload[],
): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}

export async function encodePayloads(
  codecs: readonly PayloadCodec[],
  payloads: Payload[],
): Promise<Payload[]> {
  let encoded = payloads;
  for (const codec of codecs) encoded = await codec.encode(encoded);
  return encoded;
}

/**
 * Decodes in place every payload found anywhere in `root` (a fetched history, pending
 * activities…), which the client's `fetchHistory` leaves as stored. A payload that cannot be
 * decoded (its key is gone) stays as it is, for the reader to show as unreadable.
 */
export async function decodePayloadsWithin(
  root: unknown,
  codecs: readonly PayloadCodec[],
): Promise<void> {
  if (codecs.length === 0) return;
  for (const payload of payloadsWithin(root)) {
    try {
      const [decoded] = await decodePayloads(codecs, [payload]);
      if (decoded && decoded !== payload) {
        payload.metadata = decoded.metadata;
        payload.data = decoded.data;
      }
    } catch {
      // Left encoded: the timeline reads an undecodable payload as nothing.
    }
  }
}

function isPayload(value: object): value is Payload {
  const { metadata, data } = value as Payload;
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    Object.values(metadata).every((v) => v instanceof Uint8Array) &&
    (data === undefined || data === null || data instanceof Uint8Array)
  );
}

/** Every payload found anywhere in `root` (the objects themselves: changing one changes `root`). */
export function payloadsWithin(root: unknown): Payload[] {
  const found: Payload[] = [];
  collectPayloads(root, found);
  return found;
}

function collectPayloads(value: unknown, found: Payload[]): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) collectPayloads(item, found);
    return;
  }
  if ('metadata' in value && isPayload(value)) {
    found.push(value);
    return;
  }
  for (const child of Object.values(value)) collectPayloads(child, found);
}
