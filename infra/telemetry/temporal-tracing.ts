// Temporal's OpenTelemetry interceptors (@temporalio/interceptors-opentelemetry): the client
// puts the caller's span context in the workflow's headers, the workflow's spans (made in the
// sandbox, deterministically, handed out through a sink) continue it, and so do activities.

import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { activeTracing } from './tracing';

/**
 * Workflow interceptor modules every orderflow workflow bundle is built with
 * (bundleWorkflowCode's `workflowInterceptorModules`), whether tracing is on or not, so that
 * one prebuilt bundle serves both: they trace only workflows started inside a trace.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [
  require.resolve('./workflow-interceptors'),
];

/** The client's interceptors: tracing ones when tracing is on. */
export function clientTracingInterceptors(): ClientInterceptors | undefined {
  return activeTracing() ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/**
 * Where the bundle's workflow spans go: the exporter when tracing is on, nowhere otherwise (a
 * traced workflow can reach a worker without tracing, e.g. after tracing was turned off).
 */
function workflowSpanSink(): InjectedSinks<OpenTelemetrySinks> {
  const tracing = activeTracing();
  if (tracing) return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
  return { exporter: { export: { fn: () => undefined, callDuringReplay: false } } };
}

/** What a worker adds to its options for tracing (activity interceptors when on, the sink always). */
export function workerTracingOptions(): Pick<WorkerOptions, 'interceptors'> & {
  sinks: InjectedSinks<OpenTelemetrySinks>;
} {
  const tracing = activeTracing();
  return {
    interceptors: tracing
      ? {
          activity: [
            (ctx) => ({
              inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
          ],
        }
      : {},
    sinks: workflowSpanSink(),
  };
}
