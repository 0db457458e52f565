// The OpenAPI document, assembled from each feature's registrations (<feature>/openapi.ts),
// which describe their routes with the same zod schemas the routes validate with. A test
// checks every route the server mounts is described here, and vice versa.

import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerAdminPaths } from './admin/openapi';
import { registerCodecPaths } from './codec/openapi';
import { BEARER_AUTH } from './openapi-parts';
import { registerOpsPaths } from './ops/openapi';
import { registerOrdersPaths } from './orders/openapi';
import { registerProvidersPaths } from './providers/openapi';
import { registerSupportPaths } from './support/openapi';

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_AUTH, { type: 'http', scheme: 'bearer' });
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
        'Order fulfilment for lifestyle super-apps: checkout, provider callbacks, support and operations.',
    },
  });
}
