// What client generators rely on, for every operation of the OpenAPI document, including those
// added later: a unique camelCase operationId, a tag the document describes, its own security
// (bearer roles, the provider signature, or `[]`), and 4xx answers in the API's error shape.
// `npm run lint:openapi` (Redocly) checks the document as a whole.

import { buildOpenApiDocument } from './openapi';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const document = buildOpenApiDocument() as unknown as {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    key: `${method.toUpperCase()} ${path}`,
    path,
    operation,
  })),
);
const table = operations.map(({ key, operation }) => [key, operation] as const);

const ROLES = ['app', 'support', 'admin'];

test('the document names its server and describes every tag', () => {
  expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  for (const tag of document.tags ?? []) expect(tag.description).toBeTruthy();
  expect(operations.length).toBeGreaterThanOrEqual(30);
});

test('operationIds are camelCase and unique', () => {
  const ids = operations.map(({ operation }) => operation.operationId);
  for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
  expect(new Set(ids).size).toBe(ids.length);
});

describe.each(table)('%s', (_key, operation) => {
  test('has a tag the document describes', () => {
    const described = (document.tags ?? []).map((tag) => tag.name);
    expect(operation.tags?.length).toBeGreaterThan(0);
    for (const tag of operation.tags ?? []) expect(described).toContain(tag);
  });

  test('states its security: roles of the bearer scheme, a defined scheme, or none', () => {
    expect(Array.isArray(operation.security)).toBe(true);
    for (const requirement of operation.security ?? []) {
      for (const [scheme, roles] of Object.entries(requirement)) {
        expect(Object.keys(document.components.securitySchemes)).toContain(scheme);
        if (scheme === 'bearerAuth') {
          // One requirement per role, so that any of them will do.
          expect(roles).toHaveLength(1);
          expect(ROLES).toContain(roles[0]);
        } else expect(roles).toEqual([]);
      }
    }
  });

  test('lists its 4xx answers, each in the error shape', () => {
    const clientErrors = Object.keys(operation.responses).filter((status) => /^4/.test(status));
    expect(clientErrors).toContain('4XX');
    for (const status of clientErrors) {
      expect({
        status,
        schema: operation.responses[status]?.content?.['application/json'],
      }).toEqual({
        status,
        schema: { schema: { $ref: '#/components/schemas/Error' } },
      });
    }
  });
});

test('who may call what: apps their orders, providers by signature, no credentials for ops', () => {
  const securityOf = (prefix: string) =>
    operations
      .filter(({ path }) => path.startsWith(prefix))
      .map(({ key, operation }) => [key, operation.security]);
  for (const [key, security] of securityOf('/v1/orders'))
    expect([key, security]).toEqual([key, [{ bearerAuth: ['app'] }]]);
  for (const [key, security] of securityOf('/v1/providers/'))
    expect([key, security]).toEqual([key, [{ providerSignature: [] }]]);
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
    expect(document.paths[path]?.get?.security).toEqual([]);
});
