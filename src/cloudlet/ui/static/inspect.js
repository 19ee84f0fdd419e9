// Inspect mode: the toggle, the SDK tabs (arrow keys move between them) and copy buttons.
import { act, copyText } from './api.js';

export function initInspect() {
  const toggle = document.getElementById('inspect-toggle');
  const pane = document.getElementById('inspect');
  if (!toggle || !pane) return;
  toggle.addEventListener('click', async () => {
    const on = toggle.getAttribute('aria-pressed') !== 'true';
    await act('inspect', { on });
    toggle.setAttribute('aria-pressed', String(on));
    pane.hidden = !on;
    document.body.classList.toggle('inspecting', on);
  });
  pane.addEventListener('click', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) selectTab(tab);
  });
  // the language chosen last stays chosen when the pane is drawn again
  const keep = () => showLanguage(window.sessionStorage.getItem('cloudlet-inspect-lang'));
  pane.addEventListener('inspect-updated', keep);
  keep();
  pane.addEventListener('keydown', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (!tab || !['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) return;
    const tabs = [...tab.parentElement.querySelectorAll('[role="tab"]')];
    let index = tabs.indexOf(tab);
    if (event.key === 'ArrowRight') index = (index + 1) % tabs.length;
    if (event.key === 'ArrowLeft') index = (index - 1 + tabs.length) % tabs.length;
    if (event.key === 'Home') index = 0;
    if (event.key === 'End') index = tabs.length - 1;
    selectTab(tabs[index]);
    tabs[index].focus();
    event.preventDefault();
  });
}

function selectTab(tab) {
  window.sessionStorage.setItem('cloudlet-inspect-lang', tab.dataset.lang);
  showLanguage(tab.dataset.lang);
}

function showLanguage(lang) {
  // one language for every call in the pane: choosing Go shows Go everywhere
  if (!lang || !document.querySelector(`#inspect [role="tab"][data-lang="${lang}"]`)) return;
  document.querySelectorAll('#inspect .call').forEach((call) => {
    call.querySelectorAll('[role="tab"]').forEach((other) => {
      const chosen = other.dataset.lang === lang;
      other.setAttribute('aria-selected', String(chosen));
      other.tabIndex = chosen ? 0 : -1;
    });
    call.querySelectorAll('[role="tabpanel"]').forEach((panel) => {
      panel.hidden = panel.dataset.lang !== lang;
    });
  });
}

export function initCopyButtons() {
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button.copy');
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (source) copyText(source.textContent);
  });
}
