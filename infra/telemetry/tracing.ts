// Distributed tracing with OpenTelemetry: one trace from a checkout request through its workflow
// and activities to the provider webhook. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (or a
// test hands in its own span processor): then no tracer provider is registered, the Temporal
// clients and workers get no tracing interceptors, and the API adds no middleware.

import { propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  /** Where spans go; the worker also hands workflow spans (made in its sandbox) to it. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The tracing this process started, if any. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/** OTLP/HTTP's trace path under the collector's base URL, as the OpenTelemetry spec builds it. */
function tracesUrl(endpoint: string): string {
  return new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).toString();
}

/**
 * Starts tracing for this process once: spans to the OTLP collector at `otlpEndpoint`, or to
 * `spanProcessor` (tests). Neither: tracing stays off and this returns undefined.
 */
export function startTracing(options: {
  serviceName: string;
  otlpEndpoint?: string;
  spanProcessor?: SpanProcessor;
}): Tracing | undefined {
  if (active) return active;
  const spanProcessor =
    options.spanProcessor ??
    (options.otlpEndpoint
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }))
      : undefined);
  if (!spanProcessor) return undefined;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registers the W3C trace-context (traceparent) and baggage propagators with it.
  provider.register();
  // Outgoing HTTP through undici (provider webhooks): a client span, and `traceparent` sent on;
  // only inside a trace (a metrics scrape or a health probe starts none).
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation({ requireParentforSpans: true })],
  });
  active = {
    spanProcessor,
    resource,
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      active = undefined;
    },
  };
  return active;
}
