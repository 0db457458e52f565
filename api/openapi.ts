// The OpenAPI document, assembled from each feature's registrations (<feature>/openapi.ts),
// which describe their routes with the same zod schemas the routes validate with. A test
// checks every route the server mounts is described here, and vice versa; api/openapi.test.ts
// and `npm run lint:openapi` (Redocly) check that every operation says what client generators
// need: an operationId, its security, its 4xx answers and a tag.

import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerAdminPaths } from './admin/openapi';
import { registerCodecPaths } from './codec/openapi';
import { BEARER_AUTH } from './openapi-parts';
import { registerOpsPaths } from './ops/openapi';
import { registerOrdersPaths } from './orders/openapi';
import { registerProvidersPaths } from './providers/openapi';
import { registerSupportPaths } from './support/openapi';

/** Every operation carries one of these tags; a generated client groups by them. */
const tags = [
  {
    name: 'orders',
    description: "The app's checkout (role `app`): place, read and cancel orders.",
  },
  {
    name: 'providers',
    description: "Providers' signed callbacks: confirmations, dispatch events, the poll.",
  },
  {
    name: 'support',
    description: 'Support staff (roles `support`, `admin`): find, refund, cancel.',
  },
  { name: 'admin', description: 'Provider onboarding (role `admin`).' },
  {
    name: 'codec',
    description: "The Temporal Web UI's remote payload codec and its browser sign-in.",
  },
  { name: 'operations', description: 'Liveness, readiness, metrics and this document; no auth.' },
];

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    description:
      "An API token (`Authorization: Bearer <token>`) from the server's API_TOKENS. Each token has one role, `app`, `support` or `admin`; each operation lists the roles it takes, one requirement per role, any of which will do. A missing or unknown token is `401 unauthenticated`, a token without the role `403 forbidden`.",
  });
  registerOrdersPaths(registry);
  registerProvidersPaths(registry);
  registerAdminPaths(registry);
  registerOpsPaths(registry);
  registerSupportPaths(registry);
  registerCodecPaths(registry);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'orderflow',
      version: '0.1.0',
      description:
        "Order fulfilment for lifestyle super-apps: checkout, provider callbacks, support and operations. Every response carries `X-Request-Id` (the request's own when it sent a sane one) and `Server-Timing: app;dur=<ms>`, the time this API took to answer: a caller that waited longer spent the rest in the network or a proxy. Checkout's answers name its steps after it: `validation` (the body and its provider), `idempotency` (the key's record), `payment` (the order's workflow deciding the payment).",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the API that served this document (a client generator's base URL is the caller's).
    servers: [{ url: '/', description: 'the API that serves this document' }],
    tags,
  });
}
