// Checkout's answer to the app, recorded once per order by whoever decides first: the workflow
// when the payment is authorised, checkout when it stops waiting ("nothing was charged"). A
// primary-key insert decides the race, on MongoDB and FerretDB alike.
//
// An answer is kept in one of two places. `checkout_answers` is the first. The workflow may
// keep its answer beside the order's publications instead (`order_publications`, id
// `<orderId>/answer`), written with the order's first publication in one ordered insert: the
// publication goes in only when the answer is the order's. That saves one write on checkout's
// path. Checkout, which cannot know which place the order's workflow writes to, records its
// "nothing was charged" in both, and every reader applies one rule: an answer that the
// payment was authorised stands wherever it is (only the workflow records one, in one place,
// and checkout defers to it there); otherwise checkout's. So both places agree for every
// order, whichever place each worker writes to.
//
// A worker may write beside the publications only once every API runs this code: an older
// API records its "nothing was charged" in `checkout_answers` alone (config
// CHECKOUT_ANSWER_WITH_PUBLICATION).

import type { OrderSnapshot } from '../domain/order';
import type { Models } from './db';
import { isDuplicateKeyError, onlyDuplicateKeyErrors } from './duplicate-key';
import { insertValidated } from './insert-validated';
import { answerBesidePublicationsId, type CheckoutAnswerDocument } from './models/idempotency';
import type { OrderPublicationDocument } from './models/order-publication';

export type CheckoutAnswerModels = Pick<
  Models,
  'CheckoutAnswer' | 'CheckoutAnswerBesidePublications' | 'OrderPublication'
>;

/** Whether an answer says the payment was authorised: only the order's workflow records one. */
const saysAuthorised = (answer: OrderSnapshot) => answer.status !== 'payment_declined';

/** Of the answers the two places hold, the one that stands: the authorised one, else either. */
function standing(...answers: (OrderSnapshot | null | undefined)[]): OrderSnapshot | null {
  const found = answers.filter((answer): answer is OrderSnapshot => !!answer);
  return found.find(saysAuthorised) ?? found[0] ?? null;
}

/** The answer that stands for an order, or null when neither checkout nor its workflow gave one. */
export async function readCheckoutAnswer(
  models: CheckoutAnswerModels,
  orderId: string,
): Promise<OrderSnapshot | null> {
  const [beside, alone] = await Promise.all([
    models.CheckoutAnswerBesidePublications.findById(answerBesidePublicationsId(orderId)).lean(),
    models.CheckoutAnswer.findById(orderId).lean(),
  ]);
  return standing(beside?.answer, alone?.answer);
}

/** The answers of many orders, by order id, as `readCheckoutAnswer` reads each. */
export async function readCheckoutAnswers(
  models: CheckoutAnswerModels,
  orderIds: readonly string[],
): Promise<Map<string, OrderSnapshot>> {
  const [beside, alone] = await Promise.all([
    models.CheckoutAnswerBesidePublications.find({
      _id: { $in: orderIds.map(answerBesidePublicationsId) },
    }).lean(),
    models.CheckoutAnswer.find({ _id: { $in: orderIds } }).lean(),
  ]);
  const besideById = new Map(beside.map((kept) => [kept.answer.orderId, kept.answer]));
  const aloneById = new Map(alone.map((kept) => [kept._id, kept.answer]));
  const answers = new Map<string, OrderSnapshot>();
  for (const orderId of orderIds) {
    const answer = standing(besideById.get(orderId), aloneById.get(orderId));
    if (answer) answers.set(orderId, answer);
  }
  return answers;
}

/** Deletes the orders' answers from both places; resolves with how many were deleted. */
export async function deleteCheckoutAnswers(
  models: CheckoutAnswerModels,
  orderIds: readonly string[],
): Promise<number> {
  if (orderIds.length === 0) return 0;
  const [beside, alone] = await Promise.all([
    models.CheckoutAnswerBesidePublications.deleteMany({
      _id: { $in: orderIds.map(answerBesidePublicationsId) },
    }),
    models.CheckoutAnswer.deleteMany({ _id: { $in: orderIds } }),
  ]);
  return beside.deletedCount + alone.deletedCount;
}

