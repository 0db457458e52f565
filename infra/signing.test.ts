import { signatureHeader, verifySignature } from './signing';

const secret = 'whsec_test';
const body = '{"decision":"accept"}';
const now = new Date('2030-01-01T00:00:00Z');
const seconds = (s: number) => new Date(now.getTime() + s * 1000);

describe('verifySignature', () => {
  test.each([
    ['a fresh signature', signatureHeader(secret, body, now), body, { valid: true }],
    ['one signed 299 s ago', signatureHeader(secret, body, seconds(-299)), body, { valid: true }],
    [
      'one signed 301 s ago',
      signatureHeader(secret, body, seconds(-301)),
      body,
      { valid: false, reason: 'stale' },
    ],
    [
      'one signed 301 s ahead',
      signatureHeader(secret, body, seconds(301)),
      body,
      { valid: false, reason: 'stale' },
    ],
    [
      'another body',
      signatureHeader(secret, body, now),
      body + ' ',
      { valid: false, reason: 'mismatch' },
    ],
    [
      'another secret',
      signatureHeader('whsec_other', body, now),
      body,
      { valid: false, reason: 'mismatch' },
    ],
    ['no header', undefined, body, { valid: false, reason: 'missing' }],
    ['no v1', `t=${now.getTime() / 1000}`, body, { valid: false, reason: 'malformed' }],
    [
      'a short v1',
      `t=${now.getTime() / 1000},v1=abcd`,
      body,
      { valid: false, reason: 'malformed' },
    ],
    [
      'a rotated secret beside the right one',
      `${signatureHeader('whsec_old', body, now)},v1=${signatureHeader(secret, body, now).split('v1=')[1]}`,
      body,
      { valid: true },
    ],
  ])('%s', (_case, header, received, expected) => {
    expect(verifySignature(header, secret, received, 300, now)).toEqual(expected);
  });
});
