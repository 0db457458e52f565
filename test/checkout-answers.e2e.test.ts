// Where checkout's answers are kept (infra/checkout-answers.ts), on the suite's real database:
// the workflow's authorised answer and the order's first publication go in one insert, and
// only together; checkout's "nothing was charged" goes to both places; and whichever place a
// worker writes to, checkout, the workflow and every later reader agree on the answer, also
// when the two race and when a worker's setting changes between two tries of one write. Then
// end to end, a worker of each setting: where a placed order's answer is kept, and its replay.

import { randomBytes, randomUUID } from 'node:crypto';
import { CHECKOUT_TIMEOUT } from '../domain/checkout';
import type { OrderSnapshot } from '../domain/order';
import {
  readCheckoutAnswer,
  recordAuthorisedAnswer,
  recordCheckoutGaveUp,
} from '../infra/checkout-answers';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger } from '../infra/logger';
import { answerBesidePublicationsId } from '../infra/models/idempotency';
import { publicationId } from '../infra/models/order-publication';
import { publicationRecord, readOrder } from '../infra/read-model';
import { onDatabaseCommand, type DatabaseCommand } from '../infra/telemetry/db-commands';
import { useHarness } from './support/harness';
import { getOrder, groceryOrder, placeOrder } from './support/orders';

let database: Database;
const models = () => database.models;

beforeAll(async () => {
  database = await connectDatabase(
    `${process.env.TEST_MONGODB_URI}/checkout_answers_${randomBytes(4).toString('hex')}`,
    createLogger('silent'),
  );
});

afterAll(async () => {
  await database?.close();
});

const newOrderId = () => `ord_${randomBytes(12).toString('hex')}`;

/** The workflow's answer: the order authorised, awaiting the provider. */
const authorised = (orderId: string) =>
  ({ orderId, status: 'awaiting_confirmation', revision: 3 }) as OrderSnapshot;

/** Checkout's answer when it stops waiting. */
const gaveUp = (orderId: string) =>
  ({
    orderId,
    status: 'payment_declined',
    failure: CHECKOUT_TIMEOUT,
    revision: 1,
  }) as OrderSnapshot;

/** The workflow's write: with the first publication (`together`), or alone. */
const workflowRecords = (answer: OrderSnapshot, together: boolean) =>
  recordAuthorisedAnswer(models(), answer, together ? publicationRecord(answer, 1) : undefined);

const firstPublication = (orderId: string) =>
  models().OrderPublication.findById(publicationId(orderId, 1)).lean();

async function commandsOf(work: () => Promise<unknown>): Promise<DatabaseCommand[]> {
  const commands: DatabaseCommand[] = [];
  const stop = onDatabaseCommand(database.connection, (command) => commands.push(command));
  try {
    await work();
  } finally {
    stop();
  }
  return commands;
}

describe('the workflow first', () => {
  test('with its first publication: one insert stores both, and a GET shows the order', async () => {
    const orderId = newOrderId();
    let recorded: unknown;
    const commands = await commandsOf(async () => {
      recorded = await workflowRecords(authorised(orderId), true);
    });

    expect(recorded).toEqual({ standing: authorised(orderId), published: true });
    expect(commands).toEqual([{ command: 'insert', collection: 'order_publications' }]);
    expect(await readCheckoutAnswer(models(), orderId)).toEqual(authorised(orderId));
    expect(await readOrder(models(), orderId)).toEqual(authorised(orderId));
    // The answer is no publication: it carries none of the fields the readers of
    // publications ask for.
    expect(await models().OrderPublication.countDocuments({ orderId })).toBe(1);
    const answer = await models()
      .OrderPublication.findById(answerBesidePublicationsId(orderId))
      .lean();
    expect(answer).toMatchObject({ answer: authorised(orderId) });
    expect(answer).not.toHaveProperty('createdSecond');
    expect(answer).not.toHaveProperty('createdMinute');
  });

  test.each([
    ['with its first publication', true],
    ['alone', false],
  ])(
    '%s: checkout\'s later "nothing was charged" gets the authorised order, and so does every reader',
    async (_where, together) => {
      const orderId = newOrderId();
      await workflowRecords(authorised(orderId), together);

      expect(await recordCheckoutGaveUp(models(), gaveUp(orderId))).toEqual(authorised(orderId));
      expect(await readCheckoutAnswer(models(), orderId)).toEqual(authorised(orderId));
    },
  );

  test('a second try of the same write (its first was lost) keeps the answer and publishes nothing twice', async () => {
    const orderId = newOrderId();
    await workflowRecords(authorised(orderId), true);

    const again = await workflowRecords(authorised(orderId), true);
    expect(again).toEqual({ standing: authorised(orderId), published: false });
    expect(await models().OrderPublication.countDocuments({ orderId })).toBe(1);
  });
});

