// Workflow interceptors for tracing, bundled into every workflow bundle (runs in the workflow
// sandbox: deterministic code only). A workflow started inside a trace (the client's tracing
// interceptor put the trace context in its start headers) gets
// @temporalio/interceptors-opentelemetry's workflow interceptors; any other workflow passes
// straight through, so with tracing off workflows make no spans and pay nothing for them
// (always on, they made replays 1.5–3× slower: README, "Metrics and traces").
// Deterministic: the start headers are in the history, so a replay decides the same.

import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  WorkflowInboundCallsInterceptor as Inbound,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor as Internals,
  WorkflowOutboundCallsInterceptor as Outbound,
} from '@temporalio/workflow';

interface Tracing {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  // Set when the workflow's execution starts with a trace context; one per workflow run.
  let tracing: Tracing | undefined;
  const inbound: Inbound = {
    execute(input, next) {
      if (input.headers[TRACE_HEADER] !== undefined) {
        tracing = {
          inbound: new OpenTelemetryInboundInterceptor(),
          outbound: new OpenTelemetryOutboundInterceptor(),
          internals: new OpenTelemetryInternalsInterceptor(),
        };
      }
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
