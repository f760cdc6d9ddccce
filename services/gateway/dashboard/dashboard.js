// The werf-operator dashboard: one table of bundles kept live by the gateway's
// Server-Sent Events (/v1/bundles:watch). The stream is read with fetch() rather than
// EventSource so that, when the gateway requires auth, the bearer token travels in
// the Authorization header and never in a URL.
'use strict';

const PHASES = {
  BUNDLE_PHASE_SYNCED: { label: 'Synced', css: 'phase-synced' },
  BUNDLE_PHASE_SYNCING: { label: 'Syncing', css: 'phase-syncing' },
  BUNDLE_PHASE_FAILED: { label: 'Failed', css: 'phase-failed' },
  BUNDLE_PHASE_UNSPECIFIED: { label: 'Unknown', css: 'phase-unknown' },
};
const RETRY_MS = [1000, 2000, 5000, 10000];
const TOKEN_KEY = 'werf-gateway-token';

// A token handed over in the URL's fragment (`/#token=...`, what `make run` prints) is taken
// into sessionStorage and removed from the address bar at once. A fragment is never sent to the
// server, so it reaches neither the gateway's nor a proxy's access log.
function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  fragment.delete('token');
  const url = new URL(location.href);
  url.hash = fragment.toString();
  history.replaceState(null, '', url);
}
takeTokenFromFragment();

const state = {
  bundles: new Map(),    // "namespace/name" -> Bundle (protobuf JSON)
  collecting: null,      // a snapshot being received, swapped in at SYNCED
  revision: '',          // last revision seen, to resume after a reconnect
  namespace: new URLSearchParams(location.search).get('namespace') || '',
  search: '',
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  changed: new Set(),
  abort: null,
  retries: 0,
  renderQueued: false,
};

const $ = (id) => document.getElementById(id);
const keyOf = (b) => `${b.namespace}/${b.name}`;
const phaseOf = (b) => PHASES[b.phase || 'BUNDLE_PHASE_UNSPECIFIED'] || PHASES.BUNDLE_PHASE_UNSPECIFIED;

function authHeaders() {
  return state.token ? { Authorization: `Bearer ${state.token}` } : {};
}

function setConnection(kind, text) {
  const el = $('connection');
  el.className = `connection ${kind}`;
  el.textContent = text;
}