describe('checkout first', () => {
  test('"nothing was charged" goes to both places', async () => {
    const orderId = newOrderId();
    expect(await recordCheckoutGaveUp(models(), gaveUp(orderId))).toEqual(gaveUp(orderId));

    expect(await models().CheckoutAnswer.findById(orderId).lean()).toMatchObject({
      answer: gaveUp(orderId),
    });
    expect(
      await models()
        .CheckoutAnswerBesidePublications.findById(answerBesidePublicationsId(orderId))
        .lean(),
    ).toMatchObject({ answer: gaveUp(orderId) });
  });

  test.each([
    ['with its first publication', true],
    ['alone', false],
  ])('the workflow writing %s learns it, and publishes nothing', async (_where, together) => {
    const orderId = newOrderId();
    await recordCheckoutGaveUp(models(), gaveUp(orderId));

    expect(await workflowRecords(authorised(orderId), together)).toEqual({
      standing: gaveUp(orderId),
      published: false,
    });
    expect(await firstPublication(orderId)).toBeNull();
    expect(await readCheckoutAnswer(models(), orderId)).toEqual(gaveUp(orderId));
  });
});

test("a worker's setting changed between two tries of one write: the first try's answer stands", async () => {
  // The first try wrote alone, and checkout then recorded "nothing was charged" beside the
  // publications (its insert in the first place lost); the second try writes together.
  const orderId = newOrderId();
  await workflowRecords(authorised(orderId), false);
  expect(await recordCheckoutGaveUp(models(), gaveUp(orderId))).toEqual(authorised(orderId));

  const again = await workflowRecords(authorised(orderId), true);
  expect(again).toEqual({ standing: authorised(orderId), published: false });
  expect(await readCheckoutAnswer(models(), orderId)).toEqual(authorised(orderId));
});

test.each([
  ['with its first publication', true],
  ['alone', false],
])(
  'racing, checkout and the workflow writing %s agree on every order, and a publication exists only with the authorisation',
  async (_where, together) => {
    const orderIds = Array.from({ length: 40 }, newOrderId);
    const outcomes = await Promise.all(
      orderIds.map(async (orderId) => {
        const [checkout, workflow] = await Promise.all([
          recordCheckoutGaveUp(models(), gaveUp(orderId)),
          workflowRecords(authorised(orderId), together),
        ]);
        return { orderId, checkout, workflow: workflow.standing };
      }),
    );

    for (const { orderId, checkout, workflow } of outcomes) {
      expect(workflow).toEqual(checkout);
      expect(await readCheckoutAnswer(models(), orderId)).toEqual(checkout);
      const published = await firstPublication(orderId);
      if (checkout.status === 'payment_declined' || !together) expect(published).toBeNull();
      else expect(published).toMatchObject({ snapshot: authorised(orderId) });
    }
  },
);

describe.each([
  ['by default, beside the publications', {}, 'beside'],
  [
    'with CHECKOUT_ANSWER_WITH_PUBLICATION=false (a rolling upgrade), in checkout_answers',
    { CHECKOUT_ANSWER_WITH_PUBLICATION: 'false' },
    'alone',
  ],
] as const)('a placed order, its answer kept %s', (_where, env, place) => {
  const harness = useHarness({ env, providers: ['grocery'] });

  test('is answered, readable at once, and replayed from its kept answer', async () => {
    const body = groceryOrder(harness.store.providerId);
    const key = randomUUID();
    const placed = await placeOrder(harness.apiUrl, body, { key });
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.orderId;
    const { models } = harness.database;

    const beside = await models.CheckoutAnswerBesidePublications.findById(
      answerBesidePublicationsId(orderId),
    ).lean();
    const alone = await models.CheckoutAnswer.findById(orderId).lean();
    expect({ beside: beside !== null, alone: alone !== null }).toEqual({
      beside: place === 'beside',
      alone: place === 'alone',
    });
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      orderId,
      status: 'awaiting_confirmation',
    });
    const replay = await placeOrder(harness.apiUrl, body, { key });
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ orderId, status: 'awaiting_confirmation' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});
