import crypto, { createHmac } from 'node:crypto';
import {
  callbackSignatureHeader,
  callbackSigningPayload,
  verifyCallbackSignature,
  verifyWebhookSignature,
  webhookSignatureHeader,
  webhookSigningPayload,
  type CallbackRequest,
} from './signing';

const secret = 'whsec_test';
const oldSecret = 'whsec_old';
const body = '{"decision":"accept"}';
const now = new Date('2030-01-01T00:00:00Z');
const t = now.getTime() / 1000;
const seconds = (s: number) => new Date(now.getTime() + s * 1000);
const confirmation: CallbackRequest = {
  method: 'POST',
  target: '/v1/providers/p1/orders/o1/confirmation',
  rawBody: body,
};
const polling: CallbackRequest = {
  method: 'GET',
  target: '/v1/providers/p1/orders?status=awaiting_confirmation',
  rawBody: '',
};
const hex = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const v1Of = (header: string) => header.split('v1=').slice(1);

describe('the signing payloads', () => {
  test('a callback signs "<t>.<METHOD>.<path and query>.<raw body>", as in the contract', () => {
    expect(callbackSigningPayload(1764000000, confirmation).toString('utf8')).toBe(
      '1764000000.POST./v1/providers/p1/orders/o1/confirmation.{"decision":"accept"}',
    );
    expect(callbackSigningPayload(1764000000, polling).toString('utf8')).toBe(
      '1764000000.GET./v1/providers/p1/orders?status=awaiting_confirmation.',
    );
  });

  test('the callback method is upper-cased; the target is kept exactly, not decoded', () => {
    const target = '/v1/providers/p1/orders/%6F1/confirmation?x=a%20b';
    expect(
      callbackSigningPayload(1, { method: 'post', target, rawBody: '' }).toString('utf8'),
    ).toBe(`1.POST.${target}.`);
  });

  test('a method that is not an HTTP token cannot be signed', () => {
    expect(() => callbackSigningPayload(1, { ...confirmation, method: 'PO.ST' })).toThrow(
      TypeError,
    );
  });

  test('a webhook signs "<t>.<raw body>"', () => {
    expect(webhookSigningPayload(1764000000, body).toString('utf8')).toBe(
      '1764000000.{"decision":"accept"}',
    );
  });

  test('a raw body is signed byte for byte', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    expect(
      callbackSigningPayload(1, { ...confirmation, rawBody: bytes })
        .subarray(-4)
        .equals(bytes),
    ).toBe(true);
  });
});

describe('the headers', () => {
  test('a callback header is t and the HMAC-SHA256 of the contract string in hex', () => {
    expect(callbackSignatureHeader(secret, confirmation, new Date(1764000000_000))).toBe(
      `t=1764000000,v1=${hex(secret, '1764000000.POST./v1/providers/p1/orders/o1/confirmation.{"decision":"accept"}')}`,
    );
  });

  test('a lower-case method signs the same as its upper case', () => {
    expect(callbackSignatureHeader(secret, { ...confirmation, method: 'post' }, now)).toBe(
      callbackSignatureHeader(secret, confirmation, now),
    );
  });

  test('several secrets give one v1 each, in order', () => {
    const header = callbackSignatureHeader([oldSecret, secret], confirmation, now);
    expect(header).toBe(
      `t=${t},v1=${v1Of(callbackSignatureHeader(oldSecret, confirmation, now))[0]},v1=${v1Of(callbackSignatureHeader(secret, confirmation, now))[0]}`,
    );
  });

  test('a webhook header signs the body only', () => {
    const expected = `t=${t},v1=${hex(secret, `${t}.${body}`)}`;
    expect(webhookSignatureHeader(secret, body, now)).toBe(expected);
  });

  test('no secret signs nothing', () => {
    expect(() => callbackSignatureHeader([], confirmation, now)).toThrow(TypeError);
    expect(() => webhookSignatureHeader('', body, now)).toThrow(TypeError);
  });
});

