// Hostile input against every operation the OpenAPI document lists, so a new endpoint is
// covered as soon as it is documented. fast-check builds requests from the document: path ids
// that are unknown, another app's or another provider's, or malformed (unicode, `..`, broken
// percent-escapes, very long); bad query values; forged bearer tokens and provider signatures
// (missing, malformed, wrong secret, another provider's, stale, over another body, path or
// method); odd headers and Idempotency-Keys; and bodies wrong in every way the schema can
// say (wrong types, negative, fractional or huge amounts, unknown fields, deep nesting, 1 MB
// strings, bad dates) or only the server knows (a delivery window ending before it starts, a
// refund above what was captured). Each request knows why it must be refused. Every answer
// is a 4xx with the JSON error shape (a 2xx only for a read that is actually valid), with no
// stack trace, an X-Request-Id and the security headers; and nothing a request could change
// (orders, the sandbox ledger, idempotency records, providers, their secrets, the workflows'
// histories) has changed afterwards.

import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { MAX_BODY_BYTES } from '../api/middleware/body';
import { buildOpenApiDocument } from '../api/openapi';
import { callbackSignatureHeader, SIGNATURE_HEADER } from '../infra/signing';
import { orderWorkflowId } from '../workflows/messages';
import { useHarness, TOKENS, type RegisteredProvider } from './support/harness';
import { groceryOrder, hotelOrder, placeOrder, waitForStatus } from './support/orders';
import { support } from './support/staff';

/**
 * Runs per operation: reads take fewer, actions more (about 1,500 requests over the 29
 * operations documented today, about 20 s on 2 cores). Any failure prints its seed and path.
 */
const RUNS = { read: 40, write: 50 };

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, as far as these tests read it.

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        security?: Record<string, unknown>[];
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

type Security = 'bearer' | 'signature' | 'none';

interface Operation {
  key: string;
  method: string;
  path: string;
  params: Parameter[];
  body?: JsonSchema;
  security: Security;
}

// Built in-process so jest can name one test per operation; the first test checks that the
// server serves exactly this document.
const document = buildOpenApiDocument() as unknown as OpenApiDocument;

const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => {
    const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
    return {
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      params: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
      security: schemes.includes('providerSignature')
        ? 'signature'
        : schemes.includes('bearerAuth')
          ? 'bearer'
          : 'none',
    } satisfies Operation;
  }),
);

function resolve(schema: JsonSchema): JsonSchema {
  let resolved = schema;
  while (resolved.$ref) {
    const name = resolved.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) throw new Error(`unresolved ${resolved.$ref}`);
    resolved = target;
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// "Certainly invalid": a value the schema refuses for sure. Sound rather than complete: it
// never calls a value the server accepts invalid (strings are trimmed before length checks
// on the server, so only a trimmed string over the limit is too long; integers in queries
// are coerced). What it cannot judge (refinements) the semantic faults below cover.

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    default:
      return true;
  }
}

/** A date (`YYYY-MM-DD`) or date-time prefix no calendar has. */
function impossibleDate(value: string, withTime: boolean): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value);
  if (!match) return true;
  if (withTime ? match[4] === undefined : value.length !== 10) return true;
  const [month, day] = [Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return true;
  return withTime && (Number(match[4]) > 23 || Number(match[5]) > 59);
}

function violates(schema: JsonSchema, value: unknown): boolean {
  const s = resolve(schema);
  if (s.oneOf) return s.oneOf.every((branch) => violates(branch, value));
  if (s.anyOf) return s.anyOf.every((branch) => violates(branch, value));
  if (s.allOf?.some((branch) => violates(branch, value))) return true;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((type) => hasType(type, value))) return true;
  }
  if (s.enum && !s.enum.includes(value)) return true;
  if (typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength) return true;
    if (s.maxLength !== undefined && [...value.trim()].length > s.maxLength) return true;
    if (s.pattern) {
      const pattern = new RegExp(s.pattern);
      if (!pattern.test(value) && !pattern.test(value.trim())) return true;
    }
    if (s.format === 'date-time' && impossibleDate(value, true)) return true;
    if (s.format === 'date' && impossibleDate(value, false)) return true;
    if (s.format === 'uri' && !URL.canParse(value)) return true;
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) return true;
    if (s.maximum !== undefined && value > s.maximum) return true;
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) return true;
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) return true;
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) return true;
    if (s.maxItems !== undefined && value.length > s.maxItems) return true;
    if (s.items && value.some((item) => violates(s.items!, item))) return true;
  }
  if (isPlainObject(value)) {
    if (s.required?.some((key) => !Object.hasOwn(value, key))) return true;
    for (const [key, child] of Object.entries(value)) {
      const property = s.properties && Object.hasOwn(s.properties, key) && s.properties[key];
      if (property ? violates(property, child) : s.additionalProperties === false) return true;
    }
  }
  return false;
}

/** Query values arrive as strings; numbers are coerced (`z.coerce.number()`). */
function violatesQuery(schema: JsonSchema, value: string | string[]): boolean {
  if (Array.isArray(value)) return true; // a repeated parameter is never a scalar
  const s = resolve(schema);
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const coerced = types.includes('integer') || types.includes('number') ? Number(value) : value;
  return violates(s, coerced);
}

// ---------------------------------------------------------------------------------------------
// Generators of bad values, from a schema. The verdict is always `violates` (or a named
// semantic fault), never the generator's intent.

/** Written into the JSON text as it is: numbers JSON.stringify cannot produce, bad literals. */
const raw = (literal: string) => `@@raw(${literal})@@`;
const toJsonText = (value: unknown) =>
  JSON.stringify(value).replace(/"@@raw\((.*?)\)@@"/g, (_match, literal: string) => literal);

const ONE_MB = 1024 * 1024;
const HUGE_STRING = 'x'.repeat(ONE_MB);
const nestedArrays = (depth: number) => raw(`${'['.repeat(depth)}${']'.repeat(depth)}`);
const nestedObjects = (depth: number) => raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

const BAD_DATES = [
  '2030-13-01T10:00:00Z',
  '2030-02-30T10:00:00Z',
  '2030-01-01T24:00:00Z',
  '2030-01-01T10:61:00Z',
  '2030-00-10T10:00:00Z',
  '2030-01-01',
  '01/02/2030',
  'tomorrow',
  'Infinity',
  '1764000000',
  '+275760-09-13T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '',
];

const wrongTypeArb = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    '',
    'text',
    [],
    {},
    [1, 'a'],
    { $gt: '' },
    { $ne: null },
    raw('1e400'),
    raw('-1e400'),
  ),
  fc.integer({ min: 33, max: 20_000 }).map(nestedArrays),
  fc.integer({ min: 33, max: 20_000 }).map(nestedObjects),
);

function stringViolations(s: JsonSchema): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [
    fc.constantFrom('', '   ', '\u0000', '\u200b', '\ud800', '😀😀😀', 'é', '<script>'),
    fc.constant(HUGE_STRING),
  ];
  if (s.maxLength !== undefined) {
    const max = s.maxLength;
    options.push(fc.integer({ min: max + 1, max: max + 64 }).map((n) => 'y'.repeat(n)));
    options.push(fc.constant('é'.repeat(max + 1)));
  }
  if (s.pattern) {
    options.push(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }));
    options.push(fc.constantFrom('../..', '-lead', ' x', 'a b', 'a/b', '$where', 'ünï', '%2e'));
  }
  if (s.enum) {
    const values = s.enum.map(String);
    options.push(
      fc.constantFrom(
        ...values.flatMap((v) => [v.toUpperCase(), ` ${v}`, `${v}\u200b`, `${v}s`, v.slice(1)]),
      ),
    );
    options.push(fc.string({ maxLength: 16 }));
  }
  if (s.format === 'date-time' || s.format === 'date') options.push(fc.constantFrom(...BAD_DATES));
  if (s.format === 'uri') {
    options.push(
      fc.constantFrom(
        'not a url',
        'http://',
        '//example.com/hook',
        'javascript:alert(1)',
        'ftp://example.com/hook',
        'file:///etc/passwd',
      ),
    );
  }
  return fc.oneof(...options);
}

function numberViolations(s: JsonSchema): fc.Arbitrary<unknown> {
  const edges = [s.minimum, s.maximum].filter((v): v is number => v !== undefined);
  return fc.oneof(
    fc.constantFrom<unknown>(
      -1,
      -0.5,
      0.5,
      1.5,
      1e21,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      2 ** 64,
      Number.MIN_VALUE,
      '12',
      raw('1e400'),
      raw('-1e400'),
      raw('0x10'),
      raw('NaN'),
      raw('Infinity'),
      raw('+1'),
      raw('01'),
      ...edges.flatMap((edge) => [edge - 1, edge + 1, edge + 0.5, edge * 10 + 1]),
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  );
}

function violationArb(schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const options: fc.Arbitrary<unknown>[] = [wrongTypeArb];
  if (s.oneOf) options.push(...s.oneOf.map(violationArb));
  if (types.includes('string') || s.enum) options.push(stringViolations(s));
  if (types.includes('integer') || types.includes('number')) options.push(numberViolations(s));
  if (types.includes('array')) {
    options.push(fc.constantFrom<unknown>([], Array(Math.max(s.maxItems ?? 1000, 1) + 1).fill(1)));
    if (s.items) options.push(violationArb(s.items).map((item) => [item]));
  }
  if (types.includes('object')) options.push(fc.constantFrom<unknown>({}, [{}], 'object'));
  return fc.oneof(...options);
}

/** Unknown fields, including ones aimed at prototypes and query operators. */
const unknownFieldArb = fc.tuple(
  fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$set', 'a.b', '', '💥'),
    fc.constantFrom('total', 'status', 'amounts', 'placedBy', 'orderId', 'refunded', 'admin'),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ polluted: true })),
);

