// Writing and reading the order read model so that a read never shows an order older than one
// it has been shown before, on a database without atomic updates.
//
// The workflow publishes its snapshots one at a time, numbered 1, 2, 3…: each is inserted as
// an `order_publications` record (insert-only, so never overwritten) and copied onto the
// order's `orders` document for listings. A stale write (an abandoned attempt whose request
// reached FerretDB late) can land on the copy after a newer one: FerretDB evaluates the
// revision guard and the replace separately. So a read by id starts at the copy and follows
// the publications past its number; publications are contiguous because each is stored
// before the workflow moves on. A read that finds a newer publication repairs the copy.

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from './duplicate-key';
import { insertValidated } from './insert-validated';
import type { Models } from './db';
import type { OrderDocument } from './models/order';
import { publicationId, unixSecond } from './models/order-publication';

export type ReadModels = Pick<Models, 'Order' | 'OrderPublication'>;

/**
 * Stores `snapshot` as the order's `publication`-th publication and copies it to the listing.
 * Writing one publication twice (a retried attempt) is harmless: its number holds one snapshot.
 * Without a number (runs that published before publications were numbered) only the copy is
 * written.
 */
export async function publishSnapshot(
  models: ReadModels,
  snapshot: OrderSnapshot,
  publication?: number,
): Promise<void> {
  // Both at once: a reader follows publications from the copy's number up, and this one's
  // predecessors are all stored (the workflow publishes one at a time).
  await Promise.all([
    publication !== undefined && insertPublication(models, snapshot, publication),
    copyToListing(models, { ...snapshot, ...(publication !== undefined ? { publication } : {}) }),
  ]);
}

async function insertPublication(models: ReadModels, snapshot: OrderSnapshot, publication: number) {
  const createdAt = new Date();
  try {
    await insertValidated(models.OrderPublication, {
      _id: publicationId(snapshot.orderId, publication),
      orderId: snapshot.orderId,
      publication,
      snapshot,
      createdAt,
      createdSecond: unixSecond(createdAt),
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/** The order's latest published snapshot, or null when it has none. */
export async function readOrder(
  models: ReadModels,
  orderId: string,
): Promise<OrderSnapshot | null> {
  return (await readPublishedOrder(models, orderId))?.order ?? null;
}

/**
 * The order's latest published snapshot and how many numbered publications it has had (the
 * next workflow to publish the order continues from there), or null when it has none.
 */
export async function readPublishedOrder(
  models: ReadModels,
  orderId: string,
): Promise<{ order: OrderSnapshot; publications: number } | null> {
  const listed = await models.Order.findById(orderId).lean<OrderDocument>();
  let latest: OrderDocument | null = listed;
  for (let next = (listed?.publication ?? 0) + 1; ; next++) {
    const found = await models.OrderPublication.findById(publicationId(orderId, next)).lean();
    if (!found) break;
    latest = { ...found.snapshot, publication: next } as OrderDocument;
  }
  if (!latest) return null;
  if (latest !== listed) {
    // Best effort: the next read or publish repairs what this one could not.
    await copyToListing(models, latest).catch(() => undefined);
  }
  return { order: withoutStorageFields(latest), publications: latest.publication ?? 0 };
}

async function copyToListing(
  models: ReadModels,
  snapshot: OrderSnapshot & { publication?: number },
) {
  try {
    await models.Order.replaceOne(
      { _id: snapshot.orderId, revision: { $lt: snapshot.revision } },
      { _id: snapshot.orderId, ...snapshot },
      { upsert: true },
    );
  } catch (error) {
    // The upsert collided with a copy holding this or a newer revision.
    if (!isDuplicateKeyError(error)) throw error;
  }
}

function withoutStorageFields(document: OrderDocument): OrderSnapshot {
  const { _id: _id, publication: _publication, ...snapshot } = document;
  return snapshot;
}
