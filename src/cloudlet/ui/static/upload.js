// Uploads: drag and drop or the file picker, several files at once, one progress bar each,
// into the folder shown, with the tags typed.
import { announce, base, csrf, refreshInspect } from './api.js';

function row(file) {
  const item = document.createElement('li');
  const label = document.createElement('span');
  label.textContent = file.name;
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute('aria-label', `Uploading ${file.name}`);
  const state = document.createElement('span');
  state.className = 'state';
  item.append(label, bar, state);
  document.getElementById('upload-progress').appendChild(item);
  return { item, bar, state };
}

function send(file, folder, tags) {
  const view = row(file);
  return new Promise((resolve) => {
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('folder', folder);
    form.append('tags', tags);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${base}/upload`);
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) view.bar.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener('load', () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch (error) { data = {}; }
      if (xhr.status === 200 && !data.error) {
        view.bar.value = 100;
        view.state.textContent = 'done';
        view.item.dataset.state = 'done';
        refreshInspect(data.inspect_html);
        resolve(data.results[0]);
      } else {
        view.state.textContent = (data.error && data.error.message) || `failed (HTTP ${xhr.status})`;
        view.item.dataset.state = 'error';
        resolve(null);
      }
    });
    xhr.addEventListener('error', () => {
      view.state.textContent = 'failed';
      view.item.dataset.state = 'error';
      resolve(null);
    });
    xhr.send(form);
  });
}

async function uploadAll(files) {
  const box = document.getElementById('upload');
  const folder = box.dataset.folder || '';
  const tags = document.getElementById('upload-tags').value;
  const results = await Promise.all([...files].map((file) => send(file, folder, tags)));
  const done = results.filter(Boolean).length;
  announce(`Uploaded ${done} of ${files.length} file(s)`, done === files.length ? 'ok' : 'error');
  if (done) {
    const reload = document.createElement('a');
    reload.href = window.location.href;
    reload.textContent = 'Show the new assets';
    reload.className = 'button';
    reload.id = 'show-new';
    document.getElementById('upload-progress').after(reload);
  }
}

export function initUpload() {
  const zone = document.getElementById('dropzone');
  const input = document.getElementById('file-input');
  if (!zone || !input) return;
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    if (files.length) uploadAll(files);
  });
  ['dragenter', 'dragover'].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add('over');
  }));
  ['dragleave', 'drop'].forEach((name) => zone.addEventListener(name, () => zone.classList.remove('over')));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) uploadAll(event.dataTransfer.files);
  });
}