/** The branch of a oneOf a valid value belongs to. */
function branchOf(schema: JsonSchema, value: unknown): JsonSchema {
  const s = resolve(schema);
  if (!s.oneOf) return s;
  return resolve(s.oneOf.find((branch) => !violates(branch, value)) ?? s.oneOf[0]!);
}

/** A valid value with one part made wrong (a property, an item, a removed or added field). */
function mutationArb(schema: JsonSchema, value: unknown): fc.Arbitrary<unknown> {
  const s = branchOf(schema, value);
  const options: fc.WeightedArbitrary<unknown>[] = [{ weight: 1, arbitrary: violationArb(s) }];
  if (isPlainObject(value)) {
    const properties = Object.keys(s.properties ?? {});
    if (properties.length > 0) {
      options.push({
        weight: 5,
        arbitrary: fc.constantFrom(...properties).chain((key) => {
          const child = s.properties![key]!;
          const wrong = Object.hasOwn(value, key)
            ? mutationArb(child, value[key])
            : violationArb(child);
          return wrong.map((v) => ({ ...value, [key]: v }));
        }),
      });
    }
    const present = (s.required ?? []).filter((key) => Object.hasOwn(value, key));
    if (present.length > 0) {
      options.push({
        weight: 1,
        arbitrary: fc.constantFrom(...present).map((key) => {
          const { [key]: _removed, ...rest } = value;
          return rest;
        }),
      });
    }
    options.push({
      weight: 1,
      arbitrary: unknownFieldArb.map(([key, v]) => ({ ...value, [key]: v })),
    });
  }
  if (Array.isArray(value) && value.length > 0 && s.items) {
    const items = s.items;
    options.push({
      weight: 2,
      arbitrary: fc
        .nat(value.length - 1)
        .chain((i) =>
          mutationArb(items, value[i]).map((v) => value.map((item, j) => (j === i ? v : item))),
        ),
    });
  }
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// The world the requests aim at: two stores, orders of both apps and both stores, one in
// flight with money captured and a refund waiting for an admin.

interface WorldOrder {
  orderId: string;
  placedBy: 'checkout' | 'other-checkout';
  providerId: string;
}

interface World {
  store: RegisteredProvider;
  otherStore: RegisteredProvider;
  orders: WorldOrder[];
  /** The order with captured money (dispatching) and its pending refund. */
  capturedOrderId: string;
  refundId: string;
  checkout: { key: string; body: object };
}

const harness = useHarness({ env: { REFUND_APPROVAL_THRESHOLD: '100' } });
let world: World;
/** The state after set-up: the last test compares the whole run against it. */
let initial: unknown;

beforeAll(async () => {
  // Long confirmation deadlines: nothing moves on its own while the requests run.
  const [store, otherStore] = [
    await harness.registerProvider({ vertical: 'grocery', confirmationTimeoutSeconds: 7200 }),
    await harness.registerProvider({ vertical: 'grocery', confirmationTimeoutSeconds: 7200 }),
  ];
  const place = async (providerId: string, token: string, key = randomBytes(8).toString('hex')) => {
    const response = await placeOrder(harness.apiUrl, groceryOrder(providerId), { key, token });
    expect(response.status).toBe(201);
    return response.body.orderId as string;
  };
  const checkoutKey = `hostile-${randomBytes(6).toString('hex')}`;
  const awaiting = await place(store.providerId, TOKENS.app, checkoutKey);
  const captured = await place(store.providerId, TOKENS.app);
  const othersApp = await place(store.providerId, TOKENS.otherApp);
  const othersStore = await place(otherStore.providerId, TOKENS.app);

  expect((await store.client.confirm(captured, { decision: 'accept' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, captured, 'dispatching');
  const refund = await support(harness.apiUrl).refund(captured, {
    amount: 200,
    reason: 'goodwill',
  });
  expect({ status: refund.status, refund: refund.body.refund?.status }).toEqual({
    status: 202,
    refund: 'pending_approval',
  });
  world = {
    store,
    otherStore,
    orders: [
      { orderId: awaiting, placedBy: 'checkout', providerId: store.providerId },
      { orderId: captured, placedBy: 'checkout', providerId: store.providerId },
      { orderId: othersApp, placedBy: 'other-checkout', providerId: store.providerId },
      { orderId: othersStore, placedBy: 'checkout', providerId: otherStore.providerId },
    ],
    capturedOrderId: captured,
    refundId: refund.body.refund.refundId,
    checkout: { key: checkoutKey, body: groceryOrder(store.providerId) },
  };
  await settled();
  initial = await snapshot();
});

// ---------------------------------------------------------------------------------------------
// What must not change. Audit entries and the provider callback log are left out: they record
// refused attempts too, by design.

const LOGS = new Set(['AuditEntry', 'CallbackLog']);

async function snapshot() {
  // The worker's queued listing copies first: one landing later would look like a change.
  await harness.flushListing();
  const collections: Record<string, unknown[]> = {};
  for (const [name, model] of Object.entries(harness.database.models)) {
    if (LOGS.has(name)) continue;
    const { collectionName } = (model as { collection: { collectionName: string } }).collection;
    collections[name] = await harness.database.connection
      .db!.collection(collectionName)
      .find()
      .sort({ _id: 1 })
      .toArray();
  }
  const histories: Record<string, number> = {};
  for (const { orderId } of world.orders) {
    const history = await harness.temporal.workflow
      .getHandle(orderWorkflowId(orderId))
      .fetchHistory();
    histories[orderId] = history.events?.length ?? 0;
  }
  return JSON.parse(JSON.stringify({ collections, histories })) as unknown;
}

/** Waits until the world's workflows have nothing left to do (the courier is assigned...). */
async function settled() {
  let previous = JSON.stringify(await snapshot());
  for (let attempt = 0; attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = JSON.stringify(await snapshot());
    if (current === previous) return;
    previous = current;
  }
  throw new Error('the orders did not settle');
}

// ---------------------------------------------------------------------------------------------
// Who may call what. Bearer roles are not in the OpenAPI document: a new prefix must be
// added here (the test fails until it is).

type Caller = 'app' | 'otherApp' | 'support' | 'admin';
const CALLER_ROLE: Record<Caller, string> = {
  app: 'app',
  otherApp: 'app',
  support: 'support',
  admin: 'admin',
};
const CALLER_NAME: Record<Caller, string> = {
  app: 'checkout',
  otherApp: 'other-checkout',
  support: 'support',
  admin: 'admin',
};
const ROLES: [RegExp, string[]][] = [
  [/^\/v1\/orders(\/|$)/, ['app']],
  [/^\/v1\/support\/orders\/\{orderId\}\/refunds\/\{refundId\}\/(approve|decline)$/, ['admin']],
  [/^\/v1\/support\//, ['support', 'admin']],
  [/^\/v1\/admin\//, ['admin']],
  [/^\/codec\//, ['support', 'admin']],
];

function rolesFor(op: Operation): string[] {
  const roles = ROLES.find(([pattern]) => pattern.test(op.path))?.[1];
  if (!roles) throw new Error(`no roles known for ${op.key}: add its prefix to ROLES`);
  return roles;
}

/** Valid request bodies to mutate, by operation; `{}` for an operation not listed. */
function validBody(op: Operation): unknown {
  const now = new Date().toISOString();
  const bodies: Record<string, unknown> = {
    'POST /v1/orders': world.checkout.body,
    'POST /v1/orders/{orderId}/cancel': { reason: 'changed my mind' },
    'POST /v1/providers/{providerId}/orders/{orderId}/confirmation': { decision: 'accept' },
    'POST /v1/providers/{providerId}/orders/{orderId}/events': { type: 'picked_up', at: now },
    'POST /v1/admin/providers': {
      providerId: `fuzz-${randomBytes(4).toString('hex')}`,
      vertical: 'grocery',
      name: 'Fuzz store',
    },
    'PATCH /v1/admin/providers/{providerId}': { name: 'Renamed store' },
    'POST /v1/admin/providers/{providerId}/secrets': { graceSeconds: 60 },
    'POST /v1/support/orders/{orderId}/refunds': { amount: 100, reason: 'goodwill' },
    'POST /v1/support/orders/{orderId}/refunds/{refundId}/approve': { note: 'fine' },
    'POST /v1/support/orders/{orderId}/refunds/{refundId}/decline': { note: 'no' },
    'POST /v1/support/orders/{orderId}/cancel': { reason: 'customer called' },
  };
  return bodies[op.key] ?? {};
}

type Semantic = [fault: string, make: (base: Record<string, unknown>) => unknown];

/** Webhook URLs refused even where private webhooks are allowed (as here). */
const REFUSED_WEBHOOKS: [fault: string, url: string][] = [
  ['a metadata webhook', 'http://169.254.169.254/latest/meta-data/'],
  ['a metadata webhook in hex', 'http://0xa9fea9fe/'],
  ['a mapped metadata webhook', 'http://[::ffff:169.254.169.254]/'],
  ['a metadata webhook by name', 'http://metadata.google.internal/computeMetadata/v1/'],
  ['a webhook with user info', 'https://user:secret@store.example/hooks'],
  ['a webhook to 0.0.0.0', 'http://0.0.0.0:8080/'],
];

/** Bodies the schema allows but the server must refuse, by operation. */
function semanticFaults(op: Operation): Semantic[] {
  const DAY = 86_400_000;
  const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();
  const grocery = (base: Record<string, unknown>, change: Record<string, unknown>) => ({
    ...base,
    grocery: { ...(base.grocery as object), ...change },
  });
  const item = (sku: string, quantity: number, unitPrice: number) => ({
    sku,
    name: 'Thing',
    quantity,
    unitPrice,
  });
  const faults: Record<string, Semantic[]> = {
    'POST /v1/orders': [
      [
        'delivery window ends before it starts',
        (b) =>
          grocery(b, {
            deliveryWindow: { start: '2030-01-01T11:00:00Z', end: '2030-01-01T10:00:00Z' },
          }),
      ],
      [
        'empty delivery window',
        (b) =>
          grocery(b, {
            deliveryWindow: { start: '2030-01-01T11:00:00Z', end: '2030-01-01T11:00:00Z' },
          }),
      ],
      ...(
        [
          ['a delivery window in 1970', '1970-01-01T10:00:00Z', '1970-01-01T11:00:00Z'],
          ['a delivery window in 9999', '9999-12-31T10:00:00Z', '9999-12-31T11:00:00Z'],
          ['a delivery window in 15 days', inDays(15), inDays(15.1)],
          ['a two-day delivery window', inDays(1), inDays(3)],
        ] as const
      ).map(([fault, start, end]): Semantic => [
        `out of horizon: ${fault}`,
        (b) => grocery(b, { deliveryWindow: { start, end } }),
      ]),
      ['a sku twice', (b) => grocery(b, { items: [item('a', 1, 100), item('a', 2, 100)] })],
      ['total above the maximum', (b) => grocery(b, { items: [item('a', 1000, 2 ** 40)] })],
      ['total of zero', (b) => grocery(b, { items: [item('a', 1, 0)] })],
      [
        'total beyond safe integers',
        (b) => grocery(b, { items: [item('a', 1000, Number.MAX_SAFE_INTEGER)] }),
      ],
      ['blank address', (b) => grocery(b, { deliveryAddress: '   ' })],
      ['unknown provider', (b) => ({ ...b, providerId: 'no-such-provider' })],
      ['hotel at a grocery store', () => hotelOrder(world.store.providerId)],
      [
        'hotel check-in in the past',
        () =>
          hotelOrder('no-such-hotel', {
            checkIn: new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10),
          }),
      ],
      ['a 91-night stay', () => hotelOrder('no-such-hotel', { nights: 91 })],
    ],
    'POST /v1/orders/{orderId}/cancel': [['blank reason', () => ({ reason: ' \t ' })]],
    'POST /v1/providers/{providerId}/orders/{orderId}/confirmation': [
      [
        'a sku twice',
        () => ({
          decision: 'accept',
          items: [
            { sku: 'apple', availableQuantity: 1 },
            { sku: 'apple', availableQuantity: 2 },
          ],
        }),
      ],
      ['blank reason', () => ({ decision: 'reject', reason: '   ' })],
    ],
    'POST /v1/providers/{providerId}/orders/{orderId}/events': [
      [
        'an event 31 days old',
        (b) => ({ ...b, at: new Date(Date.now() - 31 * DAY).toISOString() }),
      ],
      [
        'an event an hour ahead',
        (b) => ({ ...b, at: new Date(Date.now() + 3_600_000).toISOString() }),
      ],
      [
        'an event before the order',
        (b) => ({ ...b, at: new Date(Date.now() - 2 * DAY).toISOString() }),
      ],
    ],
    'POST /v1/admin/providers': [
      ['an existing provider id', (b) => ({ ...b, providerId: world.store.providerId })],
      ['a no-show grace for a store', (b) => ({ ...b, doctorNoShowGraceSeconds: 60 })],
      ['an ftp webhook', (b) => ({ ...b, webhookUrl: 'ftp://example.com/hook' })],
      ...REFUSED_WEBHOOKS.map(([fault, url]): Semantic => [
        fault,
        (b) => ({ ...b, webhookUrl: url }),
      ]),
      ['a blank name', (b) => ({ ...b, name: '   ' })],
      ['an unknown time zone', (b) => ({ ...b, timeZone: 'Mars/Olympus_Mons' })],
      ['a fixed offset for a time zone', (b) => ({ ...b, timeZone: '+08:00' })],
      ['a check-in time for a store', (b) => ({ ...b, checkInTime: '14:00' })],
      ['a hotel without a time zone', (b) => ({ ...b, vertical: 'hotel' })],
      [
        'a hotel checking in at 24:00',
        (b) => ({ ...b, vertical: 'hotel', timeZone: 'UTC', checkInTime: '24:00' }),
      ],
    ],
    'PATCH /v1/admin/providers/{providerId}': [
      ['nothing to change', () => ({})],
      ['a no-show grace for a store', () => ({ doctorNoShowGraceSeconds: 60 })],
      ['an ftp webhook', () => ({ webhookUrl: 'ftp://example.com/hook' })],
      ['an unknown time zone', () => ({ timeZone: 'Asia/Atlantis' })],
      ['a check-out time for a store', () => ({ checkOutTime: '11:00' })],
      ...REFUSED_WEBHOOKS.map(([fault, url]): Semantic => [fault, () => ({ webhookUrl: url })]),
    ],
    'POST /v1/support/orders/{orderId}/refunds': [
      ['more than was captured', (b) => ({ ...b, amount: 1_000_000 })],
      ['a blank note', (b) => ({ ...b, note: '   ' })],
    ],
    'POST /v1/support/orders/{orderId}/refunds/{refundId}/approve': [
      ['a blank note', () => ({ note: '  ' })],
    ],
    'POST /v1/support/orders/{orderId}/refunds/{refundId}/decline': [
      ['a blank note', () => ({ note: '  ' })],
    ],
    'POST /v1/support/orders/{orderId}/cancel': [['blank reason', () => ({ reason: '  ' })]],
  };
  return faults[op.key] ?? [];
}

// ---------------------------------------------------------------------------------------------
// Requests ("probes"): what is sent, and why it must be refused.

interface Probe {
  method: string;
  /** Path and query exactly as sent. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Why the server must refuse this request; empty when it may be valid. */
  faults: string[];
  /** Parts whose validity the test cannot judge (then any non-5xx answer is fine). */
  unsure: string[];
}

function describeProbe(probe: Probe): string {
  const body = probe.body
    ? probe.body.length > 600
      ? `${probe.body.subarray(0, 300).toString('utf8')}… (${probe.body.length} bytes)`
      : probe.body.toString('utf8')
    : '(none)';
  return [
    `${probe.method} ${probe.target.length > 300 ? `${probe.target.slice(0, 300)}…` : probe.target}`,
    ...Object.entries(probe.headers).map(
      ([k, v]) => `${k}: ${v.length > 200 ? `${v.slice(0, 200)}…` : v}`,
    ),
    `body: ${body}`,
    `faults: ${probe.faults.join('; ') || '(none)'}`,
    `unsure: ${probe.unsure.join('; ') || '(none)'}`,
  ].join('\n  ');
}

/** A path segment exactly as sent. */
const MALFORMED_SEGMENTS = [
  '',
  '.',
  '..',
  '%2e%2e',
  '%2E',
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
  '%00',
  '%2F',
  '..%2F..%2Fadmin',
  '%252e%252e',
  '*',
  '%24where',
  '-lead',
  '_x',
  '%20x',
  'ord%0Ax',
];

const malformedSegmentArb = fc.oneof(
  fc.constantFrom(...MALFORMED_SEGMENTS),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).map(encodeURIComponent),
  fc.integer({ min: 129, max: 4_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 65, max: 700 }).map((n) => encodeURIComponent('é'.repeat(n))),
  // Latin-1 bytes as they are, unencoded.
  fc.string({
    unit: fc.integer({ min: 0xa1, max: 0xff }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 8,
  }),
);

const identifierArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,30}$/);

type Segment = { sent: string };

function segmentArb(name: string): fc.Arbitrary<Segment> {
  const known: string[] =
    name === 'orderId'
      ? world.orders.map((o) => o.orderId)
      : name === 'providerId'
        ? [world.store.providerId, world.otherStore.providerId]
        : name === 'refundId'
          ? [world.refundId]
          : [];
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: malformedSegmentArb },
    { weight: 1, arbitrary: identifierArb },
  ];
  if (known.length > 0) {
    options.push({ weight: 6, arbitrary: fc.constantFrom(...known) });
    // Case changed, or one character percent-encoded (the same id: the router decodes it).
    options.push({
      weight: 1,
      arbitrary: fc
        .constantFrom(...known)
        .chain((id) =>
          fc.constantFrom(
            id.toUpperCase(),
            `%${id.charCodeAt(0).toString(16).toUpperCase()}${id.slice(1)}`,
            `${id}%20`,
            `${id}.`,
          ),
        ),
    });
  }
  return fc.oneof(...options).map((sent) => ({ sent }));
}

/** Percent-encoded; a lone surrogate (which has no UTF-8) as the bytes CESU-8 would use. */
function encodeQuery(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

/** `decodeURIComponent`, or undefined for a malformed escape (the router's 400). */
function decoded(sent: string): string | undefined {
  try {
    return decodeURIComponent(sent);
  } catch {
    return undefined;
  }
}

type Credential =
  | { kind: 'token'; caller: Caller }
  | { kind: 'none' }
  | { kind: 'header'; value: string }
  | {
      kind: 'signature';
      signer: 'path' | 'store' | 'otherStore';
      flaw:
        | 'none'
        | 'missing'
        | 'malformed'
        | 'wrong secret'
        | 'stale'
        | 'future'
        | 'another body'
        | 'another path'
        | 'another method';
      malformed: string;
      skewSeconds: number;
    };

const badAuthorizationArb = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNzd29yZA==',
    `Bearer ${TOKENS.app.slice(0, -1)}`,
    `Bearer ${TOKENS.admin}x`,
    `Bearer ${TOKENS.admin.toUpperCase()}`,
    `Bearer ${TOKENS.support} ${TOKENS.admin}`,
    `Token ${TOKENS.admin}`,
    `Bearer tökén-ñot-vâlid`,
    TOKENS.admin,
  ),
  fc.stringMatching(/^[\x21-\x7e]{1,80}$/).map((token) => `Bearer ${token}`),
);

/**
 * Credentials: mostly wrong when they are the request's one flaw (`focus`), mostly right
 * when anything may be wrong, so that such requests still get past authentication.
 */
function credentialArb(op: Operation, focus = false): fc.Arbitrary<Credential> {
  const right = focus ? 1 : 6;
  if (op.security === 'bearer') {
    const callers: Caller[] = ['app', 'otherApp', 'support', 'admin'];
    const allowed = callers.filter((c) => rolesFor(op).includes(CALLER_ROLE[c]));
    const token = (list: Caller[]) =>
      fc.constantFrom(...list).map((caller) => ({ kind: 'token', caller }) as const);
    return fc.oneof(
      { weight: 2 * right, arbitrary: token(allowed) },
      { weight: 1, arbitrary: token(callers) },
      { weight: 1, arbitrary: fc.constant({ kind: 'none' } as const) },
      {
        weight: 2,
        arbitrary: badAuthorizationArb.map((value) => ({ kind: 'header', value }) as const),
      },
    );
  }
  if (op.security === 'signature') {
    return fc.record({
      kind: fc.constant('signature' as const),
      // Mostly the provider the path names (when it names one of ours).
      signer: fc.oneof(
        { weight: 5, arbitrary: fc.constant('path' as const) },
        { weight: 1, arbitrary: fc.constantFrom('store' as const, 'otherStore' as const) },
      ),
      flaw: fc.oneof(
        { weight: right, arbitrary: fc.constant('none' as const) },
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            'missing' as const,
            'malformed' as const,
            'wrong secret' as const,
            'stale' as const,
            'future' as const,
            'another body' as const,
            'another path' as const,
            'another method' as const,
          ),
        },
      ),
      malformed: fc.oneof(
        fc.constantFrom(
          't=',
          'v1=abc',
          't=abc,v1=zz',
          `t=${Math.floor(Date.now() / 1000)},v1=`,
          't=1,t=2,v1=00',
          'sha256=deadbeef',
        ),
        fc.stringMatching(/^[\x21-\x7e]{1,100}$/),
      ),
      // Past the 300 s window with room to spare: the header's time is floored to the second
      // and the request reaches the server later than it was signed (a future time shrinks).
      skewSeconds: fc.integer({ min: 310, max: 400_000 }),
    });
  }
  return fc.constant({ kind: 'none' } as const);
}

