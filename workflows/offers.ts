// Offering the order: the provider is sent the order and given until its deadline to answer.
// When it rejects the order whole or lets the deadline pass, and lists fallbacks, the order is
// offered to the next of them (inactive ones, or ones of another vertical, skipped) with the
// payment's hold kept, at most twice: the earlier provider is told the order went elsewhere,
// the fallback gets its own full deadline. Only when none is left does the order fail.

import { upsertSearchAttributes } from '@temporalio/workflow';
import type { RoutingEntry } from '../domain/order';
import { routing } from './activities';
import type { Changes } from './changes';
import { workflowNow, workflowNowIso } from './clock';
import type { OrderWorkflowInput } from './messages';
import type { OrderState } from './order-state';
import type { ProviderNotifications } from './provider-notifications';
import { ProviderIdAttribute } from './search-attributes';
import type { ConfirmationOutcome } from './verticals/vertical';

/** At most this many re-routes an order. */
const MAX_REROUTES = 2;

export type Answer =
  | { kind: 'accepted'; outcome: Extract<ConfirmationOutcome, { kind: 'accepted' }> }
  | { kind: 'rejected'; reason: string }
  /** `notified`: the provider had the order (the webhook arrived, or it polls). */
  | { kind: 'expired'; notified: boolean }
  | { kind: 'cancelled' };

/**
 * The offers of one order. The story waits for each answer itself (so what follows an answer
 * runs in the same step as before re-routing existed); this says what the answer means and
 * moves the order on to the next provider.
 */
export class Offers {
  private readonly fallbacks: string[];
  private reroutes = 0;

  constructor(
    private readonly state: OrderState,
    private readonly provider: ProviderNotifications,
    private readonly has: Changes,
    input: OrderWorkflowInput,
  ) {
    this.fallbacks = [...(input.fallbackProviderIds ?? [])];
  }

  /** What the provider's answer (or its silence until the deadline) means. */
  answerOf(answered: boolean, hasOrder: () => boolean): Answer {
    const { record, vertical } = this.state;
    if (this.state.cancelRequested) return { kind: 'cancelled' };
    if (!answered) return { kind: 'expired', notified: hasOrder() };
    const outcome = vertical.evaluateConfirmation(record.current, record.current.confirmation!);
    return outcome.kind === 'accepted'
      ? { kind: 'accepted', outcome }
      : { kind: 'rejected', reason: outcome.reason };
  }

  /** Whether a failed offer may move on: fallbacks left, re-routes left, and a run that re-routes. */
  mayReroute(answer: Answer): boolean {
    if (answer.kind !== 'rejected' && answer.kind !== 'expired') return false;
    // Orders placed before re-routing have no fallbacks: they end as they always did.
    return (
      this.fallbacks.length > 0 && this.reroutes < MAX_REROUTES && this.has('reroute-to-fallback')
    );
  }

  /**
   * Offers the order to the next fallback that takes orders of its vertical (the others are
   * skipped); answers the new deadline (ms from now), or undefined when none is left.
   */
  async rerouteAfter(answer: Answer): Promise<number | undefined> {
    const next = await this.nextFallback();
    if (!next) return undefined;
    this.reroutes += 1;
    const deadlineMs = this.moveTo(next, answer.kind === 'rejected' ? 'rejected' : 'expired');
    await this.state.publish();
    return deadlineMs;
  }

  private async nextFallback(): Promise<Terms | undefined> {
    for (let providerId = this.fallbacks.shift(); providerId; providerId = this.fallbacks.shift()) {
      const terms = await routing.fallbackTerms({ providerId, order: this.state.snapshot });
      if (terms.skipped === undefined) return terms;
    }
    return undefined;
  }

  private moveTo(next: Terms, outcome: RoutingEntry['outcome']): number {
    const { state } = this;
    const { record } = state;
    const earlier: RoutingEntry = {
      providerId: record.current.providerId,
      outcome,
      at: workflowNowIso(),
    };
    const routingSoFar = [...(record.current.routing ?? []), earlier];
    this.provider.orderRerouted({ ...record.snapshot, routing: routingSoFar });
    state.providerSettings = {
      confirmationTimeoutSeconds: next.confirmationTimeoutSeconds,
      ...(next.doctorNoShowGraceSeconds !== undefined
        ? { doctorNoShowGraceSeconds: next.doctorNoShowGraceSeconds }
        : {}),
    };
    record.update({
      providerId: next.providerId,
      routing: routingSoFar,
      confirmation: undefined,
      ...(next.hotel ? { hotel: next.hotel } : {}),
      ...(next.teleconsultation ? { teleconsultation: next.teleconsultation } : {}),
    });
    const deadlineMs = state.confirmationDeadlineMs();
    record.update({ confirmBy: new Date(workflowNow().getTime() + deadlineMs).toISOString() });
    upsertSearchAttributes([{ key: ProviderIdAttribute, value: next.providerId }]);
    return deadlineMs;
  }
}

type Terms = Extract<Awaited<ReturnType<typeof routing.fallbackTerms>>, { skipped?: undefined }>;
