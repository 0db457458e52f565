// The support console: sign in, find orders, open one. Hash routes keep the view on reload:
//   #/                      every order, newest first
//   #/search?<filters>      the search's own query (status, providerId, needsAttention, cursor…)
//   #/orders/<orderId>      one order: its timeline, money and the actions on it

import { loadChoices, onSessionEnded, session, support } from './api.js';
import { badge, h, table } from './dom.js';
import { formatMoney, formatTime, words } from './format.js';
import { problem, renderOrder } from './order.js';

const FILTERS = ['status', 'vertical', 'providerId', 'customerId', 'createdFrom', 'createdTo'];
const PAGE_SIZE = '20';
const LAST_SEARCH = 'orderflow.support.lastSearch';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const choices = loadChoices();
/** Bumped on every render: an answer arriving for a view the user has left is dropped. */
let renderCount = 0;

document.getElementById('sign-out').addEventListener('click', () => signOut());
onSessionEnded((failure) => signOut(`Your session ended (${failure.message}). Sign in again.`));
window.addEventListener('hashchange', () => route().then(() => window.scrollTo(0, 0)));
route();

function signOut(message) {
  session.signOut();
  // An action left open must not outlive the session (nor redraw the page when it closes).
  const dialog = document.getElementById('dialog');
  dialog.onclose = null;
  if (dialog.open) dialog.close();
  showSignIn(message);
}

/** Shows what the hash names; `refresh` redraws it in place after an action. */
async function route({ refresh = false } = {}) {
  if (!session.token()) return showSignIn();
  nav.hidden = false;
  const ticket = ++renderCount;
  const show = (node) => {
    if (ticket === renderCount) view.replaceChildren(node);
  };
  if (!refresh) show(h('p', { class: 'loading' }, 'Loading…'));
  const [path, query] = splitHash(location.hash);
  const orderId = /^\/orders\/([^/]+)$/.exec(path)?.[1];
  try {
    show(
      orderId
        ? await renderOrder(decodeURIComponent(orderId), {
            choices: await choices,
            refresh: () => route({ refresh: true }),
            backTo: sessionStorage.getItem(LAST_SEARCH) ?? '#/',
          })
        : await renderSearch(new URLSearchParams(query)),
    );
  } catch (error) {
    show(h('div', {}, h('p', {}, h('a', { href: '#/' }, '← Search')), problem(error)));
  }
}

/** `#/search?status=completed` → `['/search', 'status=completed']`. */
function splitHash(hash) {
  const text = hash.replace(/^#/, '');
  const mark = text.indexOf('?');
  return mark < 0 ? [text, ''] : [text.slice(0, mark), text.slice(mark + 1)];
}

// ---- Sign-in ----

function showSignIn(message = '') {
  renderCount += 1;
  nav.hidden = true;
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message);
  const form = h(
    'form',
    { class: 'panel signin', onsubmit: (event) => signIn(event, input, button, error) },
    h('h1', {}, 'Support console'),
    h('p', {}, 'Sign in with your support or admin API token. It is kept in this tab only.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    button,
    error,
  );
  view.replaceChildren(form);
  input.focus();
}

async function signIn(event, input, button, error) {
  event.preventDefault();
  const token = input.value.trim();
  error.textContent = '';
  if (!/^[\x21-\x7e]+$/.test(token)) {
    error.textContent = 'Sign-in failed: a token is one word of printable characters.';
    return;
  }
  button.disabled = true;
  try {
    const { body: staff } = await support.whoIs(token);
    session.signIn(token, staff.role);
    await route();
  } catch (failure) {
    error.textContent = `Sign-in failed: ${signInProblem(failure)}`;
    button.disabled = false;
    input.select();
  }
}

function signInProblem(failure) {
  if (failure.status === 401) return 'this token is not valid.';
  if (failure.status === 403) return 'this token has no support or admin role.';
  return failure.message;
}

// ---- Search ----

async function renderSearch(params) {
  const filters = searchForm(params, await choices);
  const attentionOnly = params.get('needsAttention') === 'true';
  const query = new URLSearchParams({ limit: PAGE_SIZE });
  for (const name of [...FILTERS, 'needsAttention', 'cursor']) {
    if (params.get(name)) query.set(name, params.get(name));
  }
  let found;
  try {
    found = (await support.search(query)).body;
  } catch (error) {
    if (error.status === 401) throw error;
    return h('div', { class: 'search' }, h('h1', {}, 'Orders'), filters, problem(error));
  }
  sessionStorage.setItem(LAST_SEARCH, location.hash || '#/');
  return h(
    'div',
    { class: 'search' },
    h('h1', {}, attentionOnly ? 'Orders needing attention' : 'Orders'),
    filters,
    results(found.orders, attentionOnly),
    pager(params, found.nextCursor),
  );
}

function searchForm(params, { status, vertical }) {
  const form = h(
    'form',
    { class: 'panel filters', onsubmit: (event) => search(event, form) },
    field('Status', choice('status', status, params.get('status'))),
    field('Vertical', choice('vertical', vertical, params.get('vertical'))),
    field('Provider id', textInput('providerId', params)),
    field('Customer id', textInput('customerId', params)),
    field('Created from', dateInput('createdFrom', params)),
    field('Created to', dateInput('createdTo', params)),
    h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        name: 'needsAttention',
        checked: params.get('needsAttention') === 'true',
      }),
      ' Needs attention',
    ),
    h(
      'div',
      { class: 'buttons' },
      h('a', { href: '#/search', class: 'button' }, 'Clear'),
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
    ),
  );
  return form;
}