type Meant = 'valid' | 'bad' | 'unknown';

interface QueryChoice {
  /** Name, value, and what the generator meant it to be (the verdict is `violatesQuery`). */
  pairs: [string, string, Meant][];
  rawSuffix: string;
}

function queryArb(op: Operation, goodOnly = false): fc.Arbitrary<QueryChoice> {
  const declared = op.params.filter((p) => p.in === 'query');
  const perParam = declared.map((param) => {
    const s = resolve(param.schema);
    const valid: fc.Arbitrary<string>[] = [];
    // A long poll's valid reads answer at once (a revision already passed, no wait): the run
    // is not there to wait.
    if (param.name === 'wait' || param.name === 'afterRevision') valid.push(fc.constant('0'));
    else if (s.enum) valid.push(fc.constantFrom(...s.enum.map(String)));
    else if (s.type === 'integer')
      valid.push(fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 }).map(String));
    else if (s.format === 'date-time')
      valid.push(fc.constantFrom('2020-01-01T00:00:00Z', '2100-01-01T00:00:00.000+08:00'));
    else if (s.pattern) valid.push(fc.constantFrom(world.store.providerId, 'cust_1'));
    const bad = fc.oneof(
      fc.constantFrom('', 'abc', '-1', '0', '1.5', '1e400', '99999999999999999999', '%ZZ'),
      stringViolations(s).filter((v): v is string => typeof v === 'string' && v.length < 5_000),
    );
    const pair = (meant: Meant) => (value: string) => [param.name, value, meant] as const;
    if (goodOnly) {
      return fc.oneof(
        fc.constant([]),
        ...valid.map((arbitrary) => arbitrary.map((v) => [pair('valid')(v)])),
      );
    }
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      ...(valid.length
        ? [{ weight: 3, arbitrary: fc.oneof(...valid).map((v) => [pair('valid')(v)]) }]
        : []),
      { weight: 2, arbitrary: bad.map((v) => [pair('bad')(v)]) },
      // Repeated: `?limit=1&limit=2`.
      { weight: 1, arbitrary: fc.tuple(bad, bad).map((vs) => vs.map(pair('bad'))) },
    );
  });
  const extra = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('foo', '__proto__', 'status[$ne]', 'constructor', 'a.b', 'ünï'),
        fc.string({ maxLength: 8 }),
      ),
      fc.string({ maxLength: 16 }),
      fc.constant('unknown' as const),
    ),
    { maxLength: 2 },
  );
  if (goodOnly) {
    return fc
      .tuple(...perParam)
      .map((chosen) => ({ pairs: chosen.flat() as [string, string, Meant][], rawSuffix: '' }));
  }
  return fc
    .record({
      declared: fc.tuple(...perParam),
      extra,
      rawSuffix: fc.oneof(
        { weight: 8, arbitrary: fc.constant('') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('&', '&&==&', '%ZZ=%ZZ', 'a[b][c]=1', '=x', '&%00=%00'),
        },
      ),
    })
    .map(({ declared: chosen, extra: more, rawSuffix }) => ({
      pairs: [...chosen.flat(), ...more] as [string, string, Meant][],
      rawSuffix,
    }));
}

