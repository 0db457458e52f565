// The order page: what the order is, what happened to it (the timeline), where its money went
// (the ledger), what the provider said (callbacks), what the app was told (app events), what
// staff did (audit), and the actions.

import { session, support } from './api.js';
import { badge, facts, h, section, table } from './dom.js';
import { formatLocalTime, formatMoney, formatTime, words } from './format.js';
import { cancelAction, decisionAction, redeliverAction, refundAction } from './actions.js';

/** The page for one order; the timeline and the quote may fail alone without losing it. */
export async function renderOrder(orderId, { choices, refresh, backTo }) {
  const [detail, history, quote] = await Promise.allSettled([
    support.order(orderId),
    support.history(orderId),
    support.quote(orderId),
  ]);
  if (detail.status === 'rejected') throw detail.reason;
  const { order, ledger, callbacks, audit, appEvents = [] } = detail.value.body;
  const money = (amount) => formatMoney(amount, order.currency);
  const context = { order, money, choices, done: refresh };
  return h(
    'article',
    { class: 'order' },
    summary(order, money, backTo),
    order.attention && attentionBanner(order.attention),
    order.failure &&
      h('div', { class: 'banner bad' }, `Failed: ${order.failure.message} (${order.failure.code})`),
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        { class: 'main' },
        timelinePanel(history, order.currency),
        order.refunds?.length > 0 && refundsPanel(context),
        ledgerPanel(ledger),
        callbacksPanel(callbacks),
        appEventsPanel(appEvents),
        auditPanel(audit, order.currency),
      ),
      h('aside', { class: 'side' }, actionsPanel(context), quotePanel(quote, money, order)),
    ),
  );
}

/** An API failure (or any error) as a sentence on the page. */
export function problem(error) {
  const code = error.code ? ` (${error.code})` : '';
  return h('p', { class: 'error', role: 'alert' }, `${error.message}${code}`);
}

// ---- What the order is ----

function summary(order, money, backTo) {
  const { amounts } = order;
  return h(
    'section',
    { class: 'panel summary' },
    h('a', { href: backTo, class: 'back' }, '← Results'),
    h(
      'h1',
      {},
      'Order ',
      h('code', {}, order.orderId),
      ' ',
      badge(words(order.status), order.status),
    ),
    facts(
      [
        ['Total', money(amounts.total)],
        ['Authorised', money(amounts.authorised)],
        ['Captured', money(amounts.captured)],
        ['Released', money(amounts.released)],
        ['Refunded', money(amounts.refunded)],
      ],
      'amounts',
    ),
    facts([
      ['Vertical', order.vertical],
      ['What', whatWasOrdered(order, money)],
      ['Provider', order.providerId],
      ['Offered before', order.routing && routingText(order.routing)],
      ['Customer', order.customerId],
      ['Placed', formatTime(order.createdAt)],
      ['Provider answers by', order.confirmBy && formatTime(order.confirmBy)],
      ['Courier', order.dispatch?.courier && order.dispatch.courier.name],
      ['Cancelled', order.cancellation && cancellationText(order.cancellation, money)],
      ['Closed', order.closedAt && formatTime(order.closedAt)],
    ]),
  );
}

/** A re-routed order's earlier offers: who was asked, and why the order moved on. */
function routingText(routing) {
  return routing
    .map((offer) => `${offer.providerId} (${offer.outcome} ${formatTime(offer.at)})`)
    .join(' → ');
}

function whatWasOrdered(order, money) {
  if (order.grocery) {
    return order.grocery.items
      .map((item) => `${item.quantity} × ${item.name} (${money(item.unitPrice)})`)
      .join(', ');
  }
  if (order.hotel) {
    const { roomType, checkIn, checkOut, guests, checkInAt, checkOutAt, timeZone } = order.hotel;
    // Orders placed before hotels had zones carry only the days.
    if (!checkInAt) return `${roomType}, ${checkIn} → ${checkOut}, ${guests} guests`;
    const local = (iso) => formatLocalTime(iso, timeZone);
    return `${roomType}, ${guests} guests, check-in ${local(checkInAt)} → check-out ${local(checkOutAt)} (${timeZone})`;
  }
  if (order.teleconsultation) {
    const { specialty, slotStart, durationMinutes, timeZone } = order.teleconsultation;
    const zone = timeZone ? ` (${timeZone})` : '';
    return `${specialty}, ${formatLocalTime(slotStart, timeZone)}${zone}, ${durationMinutes} min`;
  }
  return undefined;
}

