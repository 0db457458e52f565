import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  DecryptionError,
  decodePayloadsWithin,
  EncryptionCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  Keyring,
  payloadDataConverter,
  type KeySpec,
} from './codec';

const newKey = (id: string): KeySpec => ({ id, key: randomBytes(32).toString('base64') });
const k1 = newKey('k1');
const k2 = newKey('k2');
const codecWith = (...keys: KeySpec[]) =>
  new EncryptionCodec(new Keyring(keys, 'PAYLOAD_ENCRYPTION_KEYS'));

const order = {
  payment: { token: 'tok_secret_4242' },
  grocery: { deliveryAddress: '1 Private Lane, Hangzhou' },
};
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  test('round trip: the encoded payload is encrypted, names its key, and decodes to the original', async () => {
    const codec = codecWith(k1);
    const original = plain(order);
    const [encoded] = await codec.encode([original]);

    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k1');
    // iv (12) | ciphertext | tag (16): the serialised payload plus 28 bytes, no clear text.
    const serialised = temporal.api.common.v1.Payload.encode(original).finish();
    expect(encoded!.data!.length).toBe(serialised.length + 28);
    expect(Buffer.from(encoded!.data!).includes('tok_secret_4242')).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('Private Lane')).toBe(false);

    const [decoded] = await codec.decode([encoded!]);
    expect(valueOf(decoded!)).toEqual(order);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  test('the same value encrypts differently each time (a fresh iv per payload)', async () => {
    const codec = codecWith(k1);
    const [a, b] = await codec.encode([plain(order), plain(order)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  test('every payload gets an iv of its own, also across refills of the iv pool', async () => {
    const encoded = await codecWith(k1).encode(Array.from({ length: 1_000 }, () => plain(order)));
    const ivs = new Set(
      encoded.map((payload) => Buffer.from(payload.data!.subarray(0, 12)).toString('hex')),
    );
    expect(ivs.size).toBe(1_000);
    const decoded = await codecWith(k1).decode(encoded);
    expect(decoded.map(valueOf)).toEqual(Array.from({ length: 1_000 }, () => order));
  });

  test('key rotation: the new first key encrypts, payloads under the old key still decode', async () => {
    const [underK1] = await codecWith(k1).encode([plain('before rotation')]);
    const rotated = codecWith(k2, k1);
    const [underK2] = await rotated.encode([plain('after rotation')]);

    expect(text(underK2!.metadata![KEY_ID_METADATA])).toBe('k2');
    const decoded = await rotated.decode([underK1!, underK2!]);
    expect(decoded.map(valueOf)).toEqual(['before rotation', 'after rotation']);
    // Dropping k1 too early makes its payloads unreadable, naming the key.
    await expect(codecWith(k2).decode([underK1!])).rejects.toThrow(/"k1"/);
  });

  test('a changed ciphertext, tag or key id fails to decode', async () => {
    const codec = codecWith(k1, k2);
    const [encoded] = await codec.encode([plain(order)]);
    const flipped = (at: number) => {
      const data = Buffer.from(encoded!.data!);
      data[at] = data[at]! ^ 1;
      return { ...encoded!, data };
    };
    await expect(codec.decode([flipped(20)])).rejects.toThrow(DecryptionError); // ciphertext
    await expect(codec.decode([flipped(encoded!.data!.length - 1)])).rejects.toThrow(/changed/); // tag
    await expect(codec.decode([flipped(0)])).rejects.toThrow(DecryptionError); // iv
    const otherKey = {
      ...encoded!,
      metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    await expect(codec.decode([otherKey])).rejects.toThrow(DecryptionError);
    const truncated = { ...encoded!, data: encoded!.data!.subarray(0, 20) };
    await expect(codec.decode([truncated])).rejects.toThrow(/truncated/);
  });

  test('payloads that are not encrypted (older histories) pass through unchanged', async () => {
    const codec = codecWith(k1);
    const payloads = [plain(order), plain(null), plain(undefined), plain(new Uint8Array([1, 2]))];
    const decoded = await codec.decode(payloads);
    expect(decoded).toHaveLength(4);
    decoded.forEach((payload, i) => expect(payload).toBe(payloads[i]));
  });

  test('an unknown key id fails with an error naming it', async () => {
    const [encoded] = await codecWith(newKey('retired-2024')).encode([plain(order)]);
    const decoding = codecWith(k1, k2).decode([encoded!]);
    await expect(decoding).rejects.toThrow(DecryptionError);
    await expect(codecWith(k1, k2).decode([encoded!])).rejects.toThrow(
      /key "retired-2024", which PAYLOAD_ENCRYPTION_KEYS does not hold/,
    );
  });

  test('an encrypted payload without a key id is refused', async () => {
    const payload = {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) },
      data: Buffer.alloc(40),
    };
    await expect(codecWith(k1).decode([payload])).rejects.toThrow(KEY_ID_METADATA);
  });
});

describe('Keyring', () => {
  test('refuses keys that are not 32 bytes, and an empty list', () => {
    expect(
      () => new Keyring([{ id: 'short', key: randomBytes(16).toString('base64') }], 'X'),
    ).toThrow(/"short" is not 32 bytes/);
    expect(() => new Keyring([], 'X')).toThrow(/at least one key/);
  });
});

describe('payloadDataConverter', () => {
  test('no keys, no codec: payloads stay plain', () => {
    expect(payloadDataConverter(undefined)).toBeUndefined();
    expect(payloadDataConverter([])).toBeUndefined();
    expect(payloadDataConverter([k1])?.payloadCodecs).toHaveLength(1);
  });
});

describe('decodePayloadsWithin', () => {
  test('decrypts every payload in a fetched history in place, leaving plain and undecodable ones', async () => {
    const codec = codecWith(k1);
    const [input] = await codec.encode([plain(order)]);
    const [result] = await codec.encode([plain({ status: 'authorised' })]);
    const [foreign] = await codecWith(newKey('gone')).encode([plain('lost')]);
    const history = temporal.api.history.v1.History.fromObject({
      events: [
        {
          eventId: 1,
          workflowExecutionStartedEventAttributes: { input: { payloads: [input] } },
        },
        {
          eventId: 2,
          activityTaskCompletedEventAttributes: { result: { payloads: [result, plain('clear')] } },
        },
        { eventId: 3, activityTaskCompletedEventAttributes: { result: { payloads: [foreign] } } },
      ],
    });
    await decodePayloadsWithin(history, [codec]);

    const [started, completed, unreadable] = history.events;
    expect(valueOf(started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!)).toEqual(
      order,
    );
    expect(completed!.activityTaskCompletedEventAttributes!.result!.payloads!.map(valueOf)).toEqual(
      [{ status: 'authorised' }, 'clear'],
    );
    expect(
      text(
        unreadable!.activityTaskCompletedEventAttributes!.result!.payloads![0]!.metadata!.encoding,
      ),
    ).toBe(ENCRYPTED_ENCODING);
  });
});