function relativeTime(iso) {
  if (!iso) return '';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 60) return `${Math.max(seconds, 0)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

function cell(text, className, title) {
  const td = document.createElement('td');
  td.textContent = text || '';
  if (className) td.className = className;
  if (title) td.title = title;
  return td;
}

function row(bundle) {
  const tr = document.createElement('tr');
  tr.dataset.key = keyOf(bundle);
  tr.dataset.phase = phaseOf(bundle).label.toLowerCase();
  if (state.changed.has(tr.dataset.key)) tr.className = 'changed';

  tr.append(cell(bundle.namespace, 'namespace'));
  tr.append(cell(bundle.name, 'name', bundle.spec && bundle.spec.repository));

  const phase = document.createElement('td');
  phase.className = 'phase';
  const badge = document.createElement('span');
  badge.className = `badge ${phaseOf(bundle).css}`;
  badge.textContent = phaseOf(bundle).label;
  phase.append(badge);
  if (bundle.spec && bundle.spec.suspend) {
    const suspended = document.createElement('span');
    suspended.className = 'badge suspended';
    suspended.textContent = 'suspended';
    phase.append(suspended);
  }
  tr.append(phase);

  tr.append(cell(bundle.lastAppliedTag, 'tag applied'));
  const pending = bundle.latestTag && bundle.latestTag !== bundle.lastAppliedTag;
  tr.append(cell(bundle.latestTag, pending ? 'tag latest pending' : 'tag latest',
                 pending ? 'newer than the applied tag' : ''));
  tr.append(cell(relativeTime(bundle.lastSyncTime), 'sync', bundle.lastSyncTime));
  tr.append(cell(String(bundle.consecutiveFailures || 0), 'number failures'));
  const job = bundle.activeJob;
  tr.append(cell(job ? `${job.name} (${job.tag})` : '', 'job'));
  tr.append(cell(bundle.lastErrorMessage, 'error', bundle.lastErrorMessage));
  tr.append(historyCell(bundle));
  return tr;
}

const RESULTS = {
  CONVERGE_RESULT_SUCCEEDED: 'Succeeded',
  CONVERGE_RESULT_FAILED: 'Failed',
  CONVERGE_RESULT_VANISHED: 'Vanished',
};

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// "3 completed, 1 failed, 0 canceled" from a history entry with a deploy report.
function operations(entry) {
  if (!entry.reportStatus) return 'no deploy report';
  return `${entry.completedOperations || 0} completed, ${entry.failedOperations || 0} failed, ` +
         `${entry.canceledOperations || 0} canceled`;
}

// One converge of the bundle's history: when, tag, outcome, werf's report, failed operations
// and, for a failure, the end of the Job's log.
function historyEntry(entry) {
  const result = RESULTS[entry.result] || 'Unknown';
  const li = element('li', `outcome result-${result.toLowerCase()}`);
  li.dataset.job = entry.jobName || '';
  const head = element('div', 'outcome-head');
  head.append(element('span', `badge phase-${result === 'Succeeded' ? 'synced' : 'failed'}`, result));
  head.append(element('span', 'tag', entry.tag || ''));
  if (entry.driftCorrection) head.append(element('span', 'badge drift', 'drift correction'));
  const facts = [];
  if (entry.revision && entry.revision !== '0') facts.push(`revision ${entry.revision}`);
  facts.push(operations(entry));
  if (entry.duration) facts.push(`took ${entry.duration}`);
  if (entry.finishedAt) facts.push(relativeTime(entry.finishedAt));
  head.append(element('span', 'facts', facts.join(' · ')));
  li.append(head);
  li.append(element('div', 'job', entry.jobName || ''));
  if (entry.message) li.append(element('div', 'message', entry.message));
  if ((entry.failedOperationNames || []).length) {
    const failed = element('ul', 'failed-operations');
    for (const name of entry.failedOperationNames) failed.append(element('li', '', name));
    li.append(failed);
  }
  if (entry.logTail) li.append(element('pre', 'log-tail', entry.logTail));
  return li;
}

// The history cell: the last outcome in one line, the whole history when opened. A <details>
// element, so it works without script state and keeps its content in the DOM.
function historyCell(bundle) {
  const td = element('td', 'history');
  const history = bundle.history || [];
  if (!history.length) return td;
  const details = document.createElement('details');
  const last = history[0];
  details.append(element('summary', '',
                         `${RESULTS[last.result] || 'Unknown'} ${last.tag || ''}: ${operations(last)}`));
  const list = element('ol', 'outcomes');
  for (const entry of history) list.append(historyEntry(entry));
  details.append(list);
  td.append(details);
  return td;
}

function matchesSearch(bundle) {
  if (!state.search) return true;
  const haystack = [bundle.namespace, bundle.name, bundle.lastAppliedTag, bundle.latestTag,
                    bundle.lastErrorMessage].join(' ').toLowerCase();
  return haystack.includes(state.search);
}

function render() {
  state.renderQueued = false;
  const sorted = [...state.bundles.values()].sort((a, b) =>
    a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : (a.namespace < b.namespace ? -1 : 1));
  const shown = sorted.filter(matchesSearch);
  const body = document.createElement('tbody');
  for (const bundle of shown) body.append(row(bundle));
  $('bundles').tBodies[0].replaceWith(body);
  state.changed.clear();

  $('empty').hidden = shown.length > 0;
  $('shown').textContent = `${shown.length} of ${sorted.length} bundles`;
  $('revision').textContent = state.revision ? `revision ${state.revision}` : '';

  const counts = { Synced: 0, Syncing: 0, Failed: 0, Unknown: 0 };
  for (const bundle of sorted) counts[phaseOf(bundle).label] += 1;
  const list = document.createElement('ul');
  list.id = 'counts';
  list.className = 'counts';
  for (const [label, value] of Object.entries(counts)) {
    const li = document.createElement('li');
    li.className = `count-${label.toLowerCase()}`;
    li.textContent = label;
    const number = document.createElement('span');
    number.className = 'value';
    number.textContent = String(value);
    li.append(number);
    list.append(li);
  }
  $('counts').replaceWith(list);
  addNamespaces(sorted.map((b) => b.namespace));
}

function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(render);
}

function addNamespaces(namespaces) {
  const select = $('namespace');
  const known = new Set([...select.options].map((o) => o.value));
  for (const ns of namespaces) {
    if (known.has(ns)) continue;
    known.add(ns);
    select.append(new Option(ns, ns));
  }
  select.value = state.namespace;
}

function apply(event) {
  if (event.revision) state.revision = event.revision;
  const target = state.collecting || state.bundles;
  switch (event.type) {
    case 'WATCH_EVENT_TYPE_ADDED':
    case 'WATCH_EVENT_TYPE_MODIFIED':
      target.set(keyOf(event.bundle), event.bundle);
      if (!state.collecting) state.changed.add(keyOf(event.bundle));
      break;
    case 'WATCH_EVENT_TYPE_DELETED':
      target.delete(keyOf(event.bundle));
      break;
    case 'WATCH_EVENT_TYPE_RESYNC':
      state.collecting = new Map();
      return;
    case 'WATCH_EVENT_TYPE_SYNCED':
      if (state.collecting) {
        state.bundles = state.collecting;
        state.collecting = null;
      }
      setConnection('live', 'live');
      state.retries = 0;
      // A completed snapshot is drawn at once, not on the next animation frame: a
      // background tab (or a headless browser) may not paint frames for a while, and
      // the table must never claim "live" while still empty.
      render();
      return;
    case 'WATCH_EVENT_TYPE_HEARTBEAT':
      break;
    default:
      return;
  }
  if (!state.collecting) scheduleRender();
}

// Splits the stream into SSE events ("field: value" lines, a blank line ends one).
function dispatch(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    else if (line.startsWith('event:')) type = line.slice(6).trim();
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (type === 'error') {
    // The token expired or access was revoked: what this page may show has changed, so
    // drop what it shows and start over (a resumed watch would keep the revoked rows).
    if (payload.status === 'UNAUTHENTICATED' || payload.status === 'PERMISSION_DENIED') {
      state.revision = '';
      state.bundles = new Map();
      state.collecting = null;
      render();
    }
    throw new Error(payload.message || 'the gateway ended the watch');
  }
  apply(payload);
}

function askForToken(reason) {
  $('auth-reason').textContent = reason;
  $('auth').hidden = false;
  setConnection('error', 'not authorised');
}

async function watch() {
  const params = new URLSearchParams();
  if (state.namespace) params.set('namespace', state.namespace);
  if (state.revision) params.set('resumeRevision', state.revision);
  else state.collecting = new Map();
  state.abort = new AbortController();
  const response = await fetch(`/v1/bundles:watch?${params}`, {
    headers: { Accept: 'text/event-stream', ...authHeaders() },
    signal: state.abort.signal,
    cache: 'no-store',
  });
  if (response.status === 401 || response.status === 403) {
    const error = await response.json().catch(() => ({}));
    askForToken(error.message || 'Not authorised.');
    return false;
  }
  if (!response.ok) {
    const error = await response.json().catch(() => ({}));
    throw new Error(error.message || `HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
  return true;
}

