// The Media Explorer's entry point: each page sets up what it needs. Static imports, so every
// handler is in place before the page's load event (nothing to race against).
import { initInspect, initCopyButtons } from './inspect.js';
import { initBrowse } from './browse.js';
import { initUpload } from './upload.js';
import { initAsset } from './asset.js';
import { initSettings } from './settings.js';

initInspect();
initCopyButtons();

const page = document.body.dataset.page;
if (page === 'browse') {
  initBrowse();
  initUpload();
} else if (page === 'asset') {
  initAsset();
} else if (page === 'settings') {
  initSettings();
}
document.body.dataset.ready = 'true';
