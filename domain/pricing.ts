// What an order costs and what a provider's confirmation makes capturable.
// Pure functions of the order lines; a client-sent total is never an input.

import { multiply, sum } from './money';
import type { ConfirmationDecision, GroceryItem, OrderRequest } from './order';

export function groceryTotal(items: readonly GroceryItem[]): number {
  return sum(items.map((item) => multiply(item.unitPrice, item.quantity)));
}

/** Whole nights between two ISO dates (check-in and check-out are calendar dates). */
export function nightsBetween(checkIn: string, checkOut: string): number {
  const millisPerDay = 86_400_000;
  return Math.round((Date.parse(checkOut) - Date.parse(checkIn)) / millisPerDay);
}

export function orderTotal(order: OrderRequest): number {
  switch (order.vertical) {
    case 'grocery':
      return groceryTotal(order.grocery.items);
    case 'hotel':
      return multiply(
        order.hotel.nightlyRate,
        nightsBetween(order.hotel.checkIn, order.hotel.checkOut),
      );
    case 'teleconsultation':
      return order.teleconsultation.fee;
  }
}

export interface ConfirmedLine extends GroceryItem {
  /** How many of `quantity` the store confirmed. */
  confirmedQuantity: number;
}

/**
 * The grocery lines a store confirmed. A line the store did not mention is confirmed in
 * full; a store can only lower a quantity, never raise it.
 */
export function confirmGroceryLines(
  items: readonly GroceryItem[],
  availability: ConfirmationDecision['items'],
): ConfirmedLine[] {
  const available = new Map((availability ?? []).map((a) => [a.sku, a.availableQuantity]));
  return items.map((item) => ({
    ...item,
    confirmedQuantity: Math.min(item.quantity, available.get(item.sku) ?? item.quantity),
  }));
}

export function confirmedGroceryTotal(lines: readonly ConfirmedLine[]): number {
  return sum(lines.map((line) => multiply(line.unitPrice, line.confirmedQuantity)));
}
