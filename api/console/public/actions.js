// Staff actions, each in one dialog of three steps: the form, a confirmation saying exactly
// what will happen ("Refund ¥12.99 to the customer for item_missing?"), then the API's answer.

import { support } from './api.js';
import { h } from './dom.js';
import { parseAmount, words } from './format.js';

const dialog = document.getElementById('dialog');

export function refundAction({ order, money, choices, done }) {
  // One key per dialog: a double click or a retry of the same refund cannot refund twice.
  const key = newIdempotencyKey();
  const { captured, refunded } = order.amounts;
  openDialog({
    title: 'Refund',
    fields: [
      h('p', { class: 'hint' }, `Captured ${money(captured)}, refunded ${money(refunded)} so far.`),
      field(
        `Amount (${order.currency})`,
        h('input', {
          name: 'amount',
          inputmode: 'decimal',
          autocomplete: 'off',
          placeholder: '12.99',
          required: true,
        }),
      ),
      field('Reason', choice('reason', choices.reason)),
      field('Note for the record (optional)', h('textarea', { name: 'note', rows: 2 })),
    ],
    review(form) {
      const amount = parseAmount(form.get('amount'), order.currency);
      const reason = String(form.get('reason') ?? '');
      if (!reason) throw new Error('Choose a reason.');
      const note = String(form.get('note') ?? '').trim();
      const body = { amount, reason, ...(note ? { note } : {}) };
      return {
        question: `Refund ${money(amount)} to the customer for ${reason}?`,
        confirm: 'Refund',
        send: () => support.refund(order.orderId, body, key),
      };
    },
    outcome: ({ body }) => refundOutcome(body.refund, money),
    done,
  });
}

export function cancelAction({ order, money, done }) {
  openDialog({
    title: 'Cancel the order',
    fields: [
      field('Reason', h('input', { name: 'reason', required: true, maxlength: 500 })),
      h(
        'label',
        { class: 'check' },
        h('input', { type: 'checkbox', name: 'waiveFee' }),
        ' Waive the fee: the customer gets everything back',
      ),
    ],
    async review(form) {
      const reason = String(form.get('reason') ?? '').trim();
      if (!reason) throw new Error('Say why the order is cancelled.');
      const waiveFee = form.get('waiveFee') === 'on';
      // A fresh quote: the one on the page may be out of date by now.
      const { body: quote } = await support.quote(order.orderId);
      if (!quote.cancellable) {
        throw new Error(`Not cancellable: ${quote.reason ?? 'the policy does not allow it now'}.`);
      }
      return {
        question: cancelQuestion(quote, waiveFee, money),
        confirm: 'Cancel the order',
        send: () => support.cancel(order.orderId, { reason, ...(waiveFee ? { waiveFee } : {}) }),
      };
    },
    outcome: ({ body }) => ({
      tone: 'ok',
      text: `Cancelled: the provider keeps ${money(body.fee)}; ${money(body.refunded)} refunded, ${money(body.released)} released.`,
    }),
    done,
  });
}

function cancelQuestion(quote, waiveFee, money) {
  const rule = quote.rule ? ` (${words(quote.rule)})` : '';
  const policy = `By the policy${rule} the provider keeps ${money(quote.fee)}, ${money(quote.refund)} is refunded and ${money(quote.release)} released.`;
  const waived =
    waiveFee && quote.fee > 0 ? ` The fee is waived: the ${money(quote.fee)} goes back too.` : '';
  return `Cancel this order? ${policy}${waived}`;
}

export function redeliverAction({ order, done }) {
  openDialog({
    title: 'Redeliver the notification',
    review: () => ({
      question: 'Send the provider its latest notification about this order again?',
      confirm: 'Redeliver',
      send: () => support.redeliver(order.orderId),
    }),
    outcome: ({ body }) =>
      body.delivered
        ? {
            tone: 'ok',
            text: `Delivered ${body.event}${body.status ? ` (HTTP ${body.status})` : ''}.`,
          }
        : {
            tone: 'bad',
            text: `Not delivered: ${body.event}: ${body.problem ?? `HTTP ${body.status}`}.`,
          },
    done,
  });
}

