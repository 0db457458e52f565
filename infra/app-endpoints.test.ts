import { Webhook } from 'standardwebhooks';
import { standardWebhookHeaders } from './app-endpoints';

const secret = `whsec_${Buffer.from('a key of thirty-two bytes, fixed').toString('base64')}`;

describe('standardWebhookHeaders', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'order.status_changed' });

  it('signs so that a Standard Webhooks library verifies it', () => {
    const headers = standardWebhookHeaders(secret, { id: 'evt_1', body, now: new Date() });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers['webhook-id']).toBe('evt_1');
  });

  it('is refused for another body, another secret, or an old timestamp', () => {
    const headers = standardWebhookHeaders(secret, { id: 'evt_1', body, now: new Date() });
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    const other = `whsec_${Buffer.from('another key of 32 bytes, fixed..').toString('base64')}`;
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
    const old = standardWebhookHeaders(secret, {
      id: 'evt_1',
      body,
      now: new Date(Date.now() - 10 * 60_000),
    });
    expect(() => new Webhook(secret).verify(body, old)).toThrow();
  });
});
