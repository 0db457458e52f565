import type { Payload } from '@temporalio/common';
import { REDACTED, redactSecretsWithin } from './redact';

const utf8 = new TextEncoder();
const json = (value: unknown): Payload => ({
  metadata: { encoding: utf8.encode('json/plain') },
  data: utf8.encode(JSON.stringify(value)),
});
const read = (payload: Payload) => JSON.parse(new TextDecoder().decode(payload.data!)) as unknown;

describe('redacting a raw history', () => {
  it('replaces payment tokens at any depth, and nothing else', () => {
    const input = json({
      customerId: 'cust_1',
      request: { paymentToken: 'tok_card_on_file_123' },
      lines: [{ sku: 'a', meta: { token: 'tok_2' } }],
    });
    const history = { events: [{ attributes: { input: { payloads: [input] } } }] };
    redactSecretsWithin(history);
    expect(read(input)).toEqual({
      customerId: 'cust_1',
      request: { paymentToken: REDACTED },
      lines: [{ sku: 'a', meta: { token: REDACTED } }],
    });
  });

  it('leaves payloads without a token, binary payloads and non-string tokens as they were', () => {
    const plain = json({ status: 'completed' });
    const before = plain.data;
    const binary: Payload = {
      metadata: { encoding: utf8.encode('binary/encrypted') },
      data: utf8.encode('{"token":"looks like JSON but is ciphertext"}'),
    };
    const numeric = json({ token: 42 });
    redactSecretsWithin([plain, binary, numeric]);
    expect(plain.data).toBe(before);
    expect(new TextDecoder().decode(binary.data!)).toContain('ciphertext');
    expect(read(numeric)).toEqual({ token: 42 });
  });

  it('skips a json/plain payload that is not JSON', () => {
    const broken: Payload = {
      metadata: { encoding: utf8.encode('json/plain') },
      data: utf8.encode('{"token": "tok_'),
    };
    redactSecretsWithin({ broken });
    expect(new TextDecoder().decode(broken.data!)).toBe('{"token": "tok_');
  });
});