export function decisionAction({ order, money, done }, refund, verdict) {
  const verb = verdict === 'approve' ? 'Approve' : 'Decline';
  openDialog({
    title: `${verb} the refund`,
    fields: [field('Note (optional)', h('textarea', { name: 'note', rows: 2 }))],
    review(form) {
      const note = String(form.get('note') ?? '').trim();
      return {
        question: `${verb} the refund of ${money(refund.amount)} for ${refund.reason} requested by ${refund.requestedBy.name}?`,
        confirm: verb,
        send: () => support.decide(order.orderId, refund.refundId, verdict, note ? { note } : {}),
      };
    },
    outcome: ({ body }) => refundOutcome(body.refund, money),
    done,
  });
}

function refundOutcome(refund, money) {
  const amount = money(refund.amount);
  switch (refund.status) {
    case 'refunded':
      return { tone: 'ok', text: `Refunded ${amount} to the customer.` };
    case 'refunding':
      return { tone: 'ok', text: `Refund of ${amount} accepted: the payment is being refunded.` };
    case 'pending_approval':
      return {
        tone: 'pending',
        text: `Waiting for approval: an admin must approve a refund of ${amount}; it is held until then.`,
      };
    default:
      return { tone: 'bad', text: `The refund of ${amount} was ${words(refund.status)}.` };
  }
}

// ---- The dialog ----

/**
 * Runs one action: `review(formData)` checks the form and answers `{question, confirm, send}`
 * (or throws an Error to show); `outcome(answer)` words the API's answer. `done` refreshes
 * the page once the dialog closes after anything was sent.
 */
function openDialog({ title, fields = [], review, outcome, done }) {
  let sent = false;
  let busy = false;
  const body = h('div', { class: 'dialog-body' });
  const step = (...nodes) => body.replaceChildren(...nodes);
  const close = () => dialog.close();
  const button = (label, onclick, primary = false) =>
    h('button', { type: 'button', class: primary ? 'primary' : undefined, onclick }, label);

  function ask() {
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          error.textContent = '';
          try {
            confirm(await review(new FormData(form)));
          } catch (failure) {
            error.textContent = failure.message;
          }
        },
      },
      ...fields,
      error,
      h(
        'div',
        { class: 'buttons' },
        button('Cancel', close),
        h('button', { type: 'submit', class: 'primary' }, 'Review…'),
      ),
    );
    step(form);
    form.querySelector('input, select, textarea')?.focus();
  }

  function confirm(plan) {
    const yes = button(plan.confirm, () => send(plan), true);
    step(
      h('p', { class: 'question' }, plan.question),
      h(
        'div',
        { class: 'buttons' },
        fields.length > 0 ? button('Back', ask) : button('Cancel', close),
        yes,
      ),
    );
    yes.focus();
  }

  async function send(plan) {
    if (busy) return;
    busy = true;
    sent = true;
    step(h('p', { class: 'pending' }, 'Sending…'));
    let shown;
    try {
      shown = outcome(await plan.send());
    } catch (failure) {
      // The session ended: the console is back at sign-in and closes this dialog itself.
      if (failure.status === 401) return;
      shown = failedOutcome(failure);
    } finally {
      busy = false;
    }
    step(
      h('p', { class: `result tone-${shown.tone}`, role: 'status' }, shown.text),
      h(
        'div',
        { class: 'buttons' },
        shown.retry && button('Try again', () => send(plan)),
        button('Close', close, true),
      ),
    );
  }

  dialog.replaceChildren(h('h2', { id: 'dialog-title' }, title), body);
  dialog.oncancel = (event) => busy && event.preventDefault();
  dialog.onclose = () => sent && done();
  dialog.showModal();
  if (fields.length > 0) ask();
  else confirm(review(new FormData()));
}

function failedOutcome(failure) {
  // A retry sends the same request (same Idempotency-Key): it cannot act twice.
  if (failure.retryable) {
    return {
      tone: 'bad',
      text: `No answer: ${failure.message.replace(/\.?$/, '.')} Trying again is safe.`,
      retry: true,
    };
  }
  return { tone: 'bad', text: `Refused: ${failure.message} (${failure.code})` };
}

const field = (label, control) => h('label', { class: 'field' }, h('span', {}, label), control);

function choice(name, options) {
  if (options.length === 0) return h('input', { name, required: true });
  return h(
    'select',
    { name, required: true },
    h('option', { value: '' }, 'Choose…'),
    options.map((option) => h('option', { value: option }, words(option))),
  );
}

/** A random key; `crypto.randomUUID` only exists on https and localhost. */
function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
