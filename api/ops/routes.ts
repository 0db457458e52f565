// Operations endpoints (no auth): liveness, readiness, metrics and the OpenAPI document.

import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Connection } from 'mongoose';
import { pingDatabase } from '../../infra/db';
import { pingTemporal } from '../../infra/temporal';
import type { ApiMetrics } from '../metrics';
import { buildOpenApiDocument } from '../openapi';

export function opsRouter(deps: {
  connection: Connection;
  temporal: Client;
  metrics: ApiMetrics;
}): Router {
  const router = Router();
  const openApiDocument = buildOpenApiDocument();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      pingDatabase(deps.connection),
      pingTemporal(deps.temporal),
    ]);
    const ready = database && temporal;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: { database: database ? 'up' : 'down', temporal: temporal ? 'up' : 'down' },
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  return router;
}
