import { TRACE_HEADER as LIBRARY_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { WorkflowExecuteInput } from '@temporalio/workflow';
import { interceptors, TRACE_HEADER } from './workflow-interceptors';

describe('the workflow tracing interceptors', () => {
  it('look for the trace context under the header the client interceptor writes', () => {
    expect(TRACE_HEADER).toBe(LIBRARY_TRACE_HEADER);
  });

  it('hand a workflow started outside a trace straight to the next interceptor', async () => {
    const [inbound] = interceptors().inbound!;
    const input = { args: [], headers: {} } as unknown as WorkflowExecuteInput;
    const next = jest.fn(async () => 'result');
    await expect(inbound!.execute!(input, next)).resolves.toBe('result');
    expect(next).toHaveBeenCalledWith(input);
  });
});
