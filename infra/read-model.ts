// Writing and reading the order read model so that a read never shows an order older than one
// it has been shown before, on a database without atomic updates.
//
// The workflow publishes its snapshots one at a time, numbered 1, 2, 3…: each is inserted as
// an `order_publications` record (insert-only, so never overwritten) and copied onto the
// order's `orders` document for listings, a moment later and in batches
// (infra/listing-copies.ts). The copy can lag, and a stale write (an abandoned attempt whose
// request reached FerretDB late) can land on it after a newer one: FerretDB evaluates the
// revision guard and the replace separately. So a read by id starts at the copy and follows
// the publications past its number; publications are contiguous because each is stored
// before the workflow moves on. Reads write nothing: a copy that is behind is either still
// queued or mended by the repair sweep (infra/listing-repair.ts).

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from './duplicate-key';
import { insertValidated } from './insert-validated';
import type { Models } from './db';
import { writeListingCopies, type ListingCopies, type ListingCopy } from './listing-copies';
import type { OrderDocument } from './models/order';
import {
  publicationId,
  unixMinute,
  unixSecond,
  type OrderPublicationDocument,
} from './models/order-publication';

export type ReadModels = Pick<Models, 'Order' | 'OrderPublication'>;

/**
 * Stores `snapshot` as the order's `publication`-th publication and queues its copy for the
 * listing. Writing one publication twice (a retried attempt) is harmless: its number holds one
 * snapshot. Without a number (runs that published before publications were numbered) only the
 * copy is written, at once: there is no publication to repair it from.
 */
export async function publishSnapshot(
  models: ReadModels,
  listing: Pick<ListingCopies, 'queue'>,
  snapshot: OrderSnapshot,
  publication?: number,
): Promise<void> {
  if (publication === undefined) return copyToListing(models, { snapshot });
  await insertPublication(models, snapshot, publication);
  listing.queue({ snapshot, publication });
}

/** `snapshot` as the order's `publication`-th publication, stored now. */
export function publicationRecord(
  snapshot: OrderSnapshot,
  publication: number,
): OrderPublicationDocument {
  const createdAt = new Date();
  return {
    _id: publicationId(snapshot.orderId, publication),
    orderId: snapshot.orderId,
    publication,
    snapshot,
    createdAt,
    createdSecond: unixSecond(createdAt),
    createdMinute: unixMinute(createdAt),
  };
}

async function insertPublication(models: ReadModels, snapshot: OrderSnapshot, publication: number) {
  try {
    await insertValidated(models.OrderPublication, publicationRecord(snapshot, publication));
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
  let latest: ListingCopy | null = listed && {
    snapshot: withoutStorageFields(listed),
    ...(listed.publication !== undefined ? { publication: listed.publication } : {}),
  };
  for (let next = (listed?.publication ?? 0) + 1; ; next++) {
    const found = await models.OrderPublication.findById(publicationId(orderId, next)).lean();
    if (!found) break;
    latest = { snapshot: found.snapshot, publication: next };
  }
  if (!latest) return null;
  return { order: latest.snapshot, publications: latest.publication ?? 0 };
}

/** Writes one copy to the listing now (over an older revision only: it has no number). */
async function copyToListing(models: ReadModels, copy: ListingCopy): Promise<void> {
  const { error } = await writeListingCopies(models, [copy]);
  if (error) throw error;
}

function withoutStorageFields(document: OrderDocument): OrderSnapshot {
  const { _id: _id, publication: _publication, listedMinute: _minute, ...snapshot } = document;
  return snapshot;
}
