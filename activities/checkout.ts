// Checkout's answer to the app, recorded once per order. Checkout and the order's workflow
// race to record it: checkout when it stops waiting ("nothing was charged"), the workflow
// when the payment is authorised. The first insert wins (a primary-key insert is atomic on
// MongoDB and FerretDB alike), and the loser keeps to the winner's word
// (infra/checkout-answers.ts has where answers are kept).

import { ApplicationFailure } from '@temporalio/activity';
import type { AppEventType } from '../domain/app-events';
import type { OrderSnapshot } from '../domain/order';
import {
  readCheckoutAnswer,
  recordAuthorisedAnswer,
  type CheckoutAnswerModels,
} from '../infra/checkout-answers';
import { publicationRecord, publishSnapshot } from '../infra/read-model';
import { announceAppEvents } from './app-events';
import type { ActivityDeps } from './deps';

const CheckoutFailureTypes = {
  /** Checkout already answered that nothing was charged: the payment must not begin. */
  closed: 'CheckoutClosed',
} as const;

export function createCheckoutActivities(deps: ActivityDeps) {
  const { models, listing, answerWithPublication } = deps;
  return {
    /**
     * The authorised order as checkout's answer, unless checkout answered first. When ours
     * stands, the read model gets it too (as the workflow's `publication`-th snapshot), so a
     * GET after the answer shows it, and the app its `appEvents`. Where the worker may, the
     * answer and the publication go in one write.
     */
    async recordPaymentDecision(
      decided: OrderSnapshot,
      publication?: number,
      appEvents?: AppEventType[],
    ): Promise<OrderSnapshot> {
      const together = answerWithPublication && publication !== undefined;
      const { standing, published } = await recordAuthorisedAnswer(
        models,
        decided,
        together ? publicationRecord(decided, publication) : undefined,
      );
      const ours = standing.status === decided.status && standing.revision === decided.revision;
      if (ours) {
        if (published) listing.queue({ snapshot: decided, publication: publication! });
        else await publishSnapshot(models, listing, decided, publication);
        await announceAppEvents(deps, decided, publication, appEvents);
      }
      return standing;
    },
  };
}

/**
 * Refuses, for good, to start a payment that checkout has already answered for: it told the
 * app nothing was charged. Called by the authorisation before it reaches the gateway.
 * An answer that the payment was authorised is the order's own: an earlier try of this
 * workflow task recorded it (the app may have been told 201 since) and was then lost with its
 * worker or its Temporal server. The authorisation goes ahead then: by its key the gateway
 * gives back the hold that try made, and the order carries on as the app was told.
 */
export async function refuseIfCheckoutAnswered(
  models: CheckoutAnswerModels,
  orderId: string,
): Promise<void> {
  const standing = await readCheckoutAnswer(models, orderId);
  if (standing && standing.status === 'payment_declined') {
    throw ApplicationFailure.create({
      type: CheckoutFailureTypes.closed,
      message: 'checkout already answered that nothing was charged',
      nonRetryable: true,
    });
  }
}