async function run() {
  for (;;) {
    try {
      setConnection(state.retries ? 'reconnecting' : 'connecting',
                    state.retries ? 'reconnecting' : 'connecting');
      if (!(await watch())) return;  // waiting for a token
    } catch (error) {
      if (error.name === 'AbortError') return;
      setConnection('reconnecting', `reconnecting: ${error.message}`);
    }
    const delay = RETRY_MS[Math.min(state.retries, RETRY_MS.length - 1)];
    state.retries += 1;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function restart() {
  if (state.abort) state.abort.abort();
  state.revision = '';
  state.bundles = new Map();
  state.collecting = null;
  state.retries = 0;
  render();
  run();
}

async function loadNamespaces() {
  try {
    const response = await fetch('/v1/summary', { headers: authHeaders(), cache: 'no-store' });
    if (!response.ok) return;
    const summary = await response.json();
    addNamespaces((summary.namespaces || []).map((n) => n.namespace));
  } catch (_) {
    // The namespace list is a convenience; the table does not depend on it.
  }
}

function init() {
  $('namespace').addEventListener('change', (event) => {
    state.namespace = event.target.value;
    const url = new URL(location.href);
    if (state.namespace) url.searchParams.set('namespace', state.namespace);
    else url.searchParams.delete('namespace');
    history.replaceState(null, '', url);
    restart();
  });
  $('search').addEventListener('input', (event) => {
    state.search = event.target.value.trim().toLowerCase();
    scheduleRender();
  });
  $('auth').addEventListener('submit', (event) => {
    event.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('auth').hidden = true;
    loadNamespaces();
    restart();
  });
  setInterval(scheduleRender, 10000);  // keeps "last sync" ages current
  addNamespaces(state.namespace ? [state.namespace] : []);
  loadNamespaces();
  run();
}

init();
