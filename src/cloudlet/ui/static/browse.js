// The browse page: selecting assets (click, shift-click, Ctrl/Cmd-click, Ctrl/Cmd-A), the bulk
// toolbar, double-click to open, a larger preview on hover or focus, and infinite scroll.
import { act, announce, base, confirmAction } from './api.js';

let anchor = null; // the asset a shift-click range starts from

const items = () => [...document.querySelectorAll('#assets .asset')];
const selected = () => items().filter((el) => el.classList.contains('selected'));

function setSelected(el, on) {
  el.classList.toggle('selected', on);
  el.setAttribute('aria-selected', String(on));
  const box = el.querySelector('input.pick');
  if (box) box.checked = on;
}

function updateToolbar() {
  const count = selected().length;
  document.getElementById('selected-count').textContent = `${count} selected`;
  document.querySelectorAll('#toolbar [data-act]').forEach((button) => {
    if (!['select-all', 'select-none'].includes(button.dataset.act)) button.disabled = count === 0;
  });
}

function choose(el, event, fromBox) {
  const all = items();
  if (event.shiftKey && anchor && all.includes(anchor)) {
    const [from, to] = [all.indexOf(anchor), all.indexOf(el)].sort((a, b) => a - b);
    if (!(event.ctrlKey || event.metaKey)) all.forEach((other) => setSelected(other, false));
    all.slice(from, to + 1).forEach((other) => setSelected(other, true));
  } else {
    // a checkbox has already toggled itself; a click elsewhere on the card toggles it
    setSelected(el, fromBox ? el.querySelector('input.pick').checked : !el.classList.contains('selected'));
    anchor = el;
  }
  updateToolbar();
}

function selectAll(on) {
  items().forEach((el) => setSelected(el, on));
  updateToolbar();
}

function ids() {
  return selected().map((el) => el.dataset.assetId);
}

async function runBulk(kind) {
  const assetIds = ids();
  if (!assetIds.length) return;
  if (kind === 'delete') {
    const ok = await confirmAction(`Delete ${assetIds.length} asset(s)? This cannot be undone.`);
    if (!ok) return;
    await act('delete', { asset_ids: assetIds });
    selected().forEach((el) => el.remove());
    announce(`Deleted ${assetIds.length} asset(s)`);
  } else if (kind === 'tag' || kind === 'untag') {
    const tag = document.getElementById('bulk-tag').value.trim();
    if (!tag) { announce('Type a tag first', 'error'); document.getElementById('bulk-tag').focus(); return; }
    await act('tag', { asset_ids: assetIds, tag, command: kind === 'tag' ? 'add' : 'remove' });
    announce(`${kind === 'tag' ? 'Tagged' : 'Untagged'} ${assetIds.length} asset(s) with ${tag}`);
  } else if (kind === 'move') {
    const folder = document.getElementById('bulk-folder').value.trim();
    await act('move', { asset_ids: assetIds, folder });
    selected().forEach((el) => el.remove());
    announce(`Moved ${assetIds.length} asset(s) to ${folder || 'Home'}`);
  }
  updateToolbar();
}

function initDownload() {
  const form = document.getElementById('download-form');
  form.addEventListener('submit', () => {
    form.querySelectorAll('input[name="asset_ids"]').forEach((input) => input.remove());
    ids().forEach((id) => {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'asset_ids';
      input.value = id;
      form.appendChild(input);
    });
  });
}

function initPreview() {
  const preview = document.getElementById('preview');
  const image = preview.querySelector('img');
  const show = (el) => {
    if (!el.dataset.preview) return;
    image.src = el.dataset.preview;
    image.alt = `Preview of ${el.dataset.publicId}`;
    const box = el.getBoundingClientRect();
    preview.style.top = `${window.scrollY + box.top}px`;
    const left = box.right + 12;
    preview.style.left = `${left + 320 > window.innerWidth ? Math.max(8, box.left - 332) : left}px`;
    preview.hidden = false;
  };
  const hide = () => { preview.hidden = true; };
  const assets = document.getElementById('assets');
  if (!assets) return;
  assets.addEventListener('mouseover', (event) => {
    const el = event.target.closest('.asset');
    if (el && event.target.closest('.thumb')) show(el);
  });
  assets.addEventListener('mouseout', (event) => {
    if (event.target.closest('.thumb')) hide();
  });
  assets.addEventListener('focusin', (event) => {
    const el = event.target.closest('.asset');
    if (el) show(el);
  });
  assets.addEventListener('focusout', hide);
}

async function loadMore(link) {
  if (link.dataset.loading) return;
  link.dataset.loading = '1';
  const response = await fetch(link.href, { credentials: 'same-origin' });
  const html = await response.text();
  const fragment = new DOMParser().parseFromString(html, 'text/html');
  const target = document.querySelector('#assets.items, #assets .items');
  fragment.querySelectorAll('.asset').forEach((el) => target.appendChild(document.adoptNode(el)));
  const next = fragment.getElementById('more');
  const wrap = link.parentElement;
  if (next) {
    link.href = next.getAttribute('href');
    delete link.dataset.loading;
  } else {
    wrap.remove();
  }
  announce(`${items().length} assets shown`);
}

function initMore() {
  const link = document.getElementById('more');
  if (!link) return;
  link.addEventListener('click', (event) => { event.preventDefault(); loadMore(link); });
  if ('IntersectionObserver' in window) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && document.getElementById('more')) loadMore(link);
    }, { rootMargin: '400px' });
    observer.observe(link);
  }
}

export function initBrowse() {
  const assets = document.getElementById('assets');
  if (assets) {
    assets.addEventListener('click', (event) => {
      const el = event.target.closest('.asset');
      if (!el || event.target.closest('a.open')) return;
      choose(el, event, event.target.matches('input.pick'));
    });
    assets.addEventListener('dblclick', (event) => {
      const el = event.target.closest('.asset');
      if (el) window.location.href = `${base}/asset/${encodeURIComponent(el.dataset.assetId)}`;
    });
    assets.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target.matches('input.pick')) {
        const el = event.target.closest('.asset');
        window.location.href = `${base}/asset/${encodeURIComponent(el.dataset.assetId)}`;
      }
    });
  }
  document.addEventListener('keydown', (event) => {
    const typing = event.target.closest('input, textarea, select');
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a' && !typing) {
      event.preventDefault();
      selectAll(true);
    }
    if (event.key === 'Escape' && !typing) selectAll(false);
  });
  document.getElementById('toolbar').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-act]');
    if (!button || button.dataset.act === 'download') return;
    if (button.dataset.act === 'select-all') selectAll(true);
    else if (button.dataset.act === 'select-none') selectAll(false);
    else runBulk(button.dataset.act).catch(() => {});
  });
  initDownload();
  initPreview();
  initMore();
  updateToolbar();
}