function search(event, form) {
  event.preventDefault();
  const data = new FormData(form);
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = String(data.get(name) ?? '').trim();
    if (!value) continue;
    // datetime-local is the reader's local time; the API takes an instant.
    params.set(name, name.startsWith('created') ? new Date(value).toISOString() : value);
  }
  if (data.get('needsAttention')) params.set('needsAttention', 'true');
  const next = `#/search?${params}`;
  if (location.hash === next) route();
  else location.hash = next;
}

const field = (label, control) => h('label', { class: 'field' }, h('span', {}, label), control);

const textInput = (name, params) =>
  h('input', { name, value: params.get(name) ?? '', autocomplete: 'off', spellcheck: 'false' });

function choice(name, options, selected) {
  if (options.length === 0) return h('input', { name, value: selected ?? '' });
  return h(
    'select',
    { name },
    h('option', { value: '' }, 'any'),
    options.map((option) =>
      h('option', { value: option, selected: option === selected }, words(option)),
    ),
  );
}

function dateInput(name, params) {
  const instant = params.get(name) ? new Date(params.get(name)) : undefined;
  // The instant in the reader's time zone, as datetime-local wants it: 2030-01-01T10:00.
  const local =
    instant && !Number.isNaN(instant.getTime())
      ? new Date(instant.getTime() - instant.getTimezoneOffset() * 60_000)
          .toISOString()
          .slice(0, 16)
      : '';
  return h('input', { name, type: 'datetime-local', value: local });
}

function results(orders, attentionOnly) {
  const empty = attentionOnly ? 'No order needs attention.' : 'No orders match.';
  return h(
    'div',
    { class: 'panel results' },
    table(
      [
        {
          label: 'Order',
          cell: (o) => h('a', { href: `#/orders/${encodeURIComponent(o.orderId)}` }, o.orderId),
        },
        { label: 'Created', cell: (o) => formatTime(o.createdAt) },
        { label: 'Status', cell: (o) => badge(words(o.status), o.status) },
        { label: 'Vertical', cell: (o) => o.vertical },
        { label: 'Provider', cell: (o) => o.providerId },
        { label: 'Customer', cell: (o) => o.customerId },
        { label: 'Total', class: 'num', cell: (o) => formatMoney(o.amounts.total, o.currency) },
        {
          label: 'Attention',
          cell: (o) =>
            o.attention && [badge(words(o.attention.code), 'attention'), ' ', o.attention.reason],
        },
      ],
      orders,
      empty,
    ),
  );
}

function pager(params, nextCursor) {
  const page = (cursor) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set('cursor', cursor);
    else next.delete('cursor');
    return `#/search?${next}`;
  };
  return h(
    'nav',
    { class: 'pager' },
    params.get('cursor') && h('a', { href: page(), class: 'button' }, '« First page'),
    nextCursor && h('a', { href: page(nextCursor), class: 'button' }, 'Next page »'),
  );
}
