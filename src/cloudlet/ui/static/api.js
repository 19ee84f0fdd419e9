// Talking to the console's actions: JSON in, JSON out, the CSRF token in a header, and the
// Inspect pane refreshed from every answer.
const body = document.body;
export const base = body.dataset.base;
export const csrf = body.dataset.csrf;

export function announce(text, kind = 'ok') {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.dataset.kind = kind;
}

export function refreshInspect(html) {
  const pane = document.getElementById('inspect');
  if (pane && typeof html === 'string') {
    pane.innerHTML = html; // rendered (and escaped) by the server
    pane.dispatchEvent(new CustomEvent('inspect-updated'));
  }
}

export async function act(action, payload = {}) {
  const response = await fetch(`${base}/api/${encodeURIComponent(action)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(payload),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = { error: { message: `HTTP ${response.status}` } };
  }
  if (!response.ok || data.error) {
    const message = (data.error && data.error.message) || `HTTP ${response.status}`;
    announce(message, 'error');
    throw new Error(message);
  }
  refreshInspect(data.inspect_html);
  return data;
}

export function confirmAction(text) {
  const dialog = document.getElementById('confirm');
  if (!dialog || typeof dialog.showModal !== 'function') return Promise.resolve(window.confirm(text));
  document.getElementById('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
    document.getElementById('confirm-ok').focus();
  });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  announce('Copied');
}