const goodKeyArb = fc.stringMatching(/^[\x21-\x7e]{1,60}$/).map((key) => ({ key }));

const idempotencyKeyArb = fc.oneof(
  { weight: 8, arbitrary: goodKeyArb },
  { weight: 1, arbitrary: fc.constant({ key: undefined }) },
  { weight: 1, arbitrary: fc.constant({ key: 'existing' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('', ' ', 'a b', 'k'.repeat(256), 'clé', 'x\ty', `${'k'.repeat(255)}é`)
      .map((key) => ({ key })),
  },
);

const CONTENT_TYPES = {
  json: ['application/json', 'application/json; charset=utf-8', 'application/vnd.orderflow+json'],
  other: [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/json; charset=latin1',
    'application/jsonx',
  ],
};

const contentTypeArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...CONTENT_TYPES.json) },
  { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES.other) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const noiseHeadersArb = fc.record(
  {
    'X-Request-Id': fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
      fc.constantFrom('a b', 'r'.repeat(300), 'ré', ''),
    ),
    Accept: fc.constantFrom('text/html', 'application/xml', '*/*', 'image/png;q=0.5'),
    'X-HTTP-Method-Override': fc.constantFrom('DELETE', 'PUT', 'GET'),
    'X-Forwarded-For': fc.constant('10.0.0.1, 127.0.0.1'),
    Origin: fc.constant('https://evil.example'),
  },
  { requiredKeys: [] },
);

type BodyChoice = { text?: string | Buffer; semantic?: string };

