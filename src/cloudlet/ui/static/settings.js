// The settings page: switches, the notification URL, presets, named transformations, the
// API secret and bulk delete by criteria (previewed, then confirmed).
import { act, announce, confirmAction } from './api.js';

function reloadSoon(message) {
  announce(message);
  window.setTimeout(() => window.location.reload(), 300);
}

function onSubmit(id, handler) {
  const form = document.getElementById(id);
  form.addEventListener('submit', (event) => { event.preventDefault(); handler(form).catch(() => {}); });
}

function criteria(form) {
  const data = new FormData(form);
  const body = {};
  for (const [key, value] of data.entries()) if (String(value).trim()) body[key] = String(value).trim();
  return body;
}

export function initSettings() {
  document.querySelectorAll('input.setting').forEach((box) => box.addEventListener('change', async () => {
    try {
      await act('setting', { key: box.dataset.key, value: box.checked });
      announce(`${box.dataset.key} is now ${box.checked ? 'on' : 'off'}`);
    } catch (error) {
      box.checked = !box.checked;
    }
  }));
  onSubmit('notification-form', async () => {
    await act('setting', { key: 'notification_url', value: document.getElementById('notification-url').value.trim() });
    announce('Notification URL saved');
  });
  document.getElementById('rotate-secret').addEventListener('click', async () => {
    const ok = await confirmAction('Make a new API secret? The current one stops working at once.');
    if (!ok) return;
    const data = await act('rotate_secret', {});
    document.getElementById('api-secret').textContent = data.result.api_secret;
    announce('New API secret made: copy it now');
  });
  onSubmit('preset-form', async () => {
    await act('preset_create', {
      name: document.getElementById('preset-name').value.trim(),
      folder: document.getElementById('preset-folder').value.trim(),
      tags: document.getElementById('preset-tags').value.trim(),
      unsigned: document.getElementById('preset-unsigned').checked,
    });
    reloadSoon('Preset created');
  });
  document.getElementById('presets').addEventListener('click', async (event) => {
    const button = event.target.closest('.delete-preset');
    if (!button || !(await confirmAction(`Delete the preset ${button.dataset.name}?`))) return;
    await act('preset_delete', { name: button.dataset.name });
    reloadSoon('Preset deleted');
  });
  onSubmit('named-form', async () => {
    await act('named_create', {
      name: document.getElementById('named-name').value.trim(),
      definition: document.getElementById('named-definition').value.trim(),
    });
    reloadSoon('Named transformation created');
  });
  document.getElementById('named').addEventListener('click', async (event) => {
    const button = event.target.closest('.delete-named');
    if (!button || !(await confirmAction(`Delete t_${button.dataset.name}?`))) return;
    await act('named_delete', { name: button.dataset.name });
    reloadSoon('Named transformation deleted');
  });
  const bulk = document.getElementById('bulk-delete-form');
  const count = document.getElementById('bulk-count');
  const go = document.getElementById('bulk-delete');
  bulk.addEventListener('input', () => { go.disabled = true; count.textContent = ''; });
  document.getElementById('bulk-preview').addEventListener('click', async () => {
    const data = await act('bulk_delete_preview', criteria(bulk)).catch(() => null);
    if (!data) return;
    count.textContent = `${data.result.count} asset(s) match`;
    go.disabled = data.result.count === 0;
    go.dataset.count = data.result.count;
  });
  onSubmit('bulk-delete-form', async () => {
    if (!(await confirmAction(`Delete ${go.dataset.count} asset(s)? This cannot be undone.`))) return;
    await act('bulk_delete', criteria(bulk));
    count.textContent = `Deleted ${go.dataset.count} asset(s)`;
    go.disabled = true;
    announce(count.textContent);
  });
}
