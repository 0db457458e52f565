// The embedded database answers orderflow's lookups from an index, not by scanning the table.
// FerretDB 1.x on PostgreSQL filters with `@>`, which its own btree indexes cannot answer; the
// GIN siblings that dev/ferretdb-gin-indexes.sql gives every index can. Without them each of
// these queries is a sequential scan whose cost grows with the collection (docs/BENCHMARKS.md,
// "Queries as data grows"). On SQLite FerretDB answers no plan of this kind: skipped there.

import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { defineModels, type Models } from '../infra/db';

const onPostgres = process.env.TEST_DB_BACKEND === 'postgresql';
/** Enough rows that a scan costs PostgreSQL more than an index would. */
const ROWS = 3000;

let connection: Connection;
let models: Models;

beforeAll(async () => {
  if (!onPostgres) return;
  connection = await mongoose
    .createConnection(`${process.env.TEST_MONGODB_URI}/indexes_${randomBytes(4).toString('hex')}`)
    .asPromise();
  models = defineModels(connection);
  await Promise.all(Object.values(models).map((model) => model.init()));
  const at = new Date();
  await Promise.all([
    models.ProviderSecret.collection.insertMany(
      Array.from({ length: ROWS }, (_, i) => ({
        _id: `store-${i}#1`,
        providerId: `store-${i}`,
        seq: 1,
        secret: 'enc:v1:k:x',
        createdAt: at,
        retiresPredecessorsAt: at,
      })) as never[],
    ),
    models.SandboxOperation.collection.insertMany(
      Array.from({ length: ROWS }, (_, i) => ({
        _id: `auth_${i}#000000`,
        authorisationId: `auth_${i}`,
        orderId: `ord_${i}`,
        seq: 0,
        key: `order:ord_${i}:capture`,
        at,
        operation: 'capture',
        entries: [],
        result: {},
      })) as never[],
    ),
    // Ten publications a second over 300 s: the change feed asks for one second's.
    models.OrderPublication.collection.insertMany(
      Array.from({ length: ROWS }, (_, i) => ({
        _id: `ord_${i}/1`,
        orderId: `ord_${i}`,
        publication: 1,
        snapshot: { orderId: `ord_${i}`, revision: 1 },
        createdAt: at,
        createdSecond: 1_700_000_000 + Math.floor(i / 10),
      })) as never[],
    ),
    // A fleet's announced changes over many ten-minute periods: each process asks for one.
    models.DirectoryChange.collection.insertMany(
      Array.from({ length: ROWS }, (_, i) => ({
        _id: `provider:store-${i}/change`,
        subject: `provider:store-${i}`,
        period: 2_900_000 + Math.floor(i / 10),
        at,
      })) as never[],
    ),
    // Deliveries long delivered: the API's backlog gauge counts the few still pending.
    models.AppEventDelivery.collection.insertMany(
      Array.from({ length: ROWS }, (_, i) => ({
        _id: `app-event-ep_1-evt_${i}`,
        endpointId: 'ep_1',
        eventId: `evt_${i}`,
        type: 'order.status_changed',
        orderId: `ord_${i}`,
        sequence: 1,
        body: '{}',
        status: 'delivered',
        createdAt: at,
        updatedAt: at,
      })) as never[],
    ),
  ]);
});

afterAll(async () => {
  if (!connection) return;
  await connection.db!.dropDatabase();
  await connection.close();
});

/** PostgreSQL's plan nodes for a find, as FerretDB's `explain` reports them. */
async function planOf(collection: string, filter: Record<string, unknown>): Promise<string[]> {
  const answer = await connection.db!.command({ explain: { find: collection, filter } });
  const nodes: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    nodes.push(String(node['Node Type']));
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((answer.queryPlanner as { Plan: Record<string, unknown> }).Plan);
  return nodes;
}

const onPostgresIt = onPostgres ? it : it.skip;

describe('lookups on the embedded PostgreSQL', () => {
  onPostgresIt.each([
    ['a document by _id', 'provider_secrets', { _id: 'store-1234#1' }],
    [
      "a provider's signing secrets (every callback)",
      'provider_secrets',
      { providerId: 'store-7' },
    ],
    [
      "an authorisation's operations (capture, refund)",
      'sandbox_operations',
      { authorisationId: 'auth_42' },
    ],
    ["an order's ledger", 'sandbox_operations', { orderId: 'ord_2999' }],
    [
      "one second's publications (the API's change feed)",
      'order_publications',
      { createdSecond: 1_700_000_150 },
    ],
    [
      "one period's directory changes (every process's poll)",
      'directory_changes',
      { period: 2_900_150 },
    ],
    [
      "pending app-event deliveries (the API's backlog gauge)",
      'app_event_deliveries',
      { status: 'pending' },
    ],
    [
      "an endpoint's pending deliveries (its relay's round)",
      'app_event_deliveries',
      { endpointId: 'ep_1', status: 'pending' },
    ],
  ])('%s uses an index', async (_story, collection, filter) => {
    const nodes = await planOf(collection, filter);
    expect(nodes).toContain('Bitmap Index Scan');
    expect(nodes).not.toContain('Seq Scan');
  });

  onPostgresIt('finds what it looks for through the index', async () => {
    const found = await models.SandboxOperation.find({ authorisationId: 'auth_42' }).lean();
    expect(found.map((op) => op._id)).toEqual(['auth_42#000000']);
    expect(await models.ProviderSecret.findById('store-1234#1').lean()).toMatchObject({
      providerId: 'store-1234',
    });
  });
});