/** Runs `insert`, or on a duplicate key `read`: resolves with the answer that the id holds. */
async function insertOrRead(
  insert: () => Promise<unknown>,
  read: () => Promise<{ answer: OrderSnapshot } | null>,
  ours: OrderSnapshot,
): Promise<OrderSnapshot> {
  try {
    await insert();
    return ours;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const kept = await read();
    if (!kept) throw error; // purged meanwhile: let the caller retry or fail
    return kept.answer;
  }
}

const answerAlone = (answer: OrderSnapshot): CheckoutAnswerDocument => ({
  _id: answer.orderId,
  answer,
  createdAt: new Date(),
});

const answerBeside = (answer: OrderSnapshot): CheckoutAnswerDocument => ({
  _id: answerBesidePublicationsId(answer.orderId),
  answer,
  createdAt: new Date(),
});

/**
 * Checkout's "nothing was charged" for an order, recorded in both places unless the order's
 * workflow recorded its authorisation in one first; answers with the answer that stands.
 * Rejects when either place could not be written: the outcome is unknown then.
 */
export async function recordCheckoutGaveUp(
  models: CheckoutAnswerModels,
  answer: OrderSnapshot,
): Promise<OrderSnapshot> {
  const { orderId } = answer;
  const results = await Promise.allSettled([
    insertOrRead(
      () => insertValidated(models.CheckoutAnswerBesidePublications, answerBeside(answer)),
      () =>
        models.CheckoutAnswerBesidePublications.findById(answerBesidePublicationsId(orderId))
          .lean()
          .exec(),
      answer,
    ),
    insertOrRead(
      () => insertValidated(models.CheckoutAnswer, answerAlone(answer)),
      () => models.CheckoutAnswer.findById(orderId).lean().exec(),
      answer,
    ),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return standing(
    ...results.map((result) => (result as PromiseFulfilledResult<OrderSnapshot>).value),
  )!;
}

export interface RecordedDecision {
  /** The answer that stands: `decided`, unless checkout recorded that nothing was charged. */
  standing: OrderSnapshot;
  /** True when `publication` went in with the answer; false when the caller still publishes. */
  published: boolean;
}

/**
 * The workflow's answer that the payment was authorised. With `publication` (the order's
 * snapshot as its first publication) it is written beside the publications, in one ordered
 * insert with it: an ordered insert stops at its first duplicate key, so the publication goes
 * in only with the answer. Without, it goes to `checkout_answers` alone.
 */
export async function recordAuthorisedAnswer(
  models: CheckoutAnswerModels,
  decided: OrderSnapshot,
  publication?: OrderPublicationDocument,
): Promise<RecordedDecision> {
  if (!publication) {
    const kept = await insertOrRead(
      () => insertValidated(models.CheckoutAnswer, answerAlone(decided)),
      () => readCheckoutAnswer(models, decided.orderId).then((answer) => answer && { answer }),
      decided,
    );
    return { standing: kept, published: false };
  }
  const documents = await Promise.all([
    models.CheckoutAnswerBesidePublications.validate(answerBeside(decided)),
    models.OrderPublication.validate(publication),
  ]);
  try {
    await models.OrderPublication.collection.insertMany(
      documents as unknown as Parameters<typeof models.OrderPublication.collection.insertMany>[0],
      { ordered: true },
    );
    return { standing: decided, published: true };
  } catch (error) {
    // A try of this activity that was lost after its insert, or checkout first: either way
    // the answer that stands now decides, and the publication (if ours) is written again.
    if (!onlyDuplicateKeyErrors(error)) throw error;
    const kept = await readCheckoutAnswer(models, decided.orderId);
    if (!kept) throw error;
    return { standing: kept, published: false };
  }
}
