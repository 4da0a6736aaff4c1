// The password rules shown live as a person types a new password: each rule says whether it is met yet. Used by the
// account center and, as an external script (the pages' CSP allows no inline one), by the reset and sign-up pages,
// where it attaches to every `input[data-password-rules]` whose attribute holds the rules as JSON.

const utf8Bytes = (text) => new TextEncoder().encode(text).length;

/**
 * Watches `input` (and `repeat`, when given) and keeps `list` up to date: one item per rule, marked met or not in
 * words too (not by colour alone). `texts` gives the words: min(n), max(n), same, met, unmet.
 */
export function watchPasswordRules(input, list, rules, texts, repeat) {
  const items = [
    { text: texts.min(rules.minLength), met: () => [...input.value].length >= rules.minLength },
    { text: texts.max(rules.maxBytes), met: () => input.value.length > 0 && utf8Bytes(input.value) <= rules.maxBytes },
    ...(repeat ? [{ text: texts.same, met: () => input.value.length > 0 && input.value === repeat.value }] : []),
  ].map((rule) => {
    const state = document.createElement('span');
    state.className = 'rule-state';
    const li = document.createElement('li');
    li.append(document.createTextNode(`${rule.text}: `), state);
    list.append(li);
    return { ...rule, li, state };
  });
  const update = () => {
    for (const item of items) {
      const met = item.met();
      item.li.className = met ? 'rule met' : 'rule';
      item.state.textContent = met ? texts.met : texts.unmet;
    }
  };
  input.addEventListener('input', update);
  repeat?.addEventListener('input', update);
  update();
  return update;
}

const PAGE_TEXTS = {
  min: (n) => `at least ${n} characters`,
  max: (n) => `no more than ${n} bytes (fewer with accented letters)`,
  same: 'both entries match',
  met: 'done',
  unmet: 'not yet',
};

for (const input of document.querySelectorAll('input[data-password-rules]')) {
  const list = document.getElementById(input.dataset.rulesList ?? '');
  if (!list) continue;
  try {
    watchPasswordRules(input, list, JSON.parse(input.dataset.passwordRules), PAGE_TEXTS);
  } catch {
    // Rules that do not parse leave the static description as it is.
  }
}
