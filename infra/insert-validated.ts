// One plain insert of a record checked against its model's schema, for the hot paths (every
// order's publications, payment decision, dispatch records). `Model.create` builds a full mongoose
// document first, cloning a Mixed order snapshot field by field: more CPU than the insert.
// `Model.validate` casts and validates the plain object against the same schema instead.

import type { Model } from 'mongoose';
import { onlyDuplicateKeyErrors } from './duplicate-key';

/**
 * Inserts `record` as `model`'s schema casts it, after validating it (required fields, types);
 * rejects as `Model.create` would (a ValidationError, or the driver's duplicate-key error).
 * Schema defaults are not applied: the caller gives every field.
 */
export async function insertValidated<T>(model: Model<T>, record: T): Promise<void> {
  const cast = (await model.validate(record)) as T;
  await model.collection.insertOne(cast as Parameters<Model<T>['collection']['insertOne']>[0]);
}

/**
 * Inserts every record not stored yet, as `insertValidated` does each, in one command. A
 * record whose `_id` is already stored (an earlier try of the same work) is left as it is.
 */
export async function insertNewValidated<T>(model: Model<T>, records: readonly T[]): Promise<void> {
  if (records.length === 0) return;
  const cast = await Promise.all(
    records.map(async (record) => (await model.validate(record)) as T),
  );
  try {
    await model.collection.insertMany(cast as Parameters<Model<T>['collection']['insertMany']>[0], {
      ordered: false,
    });
  } catch (error) {
    if (!onlyDuplicateKeyErrors(error)) throw error;
  }
}