const cancellationText = (cancellation, money) =>
  `by ${cancellation.requestedBy}: ${cancellation.reason}; fee ${money(cancellation.fee)}`;

function attentionBanner(attention) {
  return h(
    'div',
    { class: 'banner attention', role: 'alert' },
    h('strong', {}, 'Needs attention: '),
    attention.reason,
    ` (${words(attention.code)}, since ${formatTime(attention.since)})`,
  );
}

// ---- What happened ----

function timelinePanel(history, currency) {
  if (history.status === 'rejected') return section('Timeline', problem(history.reason));
  const { entries } = history.value.body;
  return section(
    'Timeline',
    entries.length === 0
      ? h('p', { class: 'empty' }, 'Nothing recorded yet.')
      : h(
          'ol',
          { class: 'timeline' },
          entries.map((entry) => timelineEntry(entry, currency)),
        ),
  );
}

function timelineEntry(entry, currency) {
  const named = entry.actorName && entry.actorName !== entry.actor;
  const actor = named ? `${entry.actor} · ${entry.actorName}` : entry.actor;
  return h(
    'li',
    { class: `entry tone-${toneOf(entry.kind)}`, 'data-kind': entry.kind },
    timeOf(entry.at),
    h(
      'div',
      { class: 'what' },
      badge(actor, entry.actor),
      h('span', { class: 'title' }, entry.title),
    ),
    detailsOf(entry.details, currency),
  );
}

function toneOf(kind) {
  if (/failed|rejected|declined|retrying|terminated|timed_out|gave_up/.test(kind)) return 'bad';
  if (/pending/.test(kind)) return 'pending';
  return 'ok';
}

function detailsOf(details = {}, currency) {
  const pairs = Object.entries(details).filter(([name]) => name !== 'currency');
  if (pairs.length === 0) return null;
  const inCurrency = typeof details.currency === 'string' ? details.currency : currency;
  return h(
    'details',
    {},
    h('summary', {}, 'Details'),
    facts(
      pairs.map(([name, value]) => [words(name), shown(name, value, inCurrency)]),
      'details',
    ),
  );
}

/** Amounts come as integer minor units under these names; shown as money. */
const MONEY_NAMES = new Set([
  'amount',
  'fee',
  'refunded',
  'released',
  'captured',
  'authorised',
  'totalRefunded',
]);

