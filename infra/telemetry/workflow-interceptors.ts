// Workflow interceptors for tracing, bundled into every workflow bundle (runs in the workflow
// sandbox: deterministic code only). A workflow started inside a trace (the client's tracing
// interceptor put the trace context in its start headers) gets
// @temporalio/interceptors-opentelemetry's workflow interceptors; any other workflow passes
// straight through, so with tracing off workflows make no spans and pay nothing for them
// (always on, they made replays 1.5–3× slower: README, "Metrics and traces").
// Deterministic: the start headers are in the history, so a replay decides the same.
//
// The sandbox evaluates this module for every workflow it creates, so OpenTelemetry's modules
// are loaded only for a traced workflow: imported here, they cost the workflow thread ~1.6 ms
// per order with tracing off (docs/BENCHMARKS.md, sixth round).

import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  WorkflowInboundCallsInterceptor as Inbound,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor as Internals,
  WorkflowOutboundCallsInterceptor as Outbound,
} from '@temporalio/workflow';

/** The start header that carries a trace context (`TRACE_HEADER` of the interceptors' package). */
export const TRACE_HEADER = '_tracer-data';

interface Tracing {
  inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
}

function startTracing(): Tracing {
  // Evaluated here, on first use, not when the sandbox loads this module (see the top).
  const otel: typeof OpenTelemetryWorkflow =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@temporalio/interceptors-opentelemetry/lib/workflow');
  return {
    inbound: new otel.OpenTelemetryInboundInterceptor(),
    outbound: new otel.OpenTelemetryOutboundInterceptor(),
    internals: new otel.OpenTelemetryInternalsInterceptor(),
  };
}

export const interceptors = (): WorkflowInterceptors => {
  // Set when the workflow's execution starts with a trace context; one per workflow run.
  let tracing: Tracing | undefined;
  const inbound: Inbound = {
    execute(input, next) {
      if (input.headers[TRACE_HEADER] !== undefined) tracing = startTracing();
      return tracing ? tracing.inbound.execute(input, next) : next(input);
    },
    handleSignal: (input, next) =>
      tracing ? tracing.inbound.handleSignal(input, next) : next(input),
    handleUpdate: (input, next) =>
      tracing ? tracing.inbound.handleUpdate(input, next) : next(input),
    validateUpdate: (input, next) =>
      tracing ? tracing.inbound.validateUpdate(input, next) : next(input),
    handleQuery: (input, next) =>
      tracing ? tracing.inbound.handleQuery(input, next) : next(input),
  };
  const outbound: Outbound = {
    scheduleActivity: (input, next) =>
      tracing ? tracing.outbound.scheduleActivity(input, next) : next(input),
    scheduleLocalActivity: (input, next) =>
      tracing ? tracing.outbound.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (input, next) =>
      tracing ? tracing.outbound.startChildWorkflowExecution(input, next) : next(input),
    startNexusOperation: (input, next) =>
      tracing ? tracing.outbound.startNexusOperation(input, next) : next(input),
    continueAsNew: (input, next) =>
      tracing ? tracing.outbound.continueAsNew(input, next) : next(input),
    signalWorkflow: (input, next) =>
      tracing ? tracing.outbound.signalWorkflow(input, next) : next(input),
    getLogAttributes: (input, next) =>
      tracing ? tracing.outbound.getLogAttributes(input, next) : next(input),
    getMetricTags: (input, next) =>
      tracing ? tracing.outbound.getMetricTags(input, next) : next(input),
  };
  const internals: Internals = {
    dispose: (input, next) => (tracing ? tracing.internals.dispose(input, next) : next(input)),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
