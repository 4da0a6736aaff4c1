// DOM building for Gatehouse's browser apps: every text goes in as a text node and every attribute through
// setAttribute, so nothing a server or user wrote is ever parsed as HTML (no innerHTML anywhere).

const BOOLEAN_ATTRS = new Set(['disabled', 'required', 'checked', 'selected', 'hidden', 'open', 'readonly', 'multiple', 'autofocus']);

/** h('button', { class: 'primary', onclick: fn }, 'Save') */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'style' || key === 'innerHTML') throw new Error(`${key} is not allowed`);
    else if (key === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) el.value = String(value);
    else if (BOOLEAN_ATTRS.has(key)) el.setAttribute(key, '');
    else if (/^[a-z][a-z0-9-]*$/.test(key)) el.setAttribute(key, String(value));
    else throw new Error(`bad attribute ${key}`);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldIds = 0;

/** A labelled form field; `hint` is tied to the input with aria-describedby. */
export function field(label, input, hint) {
  const id = input.id || `f${(fieldIds += 1)}`;
  input.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

/** A checkbox with its label after it. */
export function checkbox(label, attrs) {
  const id = `f${(fieldIds += 1)}`;
  return h('div', { class: 'check' }, h('input', { type: 'checkbox', id, ...attrs }), h('label', { for: id }, label));
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** Reads a form's named fields as strings (checkboxes as booleans, multi-selects and repeated names as arrays). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') {
      if (el.dataset.multi) {
        values[el.name] ??= [];
        if (el.checked) values[el.name].push(el.value);
      } else values[el.name] = el.checked;
    } else if (el.type === 'radio') {
      if (el.checked) values[el.name] = el.value;
    } else values[el.name] = el.value;
  }
  return values;
}
