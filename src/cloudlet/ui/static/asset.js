// The asset page: rename, tags, context and metadata edited in place; restore a version;
// relate and unrelate; delete. Each change reloads the page so what is shown is what is stored.
import { act, announce, base, confirmAction } from './api.js';

const view = () => document.querySelector('.asset-view');
const assetId = () => view().dataset.assetId;

function reloadSoon(message) {
  announce(message);
  window.setTimeout(() => window.location.reload(), 300);
}

function onSubmit(id, handler) {
  const form = document.getElementById(id);
  if (form) form.addEventListener('submit', (event) => { event.preventDefault(); handler(form).catch(() => {}); });
}

function contextRow(key = '', value = '') {
  const tr = document.createElement('tr');
  tr.innerHTML = '<td><input aria-label="Context key" class="ctx-key"></td><td><input aria-label="Context value" class="ctx-value"></td><td><button type="button" class="remove-row" aria-label="Remove this key">×</button></td>';
  tr.querySelector('.ctx-key').value = key;
  tr.querySelector('.ctx-value').value = value;
  return tr;
}

export function initAsset() {
  onSubmit('rename-form', async () => {
    const target = document.getElementById('public-id').value.trim();
    await act('rename', { asset_id: assetId(), to_public_id: target });
    reloadSoon(`Renamed to ${target}`);
  });
  onSubmit('tag-form', async () => {
    const tag = document.getElementById('new-tag').value.trim();
    await act('tag', { asset_ids: [assetId()], tag, command: 'add' });
    reloadSoon(`Tag ${tag} added`);
  });
  document.getElementById('tag-list').addEventListener('click', async (event) => {
    const button = event.target.closest('.remove-tag');
    if (!button) return;
    await act('tag', { asset_ids: [assetId()], tag: button.dataset.tag, command: 'remove' });
    reloadSoon(`Tag ${button.dataset.tag} removed`);
  });
  const rows = document.querySelector('#context-rows tbody');
  document.getElementById('add-context-row').addEventListener('click', () => {
    const tr = contextRow();
    rows.appendChild(tr);
    tr.querySelector('input').focus();
  });
  rows.addEventListener('click', (event) => {
    const button = event.target.closest('.remove-row');
    if (button) button.closest('tr').remove();
  });
  onSubmit('context-form', async () => {
    const context = {};
    rows.querySelectorAll('tr').forEach((tr) => {
      const key = tr.querySelector('.ctx-key').value.trim();
      if (key) context[key] = tr.querySelector('.ctx-value').value;
    });
    await act('context', { asset_id: assetId(), context });
    reloadSoon('Context saved');
  });
  onSubmit('metadata-form', async () => {
    const field = document.getElementById('metadata-field').value.trim();
    const value = document.getElementById('metadata-value').value;
    await act('metadata', { asset_id: assetId(), metadata: { [field]: value } });
    reloadSoon(`Metadata ${field} set`);
  });
  document.querySelectorAll('button.restore').forEach((button) => button.addEventListener('click', async () => {
    const ok = await confirmAction('Restore this version? It becomes the current one.');
    if (!ok) return;
    await act('restore', { asset_id: assetId(), version_id: button.dataset.versionId });
    reloadSoon('Version restored');
  }));
  onSubmit('relate-form', async () => {
    const other = document.getElementById('relate-to').value.trim();
    await act('relate', { asset_id: assetId(), other });
    reloadSoon(`Related to ${other}`);
  });
  document.getElementById('related').addEventListener('click', async (event) => {
    const button = event.target.closest('.unrelate');
    if (!button) return;
    await act('unrelate', { asset_id: assetId(), other: button.dataset.other });
    reloadSoon('Relation removed');
  });
  document.getElementById('delete-asset').addEventListener('click', async () => {
    const ok = await confirmAction(`Delete ${view().dataset.publicId}? This cannot be undone.`);
    if (!ok) return;
    await act('delete', { asset_ids: [assetId()] });
    window.location.href = `${base}/`;
  });
  drawFaces();
}

function drawFaces() {
  const image = document.getElementById('large-preview');
  const faces = document.querySelectorAll('#faces li');
  if (!image || !faces.length) return;
  const place = () => {
    const scale = image.clientWidth / Number(image.dataset.width || image.naturalWidth || 1);
    image.parentElement.querySelectorAll('.face-box').forEach((el) => el.remove());
    faces.forEach((face) => {
      const [x, y, w, h] = face.dataset.box.split(',').map(Number);
      const box = document.createElement('span');
      box.className = 'face-box';
      box.style.left = `${x * scale}px`;
      box.style.top = `${y * scale}px`;
      box.style.width = `${w * scale}px`;
      box.style.height = `${h * scale}px`;
      image.parentElement.appendChild(box);
    });
  };
  if (image.complete) place(); else image.addEventListener('load', place);
  window.addEventListener('resize', place);
}
