// Loading a snapshot: one embedded in the page (the CLI's report), ?snapshot=<url>,
// a file picked, or a file dropped anywhere on the page.
import { readSnapshot } from './snapshot.mjs';
import { render, showEmpty, showError } from './view.mjs';

function show(text, source) {
  let snapshot;
  try {
    snapshot = readSnapshot(text);
  } catch (e) {
    if (e.name !== 'SnapshotError') throw e;
    showError(source, e.message);
    return;
  }
  render(snapshot, source);
}

async function openFile(file) {
  show(await file.text(), file.name);
}

async function openUrl(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    showError(url, `could not fetch it (${e.message})`);
    return;
  }
  if (!response.ok) {
    showError(url, `could not fetch it (HTTP ${response.status} ${response.statusText})`);
    return;
  }
  show(await response.text(), url);
}

function startInspector() {
  for (const input of document.querySelectorAll('input[type=file]')) {
    input.addEventListener('change', () => {
      if (input.files.length > 0) openFile(input.files[0]);
      input.value = '';
    });
  }
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) document.body.classList.remove('dragging');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    document.body.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file !== undefined) openFile(file);
  });

  const embedded = document.getElementById('tensormem-snapshot');
  if (embedded !== null) return show(embedded.textContent, embedded.dataset.source ?? 'embedded snapshot');
  const url = new URLSearchParams(location.search).get('snapshot');
  if (url !== null && url !== '') return openUrl(url);
  return showEmpty();
}

startInspector();
