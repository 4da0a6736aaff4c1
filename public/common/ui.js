// The browser apps' page furniture: headings, notices with the request id, confirmation and one-time secret dialogs,
// tables, paging. Built with dom.js only.
import { h, replace } from './dom.js';

let appName = 'Gatehouse admin';

/** The name after each page title in the browser's tab (`Users · Gatehouse admin`). */
export function setAppName(name) {
  appName = name;
}

/** A page: its h1 (focused after navigation so screen readers announce it) and content. */
export function page(title, ...content) {
  document.title = `${title} · ${appName}`;
  return [h('h1', { tabindex: '-1', id: 'page-title' }, title), ...content];
}

/** A message box; errors carry the API's request id so support can find the log line. */
export function notice(kind, text, requestId) {
  return h(
    'div',
    { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    text,
    requestId ? h('span', { class: 'rid' }, `Request id: ${requestId}`) : null,
  );
}

export function errorNotice(err) {
  return notice('error', err?.message ?? String(err), err?.requestId);
}

/** An area for the outcome of actions on a page. */
export function outcomeArea() {
  const area = h('div', { class: 'outcome', 'aria-live': 'polite' });
  return {
    el: area,
    ok: (text) => replace(area, notice('ok', text)),
    error: (err) => replace(area, errorNotice(err)),
    clear: () => replace(area),
  };
}

/** A button running `action`; errors land in `outcome`. Disabled while running. */
export function actionButton(label, action, { outcome, kind = 'secondary', confirm } = {}) {
  const button = h('button', {
    type: 'button',
    class: kind,
    onclick: async () => {
      if (confirm && !(await confirmDialog(confirm.title, confirm.text, confirm.action ?? label))) return;
      button.disabled = true;
      try {
        outcome?.clear();
        await action();
      } catch (err) {
        if (outcome) outcome.error(err);
        else throw err;
      } finally {
        button.disabled = false;
      }
    },
  });
  button.textContent = label;
  return button;
}

/** Opens a modal dialog holding `content`; it leaves the page when closed. */
export function modal(...content) {
  const dialog = h('dialog', { 'aria-modal': 'true' }, ...content);
  document.body.appendChild(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  return dialog;
}

/** Asks before a destructive action; resolves true when confirmed. Escape cancels. */
export function confirmDialog(title, text, actionLabel) {
  return new Promise((resolve) => {
    const titleId = `d${Date.now()}`;
    let answer = false;
    const dialog = modal(
      h('h2', { id: titleId }, title),
      h('p', null, text),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => ((answer = true), dialog.close()) }, actionLabel),
        h('button', { type: 'button', class: 'secondary', autofocus: true, onclick: () => dialog.close() }, 'Cancel'),
      ),
    );
    dialog.setAttribute('aria-labelledby', titleId);
    dialog.addEventListener('close', () => resolve(answer));
  });
}

/**
 * Shows a secret once, with a copy button. Closing the dialog removes it from the page and from memory: the API
 * never returns it again and the console keeps no copy.
 */
export function showSecretOnce(title, label, secret, explanation) {
  const titleId = `s${Date.now()}`;
  const code = h('code', { class: 'secret', id: `${titleId}-value` }, secret);
  const copied = h('p', { class: 'hint', role: 'status' });
  const dialog = modal(
    h('h2', { id: titleId }, title),
    h('p', null, explanation),
    h('p', null, h('strong', null, label)),
    code,
    copied,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(code.textContent);
              copied.textContent = 'Copied to the clipboard.';
            } catch {
              copied.textContent = 'Copying is not allowed here: select the text and copy it yourself.';
            }
          },
        },
        'Copy',
      ),
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'I have saved it'),
    ),
  );
  dialog.setAttribute('aria-labelledby', titleId);
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve()));
}

/** A table with a caption; `rows` are arrays of cells (strings or nodes). */
export function table(caption, headers, rows, empty = 'Nothing to show.') {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'div',
    // Focusable and named, so a table wider than a phone's screen can be scrolled from the keyboard.
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      null,
      h('caption', null, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((cells) =>
          h(
            'tr',
            null,
            cells.map((cell) => h('td', null, cell)),
          ),
        ),
      ),
    ),
  );
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

/** Properties as a description list: [[label, value], …]. */
export function props(pairs) {
  return h(
    'dl',
    { class: 'props' },
    pairs.filter(Boolean).map(([label, value]) => [h('dt', null, label), h('dd', null, value ?? '—')]),
  );
}

/** Cursor paging links: "First page" when not on it, "Next page" when the API says there is one. */
export function pager(base, query, nextCursor) {
  const link = (label, cursor) => {
    const params = new URLSearchParams(Object.entries({ ...query, cursor }).filter(([, v]) => v));
    const qs = params.toString();
    return h('a', { class: 'button secondary', href: `#${base}${qs ? `?${qs}` : ''}` }, label);
  };
  return h(
    'nav',
    { class: 'actions', 'aria-label': 'Pages' },
    query.cursor ? link('First page', undefined) : null,
    nextCursor ? link('Next page', nextCursor) : null,
  );
}

/** Marks the side navigation's link to `path` as the current page. */
export function markCurrentNavLink(path) {
  for (const link of document.querySelectorAll('nav.side a')) {
    if (link.getAttribute('href') === `#${path}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/**
 * Shows the page `load` builds in `main`: a loading line first, then the page, or an error page while the person is
 * still signed in (`signedIn`). A page the person navigated away from meanwhile is dropped. Once shown, `main` is
 * marked rendered (tests wait for it) and focus moves to the page's heading for screen readers.
 */
export async function showPage(main, load, { loading, somethingWrong, signedIn }) {
  const hash = location.hash;
  main.removeAttribute('data-rendered');
  replace(main, h('p', { role: 'status' }, loading));
  try {
    const content = await load();
    if (hash !== location.hash) return;
    replace(main, content);
  } catch (err) {
    if (!signedIn()) return;
    replace(main, page(somethingWrong, errorNotice(err)));
  }
  main.setAttribute('data-rendered', hash || '#/');
  document.getElementById('page-title')?.focus();
}
