// One trace from the checkout request to the provider webhook, against the real Temporal
// server and database: the API's server span, the client's UpdateWithStart, the workflow run,
// its activities (local ones included) and the webhook's outgoing HTTP request, each the child
// of the one before, collected by an in-memory exporter. And a workflow started outside a
// trace makes no spans at all (infra/telemetry/workflow-interceptors.ts).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { Worker } from '@temporalio/worker';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { payloadDataConverter } from '../infra/codec';
import { startTracing } from '../infra/telemetry/tracing';
import { orderWorkflowId } from '../workflows/messages';
import {
  eventually,
  startWebhookReceiver,
  useHarness,
  TEST_PAYLOAD_KEY,
  TOKENS,
  type WebhookReceiver,
} from './support/harness';
import { HISTORIES_DIR, loadHistory } from './support/histories';
import request from 'supertest';
import { cancelOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';

// Before the harness starts: the Temporal client and worker choose their interceptors then.
const spans = new InMemorySpanExporter();
const tracing = startTracing({
  serviceName: 'orderflow-test',
  spanProcessor: new SimpleSpanProcessor(spans),
});

let webhooks: WebhookReceiver;
beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});
const harness = useHarness(() => ({
  providers: [{ vertical: 'grocery', webhookUrl: webhooks.url }],
}));
afterAll(async () => {
  await webhooks.close();
  await tracing?.shutdown();
});

/** The one span named `name` in `all`, or undefined (a second one fails the test). */
function single(all: ReadableSpan[], name: string): ReadableSpan | undefined {
  const found = all.filter((span) => span.name === name);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** The order the first test traced. */
let tracedOrderId: string | undefined;

test('checkout → UpdateWithStart → RunWorkflow → activities → webhook HTTP: one trace, each span the child of the one before', async () => {
  expect(tracing).toBeDefined();
  const answer = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  expect(answer.status).toBe(201);
  const orderId = answer.body.orderId as string;
  tracedOrderId = orderId;
  const webhook = await webhooks.waitForEvent('order.created', orderId);

  // The workflow's run span ends with the workflow: the app cancels the order to end it.
  expect((await cancelOrder(harness.apiUrl, orderId)).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'cancelled');

  // Workflow spans reach the exporter through the worker's sink after their workflow task.
  const http = await eventually(
    () => {
      const all = spans.getFinishedSpans();
      const server = all.filter((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/orders');
      const traceId = server[0]?.spanContext().traceId;
      const ran = all.some(
        (s) => s.name === 'RunWorkflow:orderWorkflow' && s.spanContext().traceId === traceId,
      );
      return server.length === 1 && ran ? server[0] : undefined;
    },
    15_000,
    'the checkout span and the workflow run span',
  );
  const all = spans.getFinishedSpans();
  const traceId = http.spanContext().traceId;
  const inTrace = all.filter((span) => span.spanContext().traceId === traceId);

  // The checkout request starts the trace (the test sent no traceparent).
  expect(http.parentSpanId).toBeUndefined();
  expect(http.attributes['http.response.status_code']).toBe(201);

  // Checkout starts the workflow with its payment-decision update (update-with-start).
  const updateWithStart = single(inTrace, 'UpdateWithStartWorkflow:awaitPaymentDecision');
  expect(updateWithStart?.parentSpanId).toBe(idOf(http));
  const run = single(inTrace, 'RunWorkflow:orderWorkflow');
  expect(run?.parentSpanId).toBe(idOf(updateWithStart!));

  // The authorisation (a local or a normal activity, by workflow generation) and the provider
  // webhook (a normal one): each activity's run is the child of the workflow's StartActivity,
  // itself the child of the workflow's run.
  for (const activity of ['authorisePayment', 'notifyProvider']) {
    const start = inTrace.find((s) => s.name === `StartActivity:${activity}`);
    const runActivity = inTrace.find((s) => s.name === `RunActivity:${activity}`);
    expect({ activity, start: start?.parentSpanId }).toEqual({ activity, start: idOf(run!) });
    expect({ activity, run: runActivity?.parentSpanId }).toEqual({
      activity,
      run: idOf(start!),
    });
  }

  // The webhook's HTTP request, made by notifyProvider, is its child, and the provider got
  // the trace context with it.
  const notify = inTrace.find((s) => s.name === 'RunActivity:notifyProvider')!;
  const post = inTrace.find(
    (s) => s.kind === SpanKind.CLIENT && s.attributes['url.full'] === webhooks.url,
  );
  expect(post?.parentSpanId).toBe(idOf(notify));
  expect(post?.attributes['http.response.status_code']).toBe(204);
  expect(webhook.headers.traceparent).toBe(`00-${traceId}-${idOf(post!)}-01`);
});

/** How many spans the workflow hands to its sink while `history` replays. */
async function workflowSpansOnReplay(
  history: Parameters<typeof Worker.runReplayHistory>[1],
  workflowId: string,
): Promise<number> {
  let exported = 0;
  await Worker.runReplayHistory(
    {
      workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE_PATH! },
      dataConverter: payloadDataConverter([TEST_PAYLOAD_KEY]),
      sinks: {
        exporter: {
          export: {
            fn: (_info, spans: unknown[]) => void (exported += spans.length),
            callDuringReplay: true,
          },
        },
      },
    },
    history,
    workflowId,
  );
  return exported;
}

test('a workflow started outside a trace makes no spans; one started inside a trace does', async () => {
  // Recorded without tracing: no trace context in its start headers.
  const recorded = loadHistory(
    JSON.parse(readFileSync(path.join(HISTORIES_DIR, 'grocery-completed.json'), 'utf8')),
  );
  expect(await workflowSpansOnReplay(recorded, 'grocery-completed')).toBe(0);

  expect(tracedOrderId).toBeDefined();
  const workflowId = orderWorkflowId(tracedOrderId!);
  const traced = await harness.temporal.workflow.getHandle(workflowId).fetchHistory();
  expect(await workflowSpansOnReplay(traced, workflowId)).toBeGreaterThan(0);
});

test("a request that brings a traceparent continues the caller's trace; probes make no span", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';
  const answer = await request(harness.apiUrl)
    .get('/v1/orders/ord_does_not_exist')
    .set('Authorization', `Bearer ${TOKENS.app}`)
    .set('traceparent', `00-${traceId}-${callerSpanId}-01`);
  expect(answer.status).toBe(404);
  expect((await request(harness.apiUrl).get('/healthz')).status).toBe(200);

  const server = await eventually(
    () => spans.getFinishedSpans().find((s) => s.spanContext().traceId === traceId),
    5_000,
    'the span of the request',
  );
  expect([server.name, server.kind, server.parentSpanId]).toEqual([
    'GET /v1/orders/:orderId',
    SpanKind.SERVER,
    callerSpanId,
  ]);
  expect(spans.getFinishedSpans().filter((s) => s.attributes['url.path'] === '/healthz')).toEqual(
    [],
  );
});
