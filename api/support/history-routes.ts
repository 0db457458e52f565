// Support (roles `support`, `admin`, mounted at /v1/support/orders): what happened to an order
// and why, read from its workflow's history — as a timeline in words, or as the raw events.

import { Router } from 'express';
import { isGrpcServiceError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { decodePayloadsWithin } from '../../infra/codec';
import type { Models } from '../../infra/db';
import { afterSalesWorkflowId, orderWorkflowId } from '../../workflows/messages';
import { ApiError } from '../errors';
import { OrderIdParamsSchema } from '../schemas';
import { redactSecretsWithin } from '../redact';
import { SupportHistoryQuerySchema } from './schemas';
import { toTimeline, type DecodePayloads } from './timeline';
import { readOrder } from '../../infra/read-model';

/** gRPC's NOT_FOUND: what the history call answers for a workflow Temporal no longer keeps. */
const GRPC_NOT_FOUND = 5;

export function supportHistoryRouter(deps: { temporal: Client; models: Models }): Router {
  const router = Router();
  const { payloadConverter, payloadCodecs } = deps.temporal.options.loadedDataConverter;
  // fetchHistory() and describe() leave payloads as stored (encrypted): decrypt them first.
  const fetchDecoded = async (handle: WorkflowHandle) => {
    const history = await orKeptNoLonger(handle.fetchHistory());
    await decodePayloadsWithin(history, payloadCodecs);
    return history;
  };
  const decode: DecodePayloads = (payloads) =>
    (payloads ?? []).map((payload) => payloadConverter.fromPayload(payload));

  router.get('/:orderId/history', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const { format } = SupportHistoryQuerySchema.parse(req.query);
    const order = await readOrder(deps.models, orderId);
    if (!order) throw new ApiError(404, 'order_not_found', 'no such order');

    const handle = deps.temporal.workflow.getHandle(orderWorkflowId(orderId));
    const afterSales = await afterSalesRuns(orderId);
    if (format === 'raw') {
      const raw = async (run: WorkflowHandle) => {
        const history = await fetchDecoded(run);
        redactSecretsWithin(history);
        return rawEvents(history);
      };
      const afterSalesEvents = [];
      for (const run of afterSales)
        afterSalesEvents.push({ runId: run.runId, events: await raw(run.handle) });
      res.json({ events: await raw(handle), afterSales: afterSalesEvents });
      return;
    }
    const entries = [];
    for (const run of [handle, ...afterSales.map((run) => run.handle)])
      entries.push(...(await timelineOf(run)));
    entries.sort((a, b) => a.at.localeCompare(b.at));
    res.json({ orderId, status: order.status, entries });
  });

  /** One workflow run's timeline (the order's own, or one of its after-sales runs). */
  async function timelineOf(run: WorkflowHandle) {
    // Pending activities first: a retry that ends between the two calls then shows as done.
    const description = await orKeptNoLonger(run.describe());
    await decodePayloadsWithin(description.raw.pendingActivities, payloadCodecs);
    const history = await fetchDecoded(run);
    return toTimeline({ history, pendingActivities: description.raw.pendingActivities, decode })
      .entries;
  }

  /** The order's after-sales runs, oldest first, as Temporal's visibility lists them. */
  async function afterSalesRuns(orderId: string) {
    const runs: { runId: string; startTime: Date }[] = [];
    const workflowId = afterSalesWorkflowId(orderId);
    for await (const run of deps.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push(run);
    return runs
      .sort((a, b) => a.startTime.getTime() - b.startTime.getTime())
      .map(({ runId }) => ({ runId, handle: deps.temporal.workflow.getHandle(workflowId, runId) }));
  }

  return router;
}

/** Protobuf's JSON object form, as the Temporal CLI and UI show it. */
function rawEvents(history: proto.api.history.v1.IHistory): object[] {
  const { History } = proto.api.history.v1;
  const plain = History.toObject(History.fromObject(history), {
    enums: String,
    longs: String,
    bytes: String,
  });
  return (plain.events as object[] | undefined) ?? [];
}

/** The read model outlives Temporal's retention: say so rather than "no such order". */
async function orKeptNoLonger<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const notFound =
      error instanceof WorkflowNotFoundError ||
      (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND);
    if (!notFound) throw error;
    throw new ApiError(
      404,
      'history_not_found',
      'the order exists, but Temporal no longer keeps its workflow history: its retention period has passed',
    );
  }
}