describe('verifyCallbackSignature', () => {
  const signed = (request: Partial<CallbackRequest> = {}, at = now, key: string = secret) =>
    callbackSignatureHeader(key, { ...confirmation, ...request }, at);
  const valid = { valid: true };
  const mismatch = { valid: false, reason: 'mismatch' };
  const stale = { valid: false, reason: 'stale' };
  const malformed = { valid: false, reason: 'malformed' };
  const aV1 = v1Of(signed())[0];

  test.each<[string, string | undefined, Partial<CallbackRequest>, object]>([
    ['a fresh signature', signed(), {}, valid],
    ['one signed 299 s ago', signed({}, seconds(-299)), {}, valid],
    ['one signed 299 s ahead', signed({}, seconds(299)), {}, valid],
    ['one signed 301 s ago', signed({}, seconds(-301)), {}, stale],
    ['one signed 301 s ahead', signed({}, seconds(301)), {}, stale],
    ['the request arriving with a lower-case method', signed(), { method: 'post' }, valid],
    ['a signature over another body', signed(), { rawBody: `${body} ` }, mismatch],
    ['a signature over another method', signed({ method: 'PUT' }), {}, mismatch],
    [
      "a signature for another order's path",
      signed({ target: '/v1/providers/p1/orders/o2/confirmation' }),
      {},
      mismatch,
    ],
    [
      'a signature for another endpoint of the same order',
      signed({ target: '/v1/providers/p1/orders/o1/events' }),
      {},
      mismatch,
    ],
    [
      'a request with a query the signature did not cover',
      signed(),
      { target: `${confirmation.target}?x=1` },
      mismatch,
    ],
    [
      'a request with a trailing slash the signature did not cover',
      signed(),
      { target: `${confirmation.target}/` },
      mismatch,
    ],
    [
      'a percent-encoded target checked against its decoded form',
      signed({ target: '/v1/providers/p1/orders/o1/confirmation' }),
      { target: '/v1/providers/p1/orders/%6F1/confirmation' },
      mismatch,
    ],
    [
      'a GET over another query',
      signed({ ...polling, target: '/v1/providers/p1/orders?status=confirmed' }),
      polling,
      mismatch,
    ],
    ['a GET over its own query', signed(polling), polling, valid],
    ['a signature made with another secret', signed({}, now, 'whsec_other'), {}, mismatch],
    [
      'a webhook-style signature over the body only',
      webhookSignatureHeader(secret, body, now),
      {},
      mismatch,
    ],
    ['a request that is not a method', signed(), { method: 'PO.ST' }, mismatch],
    ['no header', undefined, {}, { valid: false, reason: 'missing' }],
    ['an empty header', '', {}, { valid: false, reason: 'missing' }],
    ['no v1', `t=${t}`, {}, malformed],
    ['no t', `v1=${aV1}`, {}, malformed],
    ['two t', `t=${t},t=${t},v1=${aV1}`, {}, malformed],
    ['a t that is not digits', `t=${t}.5,v1=${aV1}`, {}, malformed],
    ['a t too long to be seconds', `t=1${'0'.repeat(12)},v1=${aV1}`, {}, malformed],
    ['a short v1', `t=${t},v1=abcd`, {}, malformed],
    ['a v1 that is not hex', `t=${t},v1=${'z'.repeat(64)}`, {}, malformed],
    ['a bad v1 beside a good one', `t=${t},v1=${aV1},v1=abcd`, {}, malformed],
    ['an empty part', `t=${t},,v1=${aV1}`, {}, malformed],
    ['a part without a value', `t=${t},v1`, {}, malformed],
    ['a header that is not key=value', 'garbage', {}, malformed],
    ['spaces after the commas', `t=${t}, v1=${aV1}`, {}, valid],
    ['an upper-case v1', `t=${t},v1=${aV1!.toUpperCase()}`, {}, valid],
    ['an unknown scheme beside v1 (ignored)', `t=${t},v0=whatever,v1=${aV1}`, {}, valid],
    [
      'two v1 where only the second matches (rotation)',
      `t=${t},v1=${v1Of(signed({}, now, oldSecret))[0]},v1=${aV1}`,
      {},
      valid,
    ],
    [
      'two v1 where only the first matches (rotation)',
      `t=${t},v1=${aV1},v1=${v1Of(signed({}, now, oldSecret))[0]}`,
      {},
      valid,
    ],
    [
      'two v1 where neither matches',
      `t=${t},v1=${v1Of(signed({}, now, oldSecret))[0]},v1=${v1Of(signed({}, now, 'whsec_x'))[0]}`,
      {},
      mismatch,
    ],
    [
      "a v1 valid for another timestamp (t is part of what's signed)",
      `t=${t - 1},v1=${aV1}`,
      {},
      mismatch,
    ],
  ])('%s', (_case, header, request, expected) => {
    expect(
      verifyCallbackSignature(header, secret, { ...confirmation, ...request }, 300, now),
    ).toEqual(expected);
  });

  test('any v1 matching any of several candidate secrets passes', () => {
    const byOld = callbackSignatureHeader(oldSecret, confirmation, now);
    const byNew = callbackSignatureHeader(secret, confirmation, now);
    const byBoth = callbackSignatureHeader([oldSecret, secret], confirmation, now);
    for (const header of [byOld, byNew, byBoth])
      expect(verifyCallbackSignature(header, [oldSecret, secret], confirmation, 300, now)).toEqual({
        valid: true,
      });
    expect(verifyCallbackSignature(byBoth, [secret], confirmation, 300, now)).toEqual({
      valid: true,
    });
    expect(verifyCallbackSignature(byOld, [secret, 'whsec_x'], confirmation, 300, now)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  test('no candidate secret, or an empty one, verifies nothing', () => {
    const signedWithEmptyKey = `t=${t},v1=${createHmac('sha256', '').update(callbackSigningPayload(t, confirmation)).digest('hex')}`;
    expect(verifyCallbackSignature(signedWithEmptyKey, [''], confirmation, 300, now)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(
      verifyCallbackSignature(
        callbackSignatureHeader(secret, confirmation, now),
        [],
        confirmation,
        300,
        now,
      ),
    ).toEqual({ valid: false, reason: 'mismatch' });
  });

  test('every v1 is compared with every secret in constant time, even after a match', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const header = callbackSignatureHeader([secret, oldSecret], confirmation, now);
      expect(
        verifyCallbackSignature(header, [secret, oldSecret, 'whsec_x'], confirmation, 300, now),
      ).toEqual({ valid: true });
      expect(compare).toHaveBeenCalledTimes(6);
    } finally {
      compare.mockRestore();
    }
  });
});

describe('verifyWebhookSignature', () => {
  test.each<[string, string, string, object]>([
    ['a fresh signature', webhookSignatureHeader(secret, body, now), body, { valid: true }],
    [
      'another body',
      webhookSignatureHeader(secret, body, now),
      `${body} `,
      { valid: false, reason: 'mismatch' },
    ],
    [
      'a stale one',
      webhookSignatureHeader(secret, body, seconds(-301)),
      body,
      { valid: false, reason: 'stale' },
    ],
    [
      'a callback signature over the same body',
      callbackSignatureHeader(secret, confirmation, now),
      body,
      { valid: false, reason: 'mismatch' },
    ],
    [
      'another secret',
      webhookSignatureHeader('whsec_other', body, now),
      body,
      { valid: false, reason: 'mismatch' },
    ],
    [
      'a rotated secret beside the right one',
      webhookSignatureHeader([oldSecret, secret], body, now),
      body,
      { valid: true },
    ],
  ])('%s', (_case, header, received, expected) => {
    expect(verifyWebhookSignature(header, secret, received, 300, now)).toEqual(expected);
  });
});
