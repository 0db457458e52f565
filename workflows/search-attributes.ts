// The order's custom search attributes, so Temporal's own tools (the Web UI, `temporal
// workflow list --query`) find orders the way support does. Registered on the server by the
// embedded runtime and by docker-compose; set at start by checkout, kept current by the
// workflow whenever the status changes.

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey(
  'OrderStatus',
  SearchAttributeType.KEYWORD,
);
export const VerticalAttribute = defineSearchAttributeKey('Vertical', SearchAttributeType.KEYWORD);
export const ProviderIdAttribute = defineSearchAttributeKey(
  'ProviderId',
  SearchAttributeType.KEYWORD,
);
export const CustomerIdAttribute = defineSearchAttributeKey(
  'CustomerId',
  SearchAttributeType.KEYWORD,
);

/** Name and server type of each, for registering them (`--search-attribute Name=Keyword`). */
export const ORDER_SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword'>> = {
  OrderStatus: 'Keyword',
  Vertical: 'Keyword',
  ProviderId: 'Keyword',
  CustomerId: 'Keyword',
};
