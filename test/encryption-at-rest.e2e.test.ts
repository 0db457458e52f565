// Personal data and secrets at rest, against the real servers: an order's workflow history as
// Temporal stores it holds neither the payment token nor the delivery address in clear, while
// support's timeline still reads it and the recorded history replays with the key (not without
// it); provider signing secrets are encrypted in the database yet sign and verify as before,
// secrets written in clear before still work, and the secret keys rotate.

import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import {
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  payloadDataConverter,
  type KeySpec,
} from '../infra/codec';
import { connectDatabase } from '../infra/db';
import { createLogger } from '../infra/logger';
import { issueSecret, useSecretKeys, validSecrets } from '../infra/provider-secrets';
import { workerTracingOptions } from '../infra/telemetry/temporal-tracing';
import { createProviderClient } from '../dev/provider-client';
import { orderWorkflowId } from '../workflows/messages';
import {
  signatureCheck,
  startHarness,
  useHarness,
  startWebhookReceiver,
  TEST_PAYLOAD_KEY,
  TOKENS,
  type Harness,
  type WebhookReceiver,
} from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const PAYMENT_TOKEN = 'tok_ok';
const ADDRESS = groceryOrder('any').grocery.deliveryAddress;

const encrypted = useHarness();
let webhooks: WebhookReceiver;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});

afterAll(async () => {
  await webhooks?.close();
});

async function placedOrder(harness: Harness) {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  expect(checkout.status).toBe(201);
  return { store, orderId: checkout.body.orderId as string };
}

/** The history exactly as Temporal stores it: its protobuf bytes, where clear text shows. */
async function storedHistory(harness: Harness, orderId: string) {
  const history = await harness.temporal.workflow
    .getHandle(orderWorkflowId(orderId))
    .fetchHistory();
  const bytes = Buffer.from(proto.api.history.v1.History.encode(history).finish()).toString(
    'latin1',
  );
  return { history, bytes };
}

