// Building the page without HTML strings: every piece of data goes in as text, never markup.

/**
 * `h('a', { href: '#/', class: 'brand', onclick: go }, 'Home')`: an element with attributes,
 * listeners (`on…`) and children (strings become text nodes; null, undefined and false are
 * skipped, so `condition && node` reads naturally).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children.flat().filter((child) => child !== null && child !== undefined && child !== false),
  );
  return element;
}

/** A table from columns `{label, cell(row) → string | Node, class?}`; `empty` when no rows. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((column) => h('th', { scope: 'col' }, column.label)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          columns.map((column) => h('td', { class: column.class }, column.cell(row) ?? '')),
        ),
      ),
    ),
  );
}

/** A small coloured label: `badge('refused', 'bad')`. */
export function badge(text, tone = text) {
  return h('span', { class: `badge tone-${String(tone).replace(/[^a-z0-9_-]/gi, '')}` }, text);
}

/** A `<dl>` of label → value pairs, skipping empty values. */
export function facts(pairs, className = 'facts') {
  const shown = pairs.filter(([, value]) => value !== undefined && value !== null && value !== '');
  return h(
    'dl',
    { class: className },
    shown.map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))),
  );
}

/** A titled panel of the page. */
export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}
