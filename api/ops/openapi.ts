// The OpenAPI description of the operations endpoints (ops/routes.ts, no auth): liveness,
// readiness, metrics and the document itself.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { json } from '../openapi-parts';

const ReadinessSchema = z.object({ status: z.string(), checks: z.record(z.string(), z.string()) });

export function registerOpsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'The process is up',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'up') },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Temporal and the database are reachable',
    responses: {
      200: json(ReadinessSchema, 'ready'),
      503: json(ReadinessSchema, 'a dependency is down'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: {
      200: {
        description: 'Prometheus text format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        content: { 'application/json': { schema: z.object({}) } },
      },
    },
  });
}
