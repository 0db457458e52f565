// Entry point of the workflow bundle: every workflow the order worker runs.
export { orderWorkflow } from './order';
export { afterSalesWorkflow } from './after-sales';
export { appEventDeliveryWorkflow } from './app-event-delivery';
export { appEventRelayWorkflow } from './app-event-relay';
export { purgeExpiredIdempotencyRecords } from './maintenance';
