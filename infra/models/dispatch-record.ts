// What the sandbox dispatch services (couriers, vouchers, video sessions, customer messages)
// handed out, one record per order and kind, so asking twice gets the same answer.

import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '../duplicate-key';
import { insertValidated } from '../insert-validated';

export interface DispatchRecordDocument {
  /** `<kind>:<orderId>` */
  _id: string;
  kind: string;
  orderId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

const dispatchRecordSchema = new Schema<DispatchRecordDocument>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    orderId: { type: String, required: true, index: true },
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'dispatch_records' },
);

export function defineDispatchRecordModel(connection: Connection) {
  return connection.model<DispatchRecordDocument>('DispatchRecord', dispatchRecordSchema);
}

export type DispatchRecordModel = Model<DispatchRecordDocument>;

/** The record of `kind` for the order, created by `create` the first time only. */
export async function recordOnce<T extends Record<string, unknown>>(
  model: DispatchRecordModel,
  kind: string,
  orderId: string,
  create: () => T,
): Promise<T> {
  const _id = `${kind}:${orderId}`;
  // Written first and read only when taken: a first call, nearly every call, is one insert.
  const data = create();
  try {
    await insertValidated(model, { _id, kind, orderId, data, createdAt: new Date() });
    return data;
  } catch (error) {
    // An earlier or concurrent call made it first: answer as it did.
    if (!isDuplicateKeyError(error)) throw error;
    const winner = await model.findById(_id).lean();
    if (!winner) throw error;
    return winner.data as T;
  }
}