const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('workflow histories', () => {
  test('hold no payment token or address in clear; support still reads the amounts', async () => {
    const { store, orderId } = await placedOrder(encrypted);
    await webhooks.waitForEvent('order.created', orderId);
    expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
    await waitForStatus(encrypted.apiUrl, orderId, 'dispatching');

    const { history, bytes } = await storedHistory(encrypted, orderId);
    expect(bytes).not.toContain(PAYMENT_TOKEN);
    expect(bytes).not.toContain(ADDRESS);
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(utf8(input.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(utf8(input.metadata![KEY_ID_METADATA])).toBe(TEST_PAYLOAD_KEY.id);

    const timeline = await request(encrypted.apiUrl)
      .get(`/v1/support/orders/${orderId}/history`)
      .set('Authorization', `Bearer ${TOKENS.support}`);
    expect(timeline.status).toBe(200);
    const entries = timeline.body.entries as { kind: string; details: Record<string, unknown> }[];
    expect(entries.find((e) => e.kind === 'payment_authorised')?.details).toMatchObject({
      amount: GROCERY_TOTAL,
      currency: 'CNY',
    });
    expect(entries.find((e) => e.kind === 'captured')?.details).toMatchObject({
      amount: GROCERY_TOTAL,
    });

    // The raw events support reads are decrypted too: the input is the order as placed, but
    // for its payment token, which support never sees (api/redact.ts).
    const raw = await request(encrypted.apiUrl)
      .get(`/v1/support/orders/${orderId}/history?format=raw`)
      .set('Authorization', `Bearer ${TOKENS.support}`);
    const started = raw.body.events[0].workflowExecutionStartedEventAttributes;
    const rawInput = started.input.payloads[0];
    expect(Buffer.from(rawInput.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(rawInput.data, 'base64').toString())).toMatchObject({
      request: { paymentToken: '[redacted]', grocery: { deliveryAddress: ADDRESS } },
    });
  });

  test('without keys (the control) the same history carries them in clear', async () => {
    const plain = await startHarness({ env: { PAYLOAD_ENCRYPTION_KEYS: '' } });
    try {
      const { orderId } = await placedOrder(plain);
      const { bytes } = await storedHistory(plain, orderId);
      expect(bytes).toContain(PAYMENT_TOKEN);
      expect(bytes).toContain(ADDRESS);
    } finally {
      await plain.close();
    }
  });

  test('an encrypted history replays with the key, and not without it', async () => {
    const { orderId } = await placedOrder(encrypted);
    const { history } = await storedHistory(encrypted, orderId);
    const workflowBundle = { codePath: process.env.TEST_WORKFLOW_BUNDLE_PATH! };
    const workflowId = orderWorkflowId(orderId);

    await Worker.runReplayHistory(
      {
        workflowBundle,
        dataConverter: payloadDataConverter([TEST_PAYLOAD_KEY]),
        // The bundle's tracing interceptors hand their spans to this sink (dropped here).
        sinks: workerTracingOptions().sinks,
      },
      history,
      workflowId,
    );
    await expect(Worker.runReplayHistory({ workflowBundle }, history, workflowId)).rejects.toThrow(
      /binary\/encrypted/,
    );
  });
});

describe('provider signing secrets', () => {
  const collections = async (harness: Harness, providerId: string) =>
    JSON.stringify([
      await harness.database.models.Provider.find({ _id: providerId }).lean(),
      await harness.database.models.ProviderSecret.find({ providerId }).lean(),
    ]);

  test('are encrypted in the database, and sign and verify callbacks and webhooks as before', async () => {
    const { store, orderId } = await placedOrder(encrypted);
    const stored = await encrypted.database.models.ProviderSecret.find({
      providerId: store.providerId,
    }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.secret).toMatch(
      new RegExp(`^enc:v1:${TEST_PAYLOAD_KEY.id}:[A-Za-z0-9+/=]+$`),
    );
    expect(await collections(encrypted, store.providerId)).not.toContain(store.signingSecret);

    // The worker decrypts it to sign the webhook; the API to verify the store's callback.
    const webhook = await webhooks.waitForEvent('order.created', orderId);
    expect(signatureCheck(webhook, store.signingSecret)).toEqual({ valid: true });
    expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
    const wrong = createProviderClient(encrypted.apiUrl, {
      providerId: store.providerId,
      signingSecret: stored[0]!.secret,
    });
    expect((await wrong.listOrders()).status).toBe(401);

    // Rotation issues the next secret encrypted as well.
    const rotated = await request(encrypted.apiUrl)
      .post(`/v1/admin/providers/${store.providerId}/secrets`)
      .set('Authorization', `Bearer ${TOKENS.admin}`)
      .send({ graceSeconds: 60 });
    expect(rotated.status).toBe(201);
    const both = await collections(encrypted, store.providerId);
    expect(both).not.toContain(rotated.body.signingSecret);
    expect(both).not.toContain(store.signingSecret);
    expect((await store.client.listOrders()).status).toBe(200);
  });

  test('a secret stored in clear before encryption still works', async () => {
    const { store } = await placedOrder(encrypted);
    const clearSecret = `whsec_${'cd'.repeat(32)}`;
    await encrypted.database.models.ProviderSecret.create({
      _id: `${store.providerId}#2`,
      providerId: store.providerId,
      seq: 2,
      secret: clearSecret,
      createdAt: new Date(),
      retiresPredecessorsAt: new Date(Date.now() + 60_000),
    });
    const client = createProviderClient(encrypted.apiUrl, {
      providerId: store.providerId,
      signingSecret: clearSecret,
    });
    expect((await client.listOrders()).status).toBe(200);
    expect((await store.client.listOrders()).status).toBe(200); // the encrypted one, in its grace
  });

  test('secret keys rotate: a new first key encrypts, the old one still decrypts until removed', async () => {
    const { store } = await placedOrder(encrypted);
    const logger = createLogger('silent');
    const rotatedKey: KeySpec = { id: 'secrets-2', key: randomBytes(32).toString('base64') };
    const connect = async (keys?: KeySpec[]) => {
      const database = await connectDatabase(encrypted.config.mongodbUri, logger);
      if (keys) useSecretKeys(database.models, keys);
      return database;
    };
    const provider = { _id: store.providerId, createdAt: new Date() };

    const rotated = await connect([rotatedKey, TEST_PAYLOAD_KEY]);
    const unregistered = await connect();
    const oldKeyRemoved = await connect([rotatedKey]);
    try {
      const issued = await issueSecret(rotated.models, store.providerId, { graceSeconds: 60 });
      const records = await rotated.models.ProviderSecret.find({ providerId: store.providerId })
        .sort({ seq: 1 })
        .lean();
      expect(records.map((r) => r.secret.split(':')[2])).toEqual(['test-1', 'secrets-2']);
      expect((await validSecrets(rotated.models, provider)).map((s) => s.secret)).toEqual([
        issued.secret,
        store.signingSecret,
      ]);

      await expect(validSecrets(oldKeyRemoved.models, provider)).rejects.toThrow(/"test-1"/);
      // A process that never said which keys it uses refuses rather than guessing.
      await expect(validSecrets(unregistered.models, provider)).rejects.toThrow(/useSecretKeys/);
    } finally {
      for (const database of [rotated, unregistered, oldKeyRemoved]) await database.close();
    }
  });
});