/** A detail's value as text: money for amounts, JSON for anything nested. */
function shown(name, value, currency) {
  if (MONEY_NAMES.has(name) && Number.isSafeInteger(value)) return formatMoney(value, currency);
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// ---- Money, callbacks, audit ----

/** A `<time>` in the reader's zone, the exact instant on hover. */
const timeOf = (iso) => h('time', { datetime: iso, title: iso }, formatTime(iso));
const when = { label: 'Time', cell: (row) => timeOf(row.at) };

function ledgerPanel(ledger) {
  return section(
    'Ledger',
    table(
      [
        when,
        { label: 'Type', cell: (e) => badge(e.type, e.type) },
        { label: 'Amount', class: 'num', cell: (e) => formatMoney(e.amount, e.currency) },
        { label: 'Reason', cell: (e) => e.reason && words(e.reason) },
        { label: 'Gateway key', cell: (e) => h('code', { class: 'small' }, e.key) },
      ],
      ledger,
      'No money has moved.',
    ),
  );
}

function callbacksPanel(callbacks) {
  return section(
    'Provider callbacks',
    table(
      [
        when,
        { label: 'Kind', cell: (c) => words(c.kind) },
        {
          label: 'Result',
          cell: (c) => (c.accepted ? badge('accepted', 'ok') : badge('refused', 'bad')),
        },
        { label: 'HTTP', class: 'num', cell: (c) => String(c.status) },
        { label: 'Code', cell: (c) => [c.code, c.message].filter(Boolean).join(': ') },
        { label: 'Request id', cell: (c) => h('code', { class: 'small' }, c.requestId) },
      ],
      callbacks,
      'No callbacks from the provider.',
    ),
  );
}

const deliveryTone = { delivered: 'ok', failed: 'bad', pending: 'pending' };

/** The order's events to the app's endpoints: each delivery, how it stands, its last answer. */
function appEventsPanel(deliveries) {
  const lastAnswer = (d) => {
    const last = d.attempts.at(-1);
    if (!last) return '';
    return last.httpStatus !== undefined ? `HTTP ${last.httpStatus}` : (last.error ?? '');
  };
  return section(
    'App events',
    table(
      [
        { label: 'Time', cell: (d) => timeOf(d.createdAt) },
        { label: 'Event', cell: (d) => h('code', { class: 'small' }, d.type) },
        { label: 'Seq', class: 'num', cell: (d) => String(d.sequence) },
        { label: 'Endpoint', cell: (d) => h('code', { class: 'small' }, d.endpointId) },
        { label: 'Delivery', cell: (d) => badge(d.status, deliveryTone[d.status]) },
        { label: 'Attempts', class: 'num', cell: (d) => String(d.attempts.length) },
        { label: 'Last answer', cell: lastAnswer },
      ],
      deliveries,
      'No app events sent.',
    ),
  );
}

function auditPanel(audit, currency) {
  const detailText = (details = {}) =>
    Object.entries(details)
      .map(([name, value]) => `${words(name)} ${shown(name, value, currency)}`)
      .join(', ');
  return section(
    'Audit',
    table(
      [
        when,
        { label: 'Action', cell: (a) => a.action },
        { label: 'By', cell: (a) => `${a.actor.name} (${a.actor.role})` },
        { label: 'Reason', cell: (a) => a.reason && words(a.reason) },
        {
          label: 'Result',
          cell: (a) =>
            badge(
              [a.result.status, a.result.code].filter(Boolean).join(' '),
              a.result.status < 300 ? 'ok' : 'bad',
            ),
        },
        { label: 'Details', cell: (a) => detailText(a.details) },
      ],
      audit,
      'No staff action yet.',
    ),
  );
}

// ---- Acting on it ----

function actionsPanel(context) {
  const button = (label, action) =>
    h('button', { type: 'button', onclick: () => action(context) }, label);
  return section(
    'Actions',
    h(
      'div',
      { class: 'buttons' },
      button('Refund…', refundAction),
      button('Cancel order…', cancelAction),
      button('Redeliver notification…', redeliverAction),
    ),
  );
}

/** The zone an order's times are told in: its hotel's or clinic's (none on older orders). */
const localZoneOf = (order) => order.hotel?.timeZone ?? order.teleconsultation?.timeZone;

function quotePanel(quote, money, order) {
  if (quote.status === 'rejected') return section('Cancellation quote', problem(quote.reason));
  const q = quote.value.body;
  const zone = localZoneOf(order);
  return section(
    'Cancellation quote',
    q.cancellable
      ? facts([
          ['Provider keeps', money(q.fee)],
          ['Refunded', money(q.refund)],
          ['Released', money(q.release)],
          ['Rule', q.rule && words(q.rule)],
          [
            'Free until',
            q.freeUntil && `${formatLocalTime(q.freeUntil, zone)}${zone ? ` (${zone})` : ''}`,
          ],
        ])
      : h('p', {}, `Not cancellable now: ${q.reason ?? 'the policy does not allow it'}.`),
    h('p', { class: 'hint' }, `Quoted ${formatTime(q.quotedAt)}.`),
  );
}

function refundsPanel(context) {
  const { order, money } = context;
  const pending = order.refunds.some((refund) => refund.status === 'pending_approval');
  // Only an admin may decide; support sees what waits (the API would refuse it anyway: 403).
  const decides = session.role() === 'admin';
  return section(
    'Refunds',
    table(
      [
        { label: 'Requested', cell: (r) => timeOf(r.requestedAt) },
        { label: 'Amount', class: 'num', cell: (r) => money(r.amount) },
        { label: 'Reason', cell: (r) => words(r.reason) },
        { label: 'By', cell: (r) => r.requestedBy.name },
        { label: 'Status', cell: (r) => badge(words(r.status), r.status) },
        {
          label: '',
          cell: (r) =>
            decides &&
            r.status === 'pending_approval' && [
              h(
                'button',
                { type: 'button', onclick: () => decisionAction(context, r, 'approve') },
                'Approve',
              ),
              h(
                'button',
                { type: 'button', onclick: () => decisionAction(context, r, 'decline') },
                'Decline',
              ),
            ],
        },
      ],
      order.refunds,
    ),
    pending &&
      !decides &&
      h(
        'p',
        { class: 'hint' },
        'A refund waiting for approval needs an admin to approve or decline it.',
      ),
  );
}