function bodyArb(op: Operation): fc.Arbitrary<BodyChoice> {
  const base = validBody(op);
  const baseText = toJsonText(base);
  const schema = op.body;
  const options: fc.WeightedArbitrary<BodyChoice>[] = [
    { weight: 3, arbitrary: fc.constant({ text: baseText }) },
    {
      weight: 2,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) ?? 'null' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.nat(Math.max(baseText.length - 1, 0)).map((n) => baseText.slice(0, n)),
          fc.constantFrom(
            `${baseText}x`,
            `${baseText},`,
            `${baseText}}`,
            baseText.replace(/"/g, "'"),
            `/* c */${baseText}`,
            '{"a":1,}',
            '{',
            '[',
            'nul',
            'undefined',
            'NaN',
            '{"__proto__":}',
            `{"reason":"a\u0000b"}`,
            '\u0000',
          ),
        )
        .map((text) => ({ text })),
    },
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 33, max: 20_000 })
        .chain((depth) => fc.constantFrom(nestedArrays(depth), nestedObjects(depth)))
        .map((v) => ({ text: toJsonText(v) })),
    },
    { weight: 1, arbitrary: fc.constant({ text: '' }) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((b) => ({ text: Buffer.from(b) })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ text: toJsonText({ ...(base as object), padding: HUGE_STRING }) }),
    },
  ];
  if (schema) {
    options.push({
      weight: 10,
      arbitrary: mutationArb(schema, base).map((v) => ({ text: toJsonText(v) })),
    });
  }
  const semantic = semanticFaults(op);
  if (semantic.length > 0 && isPlainObject(base)) {
    options.push({
      weight: 4,
      arbitrary: fc
        .constantFrom(...semantic)
        .map(([fault, make]) => ({ text: toJsonText(make(base)), semantic: fault })),
    });
  }
  return fc.oneof(...options);
}

/** The body as the route sees it: undefined for none, or what JSON.parse makes of it. */
function parsedBody(text: string | Buffer): { value?: unknown; malformed?: true } {
  const string = Buffer.isBuffer(text) ? text.toString('utf8') : text;
  try {
    return { value: JSON.parse(string) };
  } catch {
    return { malformed: true };
  }
}

/** Whether the generators can make a request to `op` wrong (credentials, ids, query, body). */
function canFault(op: Operation): boolean {
  return (
    op.security !== 'none' ||
    op.body !== undefined ||
    op.params.some((p) => p.in === 'path' || p.in === 'query')
  );
}

/**
 * Where a request goes wrong. Mostly in one place with the rest right, so that each check
 * (authentication, ids, query, headers, body, ownership) is reached; sometimes anywhere.
 */
type Focus = 'credential' | 'path' | 'query' | 'headers' | 'body' | 'mixed' | 'none';

function fociOf(op: Operation, pathNames: string[], wantsKey: boolean): Focus[] {
  return [
    ...(op.security !== 'none' ? (['credential'] as const) : []),
    ...(pathNames.length > 0 ? (['path', 'path'] as const) : []),
    ...(op.params.some((p) => p.in === 'query') ? (['query'] as const) : []),
    ...(wantsKey || op.body ? (['headers'] as const) : []),
    ...(op.body ? (['body', 'body', 'body'] as const) : []),
    'mixed',
    // A request right in every place: only reads are sent so.
    ...(op.method === 'GET' ? (['none'] as const) : []),
  ];
}

/** A caller who may call `op`, and sees its orders (the first app, not the other). */
function goodCredentialArb(op: Operation): fc.Arbitrary<Credential> {
  if (op.security === 'signature')
    return credentialArb(op).map((c) => ({ ...c, signer: 'path', flaw: 'none' }) as Credential);
  if (op.security === 'bearer') {
    const callers = (['app', 'support', 'admin'] as const).filter((c) =>
      rolesFor(op).includes(CALLER_ROLE[c]),
    );
    return fc.constantFrom(...callers).map((caller) => ({ kind: 'token', caller }) as const);
  }
  return fc.constant({ kind: 'none' } as const);
}

/** Path ids that exist and belong to the good caller (the first app, the first store). */
function goodSegmentsArb(op: Operation, pathNames: string[]): fc.Arbitrary<Segment[]> {
  const appOnly = op.security === 'bearer' && rolesFor(op).includes('app');
  const visible = world.orders.filter((o) =>
    appOnly
      ? o.placedBy === 'checkout'
      : op.security === 'signature'
        ? o.providerId === world.store.providerId
        : true,
  );
  const refund = pathNames.includes('refundId');
  return fc.constantFrom(...visible).map((order) =>
    pathNames.map((name) => ({
      sent:
        name === 'orderId'
          ? refund
            ? world.capturedOrderId
            : order.orderId
          : name === 'providerId'
            ? world.store.providerId
            : name === 'refundId'
              ? world.refundId
              : 'x',
    })),
  );
}

function probeArb(op: Operation): fc.Arbitrary<Probe> {
  const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const headerParams = op.params.filter((p) => p.in === 'header');
  const wantsKey = headerParams.some((p) => p.name === 'Idempotency-Key');
  const sendsBody = op.body !== undefined;
  const base = sendsBody ? toJsonText(validBody(op)) : undefined;
  const either = <T>(bad: boolean, any: fc.Arbitrary<T>, good: fc.Arbitrary<T>) =>
    bad ? any : good;
  return fc.constantFrom(...fociOf(op, pathNames, wantsKey)).chain((focus) => {
    const wrong = (place: Focus) => focus === place || focus === 'mixed';
    return fc
      .record({
        credential: either(
          wrong('credential'),
          credentialArb(op, focus === 'credential'),
          goodCredentialArb(op),
        ),
        segments: either(
          wrong('path'),
          fc.tuple(...pathNames.map(segmentArb)),
          goodSegmentsArb(op, pathNames),
        ),
        query: queryArb(op, !wrong('query')),
        key: !wantsKey
          ? fc.constant({ key: undefined })
          : either(wrong('headers'), idempotencyKeyArb, goodKeyArb),
        contentType: either(
          wrong('headers'),
          contentTypeArb,
          fc.constantFrom(...CONTENT_TYPES.json),
        ),
        body: sendsBody
          ? either(wrong('body'), bodyArb(op), fc.constant<BodyChoice>({ text: base }))
          : either(
              wrong('body'),
              fc.oneof(
                { weight: 6, arbitrary: fc.constant<BodyChoice>({}) },
                {
                  weight: 1,
                  arbitrary: fc.constantFrom<BodyChoice>({ text: '{}' }, { text: '{"a":' }),
                },
              ),
              fc.constant<BodyChoice>({}),
            ),
        noise: noiseHeadersArb,
      })
      .map((choice) => buildProbe(op, pathNames, choice));
  });
}

