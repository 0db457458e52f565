// Failures workflow code raises towards callers: Update validator rejections the API maps to
// 409 (wrong state, not cancellable) or 422 (request contradicts the order).

import { ApplicationFailure } from '@temporalio/workflow';
import { FailureTypes } from './messages';

export function invalidState(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.invalidState,
    message,
    nonRetryable: true,
  });
}

export function invalidRequest(message: string, details: unknown[] = []): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.invalidRequest,
    message,
    details,
    nonRetryable: true,
  });
}

export function notCancellable(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.notCancellable,
    message,
    nonRetryable: true,
  });
}

export function refundNotAllowed(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.refundNotAllowed,
    message,
    nonRetryable: true,
  });
}

export function eventOutOfSchedule(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.eventOutOfSchedule,
    message,
    details: [{ path: 'at', message }],
    nonRetryable: true,
  });
}

export function idempotencyConflict(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.idempotencyConflict,
    message,
    nonRetryable: true,
  });
}

export function orderRerouted(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.orderRerouted,
    message,
    nonRetryable: true,
  });
}

export function notProvidersOrder(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.notProvidersOrder,
    message,
    nonRetryable: true,
  });
}
