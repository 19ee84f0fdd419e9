// The Media Explorer's entry point: each page loads what it needs.
import { initInspect, initCopyButtons } from './inspect.js';

initInspect();
initCopyButtons();

const page = document.body.dataset.page;
if (page === 'browse') {
  import('./browse.js').then((m) => m.initBrowse());
  import('./upload.js').then((m) => m.initUpload());
} else if (page === 'asset') {
  import('./asset.js').then((m) => m.initAsset());
} else if (page === 'settings') {
  import('./settings.js').then((m) => m.initSettings());
}
