// The OpenAPI description of the operations endpoints (ops/routes.ts, no auth): liveness,
// readiness, metrics and the document itself.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errors, json, noAuth } from '../openapi-parts';

const ReadinessSchema = z.object({ status: z.string(), checks: z.record(z.string(), z.string()) });

export function registerOpsPaths(registry: OpenAPIRegistry): void {
  const tags = ['operations'];
  const security = noAuth;
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'checkLiveness',
    tags,
    security,
    summary: 'The process is up',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'up'), ...errors() },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'checkReadiness',
    tags,
    security,
    summary: 'Temporal and the database are reachable',
    responses: {
      ...errors(),
      200: json(ReadinessSchema, 'ready'),
      503: json(ReadinessSchema, 'a dependency is down'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tags,
    security,
    summary: 'Prometheus metrics',
    responses: {
      200: {
        description: 'Prometheus text format',
        content: { 'text/plain': { schema: z.string() } },
      },
      ...errors(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tags,
    security,
    summary: 'This document',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        content: { 'application/json': { schema: z.object({}) } },
      },
      ...errors(),
    },
  });
}