function buildProbe(
  op: Operation,
  pathNames: string[],
  choice: {
    credential: Credential;
    segments: Segment[];
    query: QueryChoice;
    key: { key?: string | 'existing' };
    contentType?: string;
    body: BodyChoice;
    noise: Record<string, string>;
  },
): Probe {
  const faults: string[] = [];
  const unsure: string[] = [];
  const headers: Record<string, string> = { ...choice.noise };

  if (op.method !== 'GET' && !canFault(op)) unsure.push('an action this test cannot make wrong');

  // The path, and what its ids name.
  const values: Record<string, string | undefined> = {};
  let target = op.path;
  pathNames.forEach((name, i) => {
    const { sent } = choice.segments[i]!;
    target = target.replace(`{${name}}`, sent);
    const value = decoded(sent);
    values[name] = value;
    const param = op.params.find((p) => p.in === 'path' && p.name === name)!;
    if (value === undefined) faults.push(`${name}: malformed percent-escape`);
    else if (sent !== '' && violates(param.schema, value)) faults.push(`${name}: not a valid id`);
  });
  if (pathNames.some((_, i) => choice.segments[i]!.sent === '')) {
    // `/v1/admin/providers/` is another route (the list): only elsewhere is it a fault.
    const route = (template: string) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}/?$`);
    const other = operations.find(
      (o) => o !== op && o.method === op.method && route(o.path).test(target),
    );
    if (other) unsure.push(`an empty id: the request is ${other.key}`);
    else faults.push('an empty path segment');
  }

  // The query.
  const declaredQuery = new Map(op.params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  const byName = new Map<string, { values: string[]; meantBad: boolean }>();
  for (const [name, value, meant] of choice.query.pairs) {
    const seen = byName.get(name) ?? { values: [], meantBad: false };
    byName.set(name, {
      values: [...seen.values, value],
      meantBad: seen.meantBad || meant === 'bad',
    });
  }
  for (const [name, { values: sent, meantBad }] of byName) {
    const param = declaredQuery.get(name);
    if (!param) unsure.push(`unknown query parameter ${name}`);
    else if (violatesQuery(param.schema, sent.length === 1 ? sent[0]! : sent))
      faults.push(`query ${name}: invalid`);
    else if (meantBad) unsure.push(`query ${name}: maybe invalid`);
  }
  // A long poll's wait without the revision it waits past waits for nothing: refused.
  if (byName.has('wait') && !byName.has('afterRevision'))
    faults.push('query wait without afterRevision');
  const query = [
    ...choice.query.pairs.map(([k, v]) => `${encodeQuery(k)}=${encodeQuery(v)}`),
    ...(choice.query.rawSuffix ? [choice.query.rawSuffix] : []),
  ].join('&');
  if (choice.query.rawSuffix) unsure.push('a raw query suffix');
  target = query ? `${target}?${query}` : target;

  // The body.
  let body: Buffer | undefined;
  const text = choice.body.text;
  if (text !== undefined) body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const contentType = choice.contentType;
  if (body !== undefined && contentType !== undefined) headers['Content-Type'] = contentType;
  if (body !== undefined && body.length > MAX_BODY_BYTES && op.path.startsWith('/v1/'))
    faults.push('body over 256 kB');
  if (choice.body.semantic) faults.push(`body: ${choice.body.semantic}`);
  if (op.body && body !== undefined) {
    const json = contentType !== undefined && CONTENT_TYPES.json.includes(contentType);
    // The JSON API, signed callbacks included, refuses any other body; other routes (/codec)
    // read only application/json.
    if (op.path.startsWith('/v1/')) {
      if (body.length > 0 && !json) faults.push(`a ${contentType ?? 'typeless'} body`);
    }
    // Signed callbacks look at the content type only when a body comes with it.
    if (contentType?.includes('latin1') && (op.security !== 'signature' || body.length > 0))
      faults.push('unsupported charset');
  }
  // Read by the route: the signed raw body, the JSON API's JSON, elsewhere application/json.
  const read =
    op.security === 'signature' ||
    op.path.startsWith('/v1/') ||
    contentType?.split(';')[0] === 'application/json';
  if (op.body && body !== undefined && body.length > 0 && !read) {
    unsure.push(`a ${contentType ?? 'typeless'} body the route does not read`);
  } else if (op.body && body !== undefined && body.length > 0) {
    const parsed = parsedBody(body);
    if (parsed.malformed) faults.push('body: malformed JSON');
    else if (violates(op.body, parsed.value)) faults.push('body: violates the schema');
  } else if (op.body) {
    // No body: `{}` to some routes, undefined to others.
    if (violates(op.body, {}) && violates(op.body, undefined)) faults.push('body: missing');
    else unsure.push('no body');
  } else if (body !== undefined) {
    unsure.push('a body where none is expected');
  }

  // The Idempotency-Key.
  const keyParam = op.params.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
  if (keyParam) {
    const key = choice.key.key === 'existing' ? world.checkout.key : choice.key.key;
    if (key === undefined) {
      if (keyParam.required) faults.push('Idempotency-Key missing');
    } else {
      headers['Idempotency-Key'] = key;
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) faults.push('Idempotency-Key invalid');
    }
    if (choice.key.key === 'existing') unsure.push("another call's Idempotency-Key");
  }

  // Credentials, and whether the ids are the caller's to see.
  const credential = choice.credential;
  const orderId = values.orderId;
  const order = world.orders.find((o) => o.orderId === orderId);
  // (An empty id is judged above: it may name another route.)
  const named = (name: string) => pathNames.includes(name) && values[name] !== '';
  if (named('orderId') && orderId !== undefined && !order) faults.push('unknown order');
  if (
    named('refundId') &&
    (values.refundId !== world.refundId || orderId !== world.capturedOrderId)
  )
    faults.push('unknown refund');
  for (const name of pathNames.filter((n) => !['orderId', 'providerId', 'refundId'].includes(n)))
    unsure.push(`path parameter ${name}`);

  if (credential.kind === 'token') {
    headers.Authorization = `Bearer ${TOKENS[credential.caller]}`;
    if (!rolesFor(op).includes(CALLER_ROLE[credential.caller])) faults.push('wrong role');
    const app = CALLER_ROLE[credential.caller] === 'app';
    if (order && app && order.placedBy !== CALLER_NAME[credential.caller])
      faults.push("another app's order");
    const providers = [world.store.providerId, world.otherStore.providerId];
    if (named('providerId') && !providers.includes(values.providerId ?? ''))
      faults.push('unknown provider');
  } else if (credential.kind === 'header') {
    headers.Authorization = credential.value;
    faults.push('bad Authorization');
  } else if (credential.kind === 'signature') {
    const providerId = values.providerId;
    const signer =
      credential.signer !== 'path'
        ? world[credential.signer]
        : providerId === world.otherStore.providerId
          ? world.otherStore
          : world.store;
    if (providerId !== signer.providerId) faults.push("signed with another provider's secret");
    if (order && order.providerId !== providerId) faults.push("another provider's order");
    const rawBody = body ?? Buffer.alloc(0);
    const signed = { method: op.method, target, rawBody: rawBody as Buffer | string };
    let secret = signer.signingSecret;
    let at = new Date();
    switch (credential.flaw) {
      case 'none':
        break;
      case 'wrong secret':
        secret = `whsec_${randomBytes(32).toString('hex')}`;
        break;
      case 'stale':
        at = new Date(Date.now() - credential.skewSeconds * 1000);
        break;
      case 'future':
        at = new Date(Date.now() + credential.skewSeconds * 1000);
        break;
      case 'another body':
        signed.rawBody = Buffer.concat([rawBody, Buffer.from(' ')]);
        break;
      case 'another path':
        signed.target = target.includes('?') ? `${target}&x=1` : `${target}?x=1`;
        break;
      case 'another method':
        signed.method = op.method === 'GET' ? 'POST' : 'GET';
        break;
    }
    if (credential.flaw === 'malformed') headers[SIGNATURE_HEADER] = credential.malformed;
    else if (credential.flaw !== 'missing')
      headers[SIGNATURE_HEADER] = callbackSignatureHeader(secret, signed, at);
    if (credential.flaw !== 'none') faults.push(`signature: ${credential.flaw}`);
  } else if (op.security === 'bearer') {
    faults.push('no Authorization');
  }

  return {
    method: op.method,
    target,
    headers,
    ...(body !== undefined ? { body } : {}),
    faults,
    unsure,
    [fc.toStringMethod]: () =>
      describeProbe({ method: op.method, target, headers, body, faults, unsure }),
  } as Probe;
}

// ---------------------------------------------------------------------------------------------
// Sending exactly these bytes (supertest would normalise the path), and judging the answer.

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function send(
  probe: Pick<Probe, 'method' | 'target' | 'headers' | 'body'>,
  chunked = false,
): Promise<Answer> {
  const { hostname, port } = new URL(harness.apiUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: hostname,
      port: Number(port),
      method: probe.method,
      path: probe.target,
      agent: false,
      headers: {
        ...probe.headers,
        ...(probe.body !== undefined && !chunked ? { 'Content-Length': probe.body.length } : {}),
        // Node chunks a DELETE's body only when told to (it does POST and PATCH unasked).
        ...(probe.body !== undefined && chunked ? { 'Transfer-Encoding': 'chunked' } : {}),
      },
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    if (chunked && probe.body) {
      for (let offset = 0; offset < probe.body.length; offset += 64 * 1024)
        req.write(probe.body.subarray(offset, offset + 64 * 1024));
      req.end();
    } else req.end(probe.body);
  });
}

/** Stack frames, source paths and internal error names: none may reach a client. */
const LEAKS = [
  /\n\s*at\s/,
  /\bat\s+\S*\s*\(?\S*\.(?:[cm]?js|ts):\d+/,
  /node_modules/,
  /\/(?:work|home|root|usr|app)\/\S+\.(?:[cm]?js|ts)\b/,
  /\b(?:TypeError|ReferenceError|SyntaxError|RangeError|CastError|MongoServerError|MongooseError|MongoError|ZodError|ServiceError|BSONError)\b/,
  /\bError: /,
  /\bE11000\b/,
  /Cannot read propert|is not a function|is not defined|Unexpected token|Maximum call stack/,
];

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function problemsWith(probe: Probe, answer: Answer): string[] {
  const problems: string[] = [];
  const { status, headers, text } = answer;
  const mustRefuse = probe.faults.length > 0;
  if (status >= 500) problems.push(`a ${status}`);
  else if (mustRefuse && (status < 400 || status > 499))
    problems.push(`${status} for a request that must be refused`);
  else if (!mustRefuse && probe.unsure.length === 0 && probe.method === 'GET' && status !== 200)
    problems.push(`${status} for a valid read`);

  const requestId = headers['x-request-id'];
  if (typeof requestId !== 'string' || requestId === '') problems.push('no X-Request-Id');
  // A request Node's HTTP parser refuses (raw Latin-1 in the path) never reaches the code
  // that echoes the caller's id; it gets a fresh one.
  const parserRefused = status === 400 && text.includes('"malformed_request"');
  const sentId = probe.headers['X-Request-Id'];
  if (
    sentId !== undefined &&
    SANE_REQUEST_ID.test(sentId) &&
    !parserRefused &&
    requestId !== sentId
  )
    problems.push(`X-Request-Id ${String(requestId)}, not the sane ${sentId} sent`);

  const json = /^application\/json/.test(String(headers['content-type'] ?? ''));
  if (status >= 400) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = isPlainObject(parsed) ? parsed.error : undefined;
    if (!json) problems.push(`error answered as ${String(headers['content-type'])}`);
    if (
      !isPlainObject(parsed) ||
      Object.keys(parsed).join() !== 'error' ||
      !isPlainObject(error) ||
      typeof error.code !== 'string' ||
      !/^[a-z_]+$/.test(error.code) ||
      typeof error.message !== 'string' ||
      error.message === '' ||
      (error.details !== undefined && !Array.isArray(error.details))
    )
      problems.push(`not the error shape: ${text.slice(0, 300)}`);
  }
  for (const leak of LEAKS)
    if (leak.test(text)) problems.push(`leaks ${leak}: ${text.slice(0, 300)}`);

  if (headers['x-powered-by'] !== undefined) problems.push('X-Powered-By');
  if (headers['x-content-type-options'] !== 'nosniff') problems.push('no X-Content-Type-Options');
  // The codec sign-in pages keep referrers within the API so that their forms' POSTs carry the
  // API's Origin (under no-referrer browsers send `Origin: null`, which sign-in must refuse).
  const referrerPolicy =
    !json && probe.target.split('?')[0] === '/codec/session' ? 'same-origin' : 'no-referrer';
  if (headers['referrer-policy'] !== referrerPolicy) problems.push('no Referrer-Policy');
  if (json) {
    if (headers['cache-control'] !== 'no-store')
      problems.push(`Cache-Control ${String(headers['cache-control'])}`);
    if (headers['content-security-policy'] !== "default-src 'none'; frame-ancestors 'none'")
      problems.push(`Content-Security-Policy ${String(headers['content-security-policy'])}`);
  }
  return problems;
}

async function expectWellAnswered(probe: Probe): Promise<void> {
  const answer = await send(probe);
  const problems = problemsWith(probe, answer);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('\n')}\n— answer: ${answer.status} ${answer.text.slice(0, 400)}\n— request:\n  ${describeProbe(probe)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

test('the served OpenAPI document is the one these tests enumerate', async () => {
  const served = await request(harness.apiUrl).get('/openapi.json');
  expect(served.status).toBe(200);
  expect(served.body).toEqual(JSON.parse(JSON.stringify(document)));
  expect(operations.length).toBeGreaterThanOrEqual(25);
});

describe.each(operations.map((op) => [op.key, op] as const))('%s', (_key, op) => {
  test('answers every generated request with a clean 4xx (or a valid read), and changes nothing', async () => {
    const before = await snapshot();
    const write = op.method !== 'GET';
    await fc.assert(
      fc.asyncProperty(probeArb(op), async (probe) => {
        // An action request that might be valid could rightly change something: only reads
        // (and actions this test cannot make wrong) are sent without a fault.
        if (write && canFault(op)) fc.pre(probe.faults.length > 0);
        await expectWellAnswered(probe);
      }),
      { numRuns: write ? RUNS.write : RUNS.read, maxSkipsPerRun: 20 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('bodies', () => {
  // The JSON API. The codec endpoints (/codec) take Temporal payloads, up to their own 4 MB.
  const writes = () => operations.filter((op) => op.method !== 'GET' && op.path.startsWith('/v1/'));

  /** Credentials that would let the request through, so the size is what refuses it. */
  function authorised(op: Operation, target: string, body: Buffer): Record<string, string> {
    if (op.security === 'signature')
      return {
        [SIGNATURE_HEADER]: callbackSignatureHeader(world.store.signingSecret, {
          method: op.method,
          target,
          rawBody: body,
        }),
      };
    if (op.security === 'bearer') {
      const role = rolesFor(op).includes('app') ? 'app' : 'admin';
      return { Authorization: `Bearer ${TOKENS[role]}` };
    }
    return {};
  }

  const targetOf = (op: Operation) =>
    op.path
      .replace('{providerId}', world.store.providerId)
      .replace('{orderId}', world.capturedOrderId)
      .replace('{refundId}', world.refundId);

  test('1 MB is 413 payload_too_large on every POST and PATCH, sent with a length or chunked, with or without credentials', async () => {
    const before = await snapshot();
    const body = Buffer.from(
      toJsonText({ ...(validBody(writes()[0]!) as object), padding: HUGE_STRING }),
    );
    const answers: Record<string, string> = {};
    for (const op of writes()) {
      const target = targetOf(op);
      const json = { 'Content-Type': 'application/json', 'Idempotency-Key': 'big-body' };
      const withAuth = { ...json, ...authorised(op, target, body) };
      for (const [how, headers, chunked] of [
        ['length', withAuth, false],
        ['chunked', withAuth, true],
        ['length, no credentials', json, false],
        ['length, text/plain', { ...withAuth, 'Content-Type': 'text/plain' }, false],
      ] as const) {
        const answer = await send({ method: op.method, target, headers, body }, chunked);
        answers[`${op.key} (${how})`] = `${answer.status} ${JSON.parse(answer.text).error?.code}`;
      }
    }
    expect(answers).toEqual(
      Object.fromEntries(Object.keys(answers).map((k) => [k, '413 payload_too_large'])),
    );
    expect(await snapshot()).toEqual(before);
  });

  test('a body that is not JSON is refused, not taken for no body (which would rotate the secret)', async () => {
    const before = await snapshot();
    const target = `/v1/admin/providers/${world.store.providerId}/secrets`;
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const answer = await send({
        method: 'POST',
        target,
        headers: { Authorization: `Bearer ${TOKENS.admin}`, 'Content-Type': contentType },
        body: Buffer.from('{"graceSeconds":5}'),
      });
      expect({ status: answer.status, code: JSON.parse(answer.text).error?.code }).toEqual({
        status: 400,
        code: 'malformed_json',
      });
    }
    // A JSON media type with a suffix is JSON: read, and here refused for its content.
    const suffixed = await send({
      method: 'PATCH',
      target: `/v1/admin/providers/${world.store.providerId}`,
      headers: {
        Authorization: `Bearer ${TOKENS.admin}`,
        'Content-Type': 'application/merge-patch+json',
      },
      body: Buffer.from('{"name":""}'),
    });
    expect({ status: suffixed.status, code: JSON.parse(suffixed.text).error?.code }).toEqual({
      status: 422,
      code: 'validation_failed',
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe('signed callbacks: content type', () => {
  const JSON_TYPES = /^application\/(json|[^/;]*\+json)$/;
  /** A media type that is not JSON (a JSON one with other letter case would be JSON). */
  const notJsonArb = fc
    .tuple(
      fc.constantFrom('text', 'application', 'multipart', 'image', 'x-custom'),
      fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,24}$/),
      fc.constantFrom('', '; charset=utf-8', '; boundary=x'),
    )
    .map(([type, subtype, parameters]) => `${type}/${subtype}${parameters}`)
    .filter((contentType) => !JSON_TYPES.test(contentType.split(';')[0]!));

  test('a correctly signed, valid callback whose body is not typed as JSON is 415 and changes nothing', async () => {
    const before = await snapshot();
    const callbacks = operations.filter((op) => op.security === 'signature' && op.body);
    expect(callbacks.map((op) => op.key)).toHaveLength(2);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...callbacks),
        fc.option(notJsonArb, { nil: undefined }),
        async (op, contentType) => {
          const target = op.path
            .replace('{providerId}', world.store.providerId)
            .replace('{orderId}', world.orders[0]!.orderId);
          const body = Buffer.from(toJsonText(validBody(op)));
          const answer = await send({
            method: op.method,
            target,
            headers: {
              ...(contentType !== undefined ? { 'Content-Type': contentType } : {}),
              [SIGNATURE_HEADER]: callbackSignatureHeader(world.store.signingSecret, {
                method: op.method,
                target,
                rawBody: body,
              }),
            },
            body,
          });
          expect({ status: answer.status, code: JSON.parse(answer.text).error?.code }).toEqual({
            status: 415,
            code: 'unsupported_media_type',
          });
        },
      ),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('webhook URLs', () => {
  const metadataIPv4 = fc.constantFrom('169.254.169.254', '100.100.100.200');
  /** A host spelling of a metadata service: every form the URL parser reads as that address. */
  const metadataHostArb = fc.oneof(
    metadataIPv4.chain((ip) => {
      const octets = ip.split('.').map(Number);
      const integer = octets.reduce((n, o) => n * 256 + o, 0);
      return fc.constantFrom(
        ip,
        `${ip}.`,
        String(integer),
        `0x${integer.toString(16)}`,
        octets.map((o) => `0${o.toString(8)}`).join('.'),
        `[::ffff:${ip}]`,
        `[0:0:0:0:0:ffff:${ip}]`,
        `[64:ff9b::${ip}]`,
      );
    }),
    fc.constantFrom('[fd00:ec2::254]', '[fd00:ec2:0:0:0:0:0:254]'),
    fc
      .constantFrom('metadata.google.internal', 'metadata.google.internal.')
      .chain((name) =>
        fc
          .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
          .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
      ),
  );
  const refusedUrlArb = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('http', 'https', 'HTTP'),
        metadataHostArb,
        fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        fc.webPath(),
      )
      .map(([scheme, host, port, path]) => `${scheme}://${host}${port ? `:${port}` : ''}${path}`),
    fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
        fc.stringMatching(/^[a-z0-9]{0,8}$/),
        fc.domain(),
      )
      .map(
        ([user, password, host]) =>
          `https://${user}${password ? `:${password}` : ''}@${host}/hooks`,
      ),
  );

  test('a metadata service in any spelling, or user info, is 422 on registration and PATCH, and nothing changes', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(refusedUrlArb, fc.boolean(), async (webhookUrl, patch) => {
        const response = patch
          ? await request(harness.apiUrl)
              .patch(`/v1/admin/providers/${world.store.providerId}`)
              .set('Authorization', `Bearer ${TOKENS.admin}`)
              .send({ webhookUrl })
          : await request(harness.apiUrl)
              .post('/v1/admin/providers')
              .set('Authorization', `Bearer ${TOKENS.admin}`)
              .send({
                providerId: `fuzz-${randomBytes(4).toString('hex')}`,
                vertical: 'grocery',
                name: 'Fuzz store',
                webhookUrl,
              });
        expect(response.status).toBe(422);
        expect(['webhook_url_not_allowed', 'validation_failed']).toContain(
          response.body.error.code,
        );
        expect(response.body.error.details).toContainEqual(
          expect.objectContaining({ path: 'webhookUrl' }),
        );
      }),
      { numRuns: 60 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('signatures the provider-signature tests do not cover', () => {
  const confirmation = (providerId: string, orderId: string) =>
    `/v1/providers/${providerId}/orders/${orderId}/confirmation`;
  const ACCEPT = Buffer.from('{"decision":"accept"}');
  const awaiting = () => world.orders[0]!.orderId;

  async function post(target: string, signature: string | undefined) {
    return send({
      method: 'POST',
      target,
      headers: {
        'Content-Type': 'application/json',
        ...(signature !== undefined ? { [SIGNATURE_HEADER]: signature } : {}),
      },
      body: ACCEPT,
    });
  }
  const outcome = (answer: Answer) => ({
    status: answer.status,
    code: (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code,
  });

  test("another provider's valid signature on this provider's path is 401", async () => {
    const before = await snapshot();
    const target = confirmation(world.store.providerId, awaiting());
    const signature = callbackSignatureHeader(world.otherStore.signingSecret, {
      method: 'POST',
      target,
      rawBody: ACCEPT,
    });
    expect(outcome(await post(target, signature))).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
    expect(await snapshot()).toEqual(before);
  });

  test('an unknown provider answers like a bad signature: no way to learn which providers exist', async () => {
    const target = confirmation('no-such-provider', awaiting());
    const forged = callbackSignatureHeader(world.store.signingSecret, {
      method: 'POST',
      target,
      rawBody: ACCEPT,
    });
    const unknown = await post(target, forged);
    const known = await post(
      confirmation(world.store.providerId, awaiting()),
      callbackSignatureHeader('whsec_not_the_secret', {
        method: 'POST',
        target: confirmation(world.store.providerId, awaiting()),
        rawBody: ACCEPT,
      }),
    );
    expect(outcome(unknown)).toEqual({ status: 401, code: 'invalid_signature' });
    expect(JSON.parse(unknown.text)).toEqual(JSON.parse(known.text));
    const stale = callbackSignatureHeader(
      world.store.signingSecret,
      { method: 'POST', target, rawBody: ACCEPT },
      new Date(Date.now() - 3_600_000),
    );
    expect(outcome(await post(target, stale))).toEqual({ status: 401, code: 'invalid_signature' });
  });

  test('a valid callback replayed after the window is 401, and nothing changes', async () => {
    const before = await snapshot();
    const target = confirmation(world.store.providerId, awaiting());
    const captured = callbackSignatureHeader(
      world.store.signingSecret,
      { method: 'POST', target, rawBody: ACCEPT },
      new Date(Date.now() - 301_000),
    );
    expect(outcome(await post(target, captured))).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe('codec sign-in sessions', () => {
  const form = (fields: string) => ({
    'Content-Type': 'application/x-www-form-urlencoded',
    body: Buffer.from(fields),
  });
  const outcome = (answer: Answer) => ({
    status: answer.status,
    code: (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code,
    cookie: answer.headers['set-cookie'],
  });

  /** A real session, started before the properties run, that none of them may end. */
  async function liveSession(): Promise<string> {
    const { body, ...headers } = form(`token=${TOKENS.support}`);
    const answer = await send({ method: 'POST', target: '/codec/session', headers, body });
    expect(answer.status).toBe(200);
    return /^orderflow_codec=([^;]*)/.exec(answer.headers['set-cookie']![0]!)![1]!;
  }

  /** Signs the session out, as its own page does, leaving the database as the world began. */
  async function signOut(sessionId: string): Promise<void> {
    const { body, ...headers } = form('signOut=1');
    const answer = await send({
      method: 'POST',
      target: '/codec/session',
      headers: { ...headers, Cookie: `orderflow_codec=${sessionId}` },
      body,
    });
    expect(answer.status).toBe(200);
    expect(await harness.database.models.CodecSession.countDocuments()).toBe(0);
  }

  test('from another site, sign-in and sign-out are 403 cross_site_request, set no cookie and change nothing', async () => {
    const own = new URL(harness.apiUrl).origin;
    const sessionId = await liveSession();
    const before = await snapshot();
    const printable = /^[\x21-\x7e]{1,60}$/;
    const foreignOrigin = fc
      .oneof(
        fc.webUrl().map((url) => new URL(url).origin),
        fc.constantFrom(
          'null',
          'http://127.0.0.1:8233',
          own.replace('http:', 'https:'),
          own.toUpperCase(),
          `${own}/`,
          `${own}.evil.example`,
          own.replace(/:\d+$/, ''),
        ),
        fc.stringMatching(printable),
      )
      .filter((origin) => origin !== own);
    const foreignSite = fc.oneof(
      fc.constantFrom('cross-site', 'same-site', 'Cross-Site', ''),
      fc.stringMatching(printable).filter((v) => !/^(same-origin|none)$/i.test(v.trim())),
    );
    const crossSite = fc.oneof(
      fc.record({ Origin: foreignOrigin }),
      fc.record({ 'Sec-Fetch-Site': foreignSite }),
      fc.record({
        Origin: foreignOrigin,
        'Sec-Fetch-Site': fc.constantFrom('same-origin', 'none'),
      }),
      fc.record({ Origin: fc.constant(own), 'Sec-Fetch-Site': foreignSite }),
    );
    await fc.assert(
      fc.asyncProperty(
        crossSite,
        fc.constantFrom(`token=${TOKENS.support}`, `token=${TOKENS.admin}`, 'signOut=1', ''),
        async (site, fields) => {
          const { body, ...headers } = { ...form(fields), ...site };
          const answer = await send({
            method: 'POST',
            target: '/codec/session',
            headers: { ...headers, Cookie: `orderflow_codec=${sessionId}` },
            body,
          });
          expect(outcome(answer)).toEqual({
            status: 403,
            code: 'cross_site_request',
            cookie: undefined,
          });
        },
      ),
      { numRuns: 80 },
    );
    expect(await snapshot()).toEqual(before);
    await signOut(sessionId);
  });

  test('a forged, altered or token-valued session cookie is 401 at the codec, and changes nothing', async () => {
    const sessionId = await liveSession();
    const before = await snapshot();
    const digest = createHash('sha256').update(sessionId).digest('hex');
    const forged = fc
      .oneof(
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        fc.stringMatching(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{1,100}$/),
        fc.constantFrom(
          TOKENS.support,
          TOKENS.admin,
          digest,
          sessionId.slice(1),
          `${sessionId}A`,
          sessionId.toUpperCase(),
          `${sessionId.slice(0, 42)}${sessionId.endsWith('A') ? 'B' : 'A'}`,
          encodeURIComponent(`${sessionId}\u0000`),
        ),
      )
      .filter((value) => value !== sessionId);
    await fc.assert(
      fc.asyncProperty(forged, fc.constantFrom('decode', 'encode'), async (value, path) => {
        const answer = await send({
          method: 'POST',
          target: `/codec/${path}`,
          headers: { 'Content-Type': 'application/json', Cookie: `orderflow_codec=${value}` },
          body: Buffer.from('{"payloads":[]}'),
        });
        expect(outcome(answer)).toMatchObject({ status: 401, code: 'unauthenticated' });
      }),
      { numRuns: 80 },
    );
    expect(await snapshot()).toEqual(before);
    await signOut(sessionId);
  });
});

describe('headers', () => {
  test('JSON answers carry the security headers; the support console keeps its own policy', async () => {
    const api = request(harness.apiUrl);
    for (const path of ['/healthz', '/v1/orders/nope', '/openapi.json', '/v1/nothing-here']) {
      const response = await api.get(path);
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
    const metrics = await api.get('/metrics');
    expect(metrics.headers['x-content-type-options']).toBe('nosniff');
    const page = await api.get('/support/');
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self'/);
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  test('the provider client and these tests sign alike: a signed poll lists the orders', async () => {
    const listed = await world.store.client.listOrders();
    expect(listed.status).toBe(200);
    const target = `/v1/providers/${world.store.providerId}/orders?status=awaiting_confirmation`;
    const answer = await send({
      method: 'GET',
      target,
      headers: {
        [SIGNATURE_HEADER]: callbackSignatureHeader(world.store.signingSecret, {
          method: 'GET',
          target,
          rawBody: '',
        }),
      },
    });
    expect(JSON.parse(answer.text)).toEqual(listed.body);
  });
});

test('after everything, nothing any request could change has changed', async () => {
  // Each operation compared its own before and after; this compares the whole run.
  expect(world.orders).toHaveLength(4);
  const now = await snapshot();
  expect(now).toEqual(initial);
});
