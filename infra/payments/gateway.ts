// The payment gateway as orderflow sees it. Every call carries an idempotency key derived
// from the order and the step: the gateway applies a key once and answers a repeat with the
// first result. Errors say whether retrying can help.

import type { LedgerEntry } from '../models/sandbox-payment';

export interface AuthoriseRequest {
  idempotencyKey: string;
  orderId: string;
  amount: number;
  currency: string;
  token: string;
}

export interface Authorisation {
  authorisationId: string;
  amount: number;
  currency: string;
}

export interface CaptureRequest {
  idempotencyKey: string;
  authorisationId: string;
  /** At most the authorised amount; the rest of the authorisation is released. */
  amount: number;
}

export interface CaptureResult {
  captured: number;
  released: number;
}

export interface VoidRequest {
  idempotencyKey: string;
  authorisationId: string;
}

export interface VoidResult {
  released: number;
}

/**
 * Undoes an authorisation known only by the key it was requested with, for when orderflow
 * never heard the answer (a timeout): a hold the gateway made is released, and a request
 * still on its way is refused when it arrives.
 */
export interface ReverseAuthorisationRequest {
  idempotencyKey: string;
  authoriseKey: string;
  orderId: string;
  currency: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  authorisationId: string;
  amount: number;
  reason?: string;
}

export interface RefundResult {
  refunded: number;
  totalRefunded: number;
}

export interface PaymentGateway {
  authorise(request: AuthoriseRequest): Promise<Authorisation>;
  capture(request: CaptureRequest): Promise<CaptureResult>;
  void(request: VoidRequest): Promise<VoidResult>;
  reverseAuthorisation(request: ReverseAuthorisationRequest): Promise<VoidResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The ledger entries of an order, oldest first. */
  ledger(orderId: string): Promise<LedgerEntry[]>;
}

/** The card was declined: a business outcome, never retried. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
  constructor(readonly reason: string) {
    super(`payment declined: ${reason}`);
  }
}

/** The gateway refused an operation the authorisation does not allow (never retried). */
export class PaymentOperationRejectedError extends Error {
  override readonly name = 'PaymentOperationRejectedError';
}

/** The gateway could not be reached or failed transiently: retry with backoff. */
export class GatewayUnavailableError extends Error {
  override readonly name = 'GatewayUnavailableError';
}
