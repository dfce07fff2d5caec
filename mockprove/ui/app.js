// mockprove dashboard: a plain ES module, no framework and no build step,
// built on the control API (/_mock/*) only. A server-sent event stream
// (/_mock/ui/events) says which topics changed; the page then refetches them
// and updates the DOM in place, so clicks, focus and text selection survive.

const token = new URLSearchParams(location.search).get('token') || '';
const $ = (sel, root = document) => root.querySelector(sel);

// ---------------------------------------------------------------------------
// The control API.

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = 'GET', body, contentType } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] = contentType || 'application/json';
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 0, 'mockprove does not answer (is it running?)');
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!resp.ok) {
    const msg = data && typeof data === 'object' && data.message ? data.message : `${method} ${path}: HTTP ${resp.status}`;
    throw new ApiError(resp.status, data && data.code, msg);
  }
  return data;
}

// list reads a control listing. It asks for ?limit= and accepts either a
// JSON array or a page object ({items: [...], next|nextCursor: "..."}),
// following the cursor for a few pages.
async function list(path, limit = 500, maxPages = 10) {
  const out = [];
  let cursor = '';
  let withLimit = true;
  for (let page = 0; page < maxPages; page++) {
    const q = [];
    if (withLimit) q.push('limit=' + limit);
    if (cursor) q.push('cursor=' + encodeURIComponent(cursor));
    const url = q.length ? path + (path.includes('?') ? '&' : '?') + q.join('&') : path;
    let body;
    try {
      body = await api(url);
    } catch (e) {
      if (e.status === 400 && withLimit && /limit/.test(e.message)) { // a listing without pagination
        withLimit = false;
        page--;
        continue;
      }
      throw e;
    }
    if (Array.isArray(body)) return out.concat(body);
    const items = body && (body.items || body.data);
    if (Array.isArray(items)) out.push(...items);
    cursor = body && (body.nextCursor || body.next || body.cursor);
    if (!cursor || typeof cursor !== 'string') break;
  }
  return out;
}

// ---------------------------------------------------------------------------
// DOM helpers.

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function setClass(el, name, on) {
  if (el.classList.contains(name) !== on) el.classList.toggle(name, on);
}

// reconcile makes parent's children the nodes for items, in order: nodes are
// found by key and kept (update refreshes them in place), new ones are made,
// the others removed. Nodes already in place are never moved.
function reconcile(parent, items, key, make, update) {
  const old = new Map();
  for (const el of parent.children) old.set(el.dataset.key, el);
  let prev = null;
  for (const item of items) {
    const k = key(item);
    let el = old.get(k);
    if (el) {
      old.delete(k);
      if (update) update(el, item);
    } else {
      el = make(item);
      el.dataset.key = k;
    }
    const ref = prev ? prev.nextSibling : parent.firstChild;
    if (el !== ref) parent.insertBefore(el, ref);
    prev = el;
  }
  for (const el of old.values()) el.remove();
}

let toastTimer;
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2500);
}

function showError(e) {
  const el = $('#error');
  let msg = e.message || String(e);
  if (e.status === 401) msg = 'The control API refused the token: open this page as /_mock/ui/?token=<control token>. (' + msg + ')';
  setText(el, msg);
  el.hidden = false;
}

function hideError() {
  $('#error').hidden = true;
}

// ---------------------------------------------------------------------------
// Time: mockprove's virtual clock, shown in UTC.

const clock = { now: null, frozen: true, offset: '0s', at: 0 };

function setClock(c) {
  clock.now = Date.parse(c.now);
  clock.frozen = !!c.frozen;
  clock.offset = c.offset || '0s';
  clock.at = performance.now();
  paintClock();
}

function virtualNow() {
  if (clock.now === null) return null;
  return clock.frozen ? clock.now : clock.now + (performance.now() - clock.at);
}

function fmtTime(t) {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) return '';
  return new Date(ms).toISOString().slice(11, 19);
}

function fmtDateTime(t) {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) return '';
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + ' UTC';
}

function clockMode() {
  if (clock.frozen) return 'frozen';
  return clock.offset === '0s' ? 'real time' : 'real time +' + clock.offset;
}

function paintClock() {
  const now = virtualNow();
  if (now === null) return;
  const text = fmtDateTime(now);
  setText($('#clock-now'), text);
  $('#clock-now').setAttribute('datetime', new Date(now).toISOString());
  setText($('#clock-mode'), clockMode());
  setText($('#ctl-now'), text);
  setText($('#ctl-mode'), clock.frozen
    ? 'The clock is frozen: it moves only when advanced.'
    : `The clock follows real time, offset by +${clock.offset}.`);
  markExpiry();
}

// A running clock moves by itself: repaint it and the expiry marks.
setInterval(() => { if (!clock.frozen) paintClock(); }, 1000);

// ---------------------------------------------------------------------------
// Views and routing (#/phone, #/phone/<number>, #/flows, #/flows/<id>,
// #/personas, #/personas/new, #/personas/edit/<phone>, #/webhooks, #/keys,
// #/controls).

const titles = { phone: 'Phone', flows: 'Flows', flow: 'Flow', personas: 'Personas', persona: 'Persona', webhooks: 'Webhooks', keys: 'Prove Keys', controls: 'Controls' };
const nav = { phone: 'phone', flows: 'flows', flow: 'flows', personas: 'personas', persona: 'personas', webhooks: 'webhooks', keys: 'keys', controls: 'controls' };
const state = { view: '', arg: '', sms: [], personas: [] };

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [head = 'phone', ...rest] = parts;
  switch (head) {
    case 'phone': return { view: 'phone', arg: rest.join('/') };
    case 'flows': return rest.length ? { view: 'flow', arg: rest.join('/') } : { view: 'flows', arg: '' };
    case 'personas':
      if (rest[0] === 'new') return { view: 'persona', arg: '' };
      if (rest[0] === 'edit' && rest[1]) return { view: 'persona', arg: rest.slice(1).join('/') };
      return { view: 'personas', arg: '' };
    case 'webhooks': return { view: 'webhooks', arg: '' };
    case 'keys': return { view: 'keys', arg: '' };
    case 'controls': return { view: 'controls', arg: '' };
  }
  return { view: 'phone', arg: '' };
}

function route(userNavigation) {
  const { view, arg } = parseRoute();
  const changed = view !== state.view || arg !== state.arg;
  state.view = view;
  state.arg = arg;
  for (const sec of document.querySelectorAll('main > .view')) sec.hidden = sec.id !== 'view-' + view;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav[view]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = titles[view] + ' · mockprove dashboard';
  if (!changed) return;
  hideError();
  if (view === 'flow') resetFlowView();
  if (view === 'persona') openPersonaForm(arg);
  if (view === 'phone') $('#phone-filter').value = arg;
  refresh(allTopics);
  if (userNavigation) {
    const h1 = $('#view-' + view + ' h1');
    h1.tabIndex = -1;
    h1.focus();
  }
}

// ---------------------------------------------------------------------------
// Refreshing: what each view needs, fetched again when its topics change.

const allTopics = ['clock', 'sms', 'flows', 'journal', 'personas', 'faults', 'webhooks'];
let inflight = null;
const pending = new Set();

function refresh(topics) {
  for (const t of topics) pending.add(t);
  if (!inflight) {
    inflight = (async () => {
      while (pending.size) {
        const ts = new Set(pending);
        pending.clear();
        try {
          await load(ts);
        } catch (e) {
          showError(e);
        }
      }
    })().finally(() => { inflight = null; });
  }
  return inflight;
}

async function load(ts) {
  const v = state.view;
  const jobs = [];
  if (ts.has('clock')) jobs.push(api('/_mock/clock').then(setClock));
  if (v === 'phone' && ts.has('sms')) jobs.push(list('/_mock/sms').then(renderSMS));
  if (v === 'flows' && ts.has('flows')) jobs.push(list('/_mock/sessions').then(renderFlows));
  if (v === 'flow' && (ts.has('flows') || ts.has('journal'))) jobs.push(loadFlow(state.arg));
  if ((v === 'personas' || v === 'controls') && ts.has('personas')) jobs.push(list('/_mock/personas').then(renderPersonas));
  if (v === 'controls' && ts.has('faults')) jobs.push(list('/_mock/faults').then(renderFaults));
  if (v === 'webhooks' && ts.has('webhooks')) {
    jobs.push(api('/_mock/webhooks').then(renderWebhookURLs));
    jobs.push(api('/_mock/webhooks/deliveries').then(renderDeliveries));
  }
  // Identities change with a journaled API call, or a delivery (DISCONNECT deactivates).
  if (v === 'webhooks' && (ts.has('journal') || ts.has('webhooks'))) jobs.push(list('/_mock/identities').then(renderIdentities));
  // Keys change with a journaled device call or revoke, a possession check (flows), or the clock (12 months).
  if (v === 'keys' && (ts.has('journal') || ts.has('flows') || ts.has('clock'))) jobs.push(list('/_mock/keys').then(renderKeys));
  await Promise.all(jobs);
  if (jobs.length) hideError();
}

// ---------------------------------------------------------------------------
// Phone.

function smsKey(m) {
  return m.id + '|' + m.correlationId;
}

function renderSMS(all) {
  state.sms = all;
  const phones = [...new Set(all.map((m) => m.phone))].sort();
  if (state.arg && !phones.includes(state.arg)) phones.unshift(state.arg);
  const sel = $('#phone-filter');
  const want = ['', ...phones];
  const have = [...sel.options].map((o) => o.value);
  if (want.join('\n') !== have.join('\n')) {
    const value = sel.value;
    reconcile(sel, want, (p) => 'o' + p, (p) => h('option', { value: p, text: p || 'All numbers' }));
    sel.value = value;
  }
  const msgs = all
    .filter((m) => !state.arg || m.phone === state.arg)
    .sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt) || seq(b.id) - seq(a.id));
  $('#sms-empty').hidden = msgs.length > 0;
  reconcile($('#sms-list'), msgs, smsKey, smsItem);
  markExpiry();
}

function seq(id) {
  const n = parseInt(String(id).replace(/\D+/g, ''), 10);
  return Number.isNaN(n) ? 0 : n;
}

function smsItem(m) {
  const kind = m.kind === 'otp' ? 'One-time code' : m.kind === 'instantlink' ? 'Instant Link' : m.kind;
  const status = h('span', { class: 'badge ok sms-status', text: 'Valid' });
  const li = h('li', { class: 'sms', dataset: { expires: String(Date.parse(m.expiresAt)) } },
    h('div', { class: 'sms-meta' },
      h('span', {}, 'To ', h('strong', { text: m.phone }), ' · ' + kind),
      h('span', {}, `Sent ${fmtTime(m.sentAt)} · expires ${fmtTime(m.expiresAt)} `, status)),
    h('p', { class: 'sms-body', text: m.body }));
  if (m.code) {
    li.append(h('div', { class: 'sms-action' },
      h('span', { class: 'otp-code' }, m.code),
      h('button', { type: 'button', class: 'copy', 'aria-label': 'Copy code ' + m.code, onclick: (ev) => copy(m.code, ev.currentTarget) }, 'Copy code')));
  }
  if (m.link) {
    li.append(h('div', { class: 'sms-action' },
      h('a', { class: 'button primary open-link', href: m.link, target: '_blank', rel: 'noopener noreferrer' }, 'Open Instant Link'),
      h('span', { class: 'sub', text: 'opens in a new tab, as a tap on the phone would' })));
  }
  if (m.correlationId) {
    li.append(h('p', { class: 'sub' }, 'Flow ', h('a', { href: '#/flows/' + encodeURIComponent(m.correlationId), class: 'mono', text: m.correlationId })));
  }
  return li;
}

function markExpiry() {
  const now = virtualNow();
  if (now === null) return;
  for (const li of $('#sms-list').children) {
    const expired = now >= Number(li.dataset.expires);
    setClass(li, 'expired', expired);
    const badge = li.querySelector('.sms-status');
    setText(badge, expired ? 'Expired' : 'Valid');
    setClass(badge, 'ok', !expired);
  }
  for (const td of document.querySelectorAll('#flows-body td[data-expires]')) {
    setText(td.querySelector('.sub'), now >= Number(td.dataset.expires) ? 'expired' : '');
  }
}

async function copy(text, btn) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context (mockprove on a LAN address): the old way.
    const ta = h('textarea', { class: 'sr-only', 'aria-hidden': 'true' }, text);
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  setText(btn, 'Copied ✓');
  setTimeout(() => setText(btn, 'Copy code'), 1500);
  toast(`Code ${text} copied`);
}

$('#phone-filter').addEventListener('change', (ev) => {
  const p = ev.target.value;
  location.hash = p ? '#/phone/' + encodeURIComponent(p) : '#/phone';
});

// ---------------------------------------------------------------------------
// Flows.

// Unify sessions and possession-era Verify sessions are flows too: their
// product says which API opened them, and their type is the possessionType.
const productAPI = { identity: '/v3/start', prefill: '/v3/start', unify: '/v3/unify', verify: '/v3/verify' };
const methodLabels = { otp: 'OTP', instantlink: 'Instant Link', mobileauth: 'Mobile Auth', provekey: 'Prove Key' };

function typeLabel(product) {
  return product === 'unify' || product === 'verify' ? 'possessionType' : 'flowType';
}

const stateClass = { completed: 'ok', failed: 'bad', started: 'info', validated: 'info', challenged: 'info' };

function badge(text, cls) {
  return h('span', { class: 'badge ' + (cls || ''), text });
}

function renderFlows(sessions) {
  const rows = [...sessions].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.correlationId < b.correlationId ? 1 : -1));
  $('#flows-empty').hidden = rows.length > 0;
  $('#flows-table').hidden = rows.length === 0;
  reconcile($('#flows-body'), rows, (f) => f.correlationId, flowRow, updateFlowRow);
  markExpiry();
}

function flowRow(f) {
  const tr = h('tr', {},
    h('td', {}, h('a', { class: 'mono', href: '#/flows/' + encodeURIComponent(f.correlationId), title: f.correlationId, text: f.correlationId.slice(0, 8) + '…' })),
    h('td', {}, h('span', { class: 'c-name' }), h('span', { class: 'sub c-phone' })),
    h('td', { class: 'c-client' }),
    h('td', {}, h('span', { class: 'c-product' }), h('span', { class: 'sub c-api' })),
    h('td', {}, h('span', { class: 'c-type' }), h('span', { class: 'sub mono c-type-kind' })),
    h('td', {}, badge('', 'c-state')),
    h('td', { class: 'c-poss' }),
    h('td', { class: 'nowrap c-created' }),
    h('td', { class: 'nowrap c-expires', dataset: { expires: String(Date.parse(f.expiresAt)) } }, h('span', { class: 'c-exp' }), h('span', { class: 'sub' })));
  updateFlowRow(tr, f);
  return tr;
}

function updateFlowRow(tr, f) {
  setText(tr.querySelector('.c-name'), f.persona || '(no persona)');
  setText(tr.querySelector('.c-phone'), f.phone);
  setText(tr.querySelector('.c-client'), f.client);
  setText(tr.querySelector('.c-product'), f.product);
  setText(tr.querySelector('.c-api'), productAPI[f.product] || '');
  setText(tr.querySelector('.c-type'), f.flowType);
  setText(tr.querySelector('.c-type-kind'), typeLabel(f.product));
  const st = tr.querySelector('.c-state');
  setText(st, f.state);
  const cls = 'badge c-state ' + (stateClass[f.state] || '');
  if (st.className !== cls) st.className = cls;
  setText(tr.querySelector('.c-poss'), f.possessionPassed ? 'passed' : '—');
  setText(tr.querySelector('.c-created'), fmtTime(f.createdAt));
  setText(tr.querySelector('.c-exp'), fmtTime(f.expiresAt));
}

// A flow's page.

let flowKey = '';

function resetFlowView() {
  flowKey = '';
  $('#flow-summary').replaceChildren();
  $('#flow-timeline').replaceChildren();
  $('#flow-journal').replaceChildren();
  setText($('#flow-title'), 'Flow ' + state.arg);
  setText($('#flow-state'), '');
  $('#flow-missing').hidden = true;
  $('#flow-content').hidden = false;
  $('#flow-actions').hidden = true;
}

async function loadFlow(id) {
  const [sess, journal] = await Promise.all([
    api('/_mock/sessions/' + encodeURIComponent(id)).catch((e) => { if (e.status === 404) return null; throw e; }),
    list('/_mock/journal?correlationId=' + encodeURIComponent(id), 1000),
  ]);
  if (state.view !== 'flow' || state.arg !== id) return;
  $('#flow-missing').hidden = !!sess;
  $('#flow-content').hidden = !sess;
  if (!sess) return;
  const st = $('#flow-state');
  setText(st, sess.state);
  st.className = 'badge ' + (stateClass[sess.state] || '');
  const p = sess.possession || {};
  const summary = [
    ['Correlation ID', sess.correlationId],
    ['Persona', `${sess.persona || '(none)'} · ${sess.phone}`],
    ['Client', sess.client],
    ['Product', `${sess.product}` + (productAPI[sess.product] ? ` (${productAPI[sess.product]})` : '')],
    [typeLabel(sess.product) === 'flowType' ? 'Flow type' : 'Possession type', sess.flowType],
    ['State', sess.state],
    ['Next', Object.keys(sess.next || {}).join(', ') || '—'],
    ['Possession', [methodLabels[p.method] || p.method || 'not started', p.passed ? 'passed' : p.failed ? 'failed' + (p.reason ? ': ' + p.reason : '') : 'pending'].join(' · ')],
    ['Created', fmtDateTime(sess.createdAt)],
    ['Expires', fmtDateTime(sess.expiresAt)],
  ];
  const key = JSON.stringify(summary);
  if (key !== flowKey) { // rebuilt only when it changed: a selection in it survives updates
    flowKey = key;
    $('#flow-summary').replaceChildren(...summary.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  }
  $('#flow-actions').hidden = !(p.link && !p.passed && !p.failed);

  // The timeline: steps, possession attempts and faults hit, by time. On a
  // frozen clock many share an instant: the journal's order breaks the tie
  // (a step is the next journal entry of its path, an attempt the next entry
  // whose rule names it, such as link.clicked for link-clicked).
  const events = [];
  const used = new Set();
  const rankOf = (match) => {
    const e = journal.find((x) => !used.has(x.id) && match(x));
    if (!e) return Number.MAX_SAFE_INTEGER;
    used.add(e.id);
    return e.id;
  };
  (sess.steps || []).forEach((s, i) => events.push({
    key: 's' + i, at: s.at, cls: 'step', rank: rankOf((x) => x.step === s.step || x.path === s.step),
    text: `${s.step} → ${s.status}` + (s.success === undefined ? '' : s.success ? ', success' : ', success: false') + (s.rule ? ` (${s.rule})` : ''),
  }));
  (p.attempts || []).forEach((a, i) => events.push({
    key: 'a' + i, at: a.at, cls: 'possession',
    rank: rankOf((x) => x.rule && (x.rule === a.kind.replace('-', '.') || x.rule.endsWith('.' + a.kind))),
    text: `possession: ${a.kind}` + (a.detail ? ` (${a.detail})` : ''),
  }));
  for (const e of journal) {
    if (e.fault) events.push({ key: 'f' + e.id, at: e.time, cls: 'fault', rank: e.id - 0.5, text: `fault ${e.fault} hit ${e.method} ${e.path} → ${e.status || 'dropped'}` });
  }
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.rank - b.rank);
  reconcile($('#flow-timeline'), events, (e) => e.key,
    (e) => h('li', { class: e.cls }, h('time', { datetime: e.at, text: fmtTime(e.at) }), e.text));

  reconcile($('#flow-journal'), journal, (e) => 'j' + e.id + '|' + e.time, journalItem);
}

function journalItem(e) {
  const ok = e.status >= 200 && e.status < 400;
  return h('li', {}, h('details', {},
    h('summary', {},
      h('time', { datetime: e.time, text: fmtTime(e.time) }),
      h('span', { class: 'path', text: `${e.method} ${e.path}` }),
      badge(String(e.status || 'dropped'), ok ? 'ok' : 'bad'),
      e.rule ? h('span', { class: 'sub', text: 'rule ' + e.rule }) : null,
      e.fault ? badge('fault ' + e.fault, 'warn') : null),
    h('h4', { text: 'Request' }), h('pre', { text: pretty(e.request) }),
    h('h4', { text: 'Response' }), h('pre', { text: pretty(e.response) })));
}

function pretty(v) {
  if (v === undefined || v === null) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

$('#flow-click').addEventListener('click', async () => {
  try {
    const r = await api('/_mock/link/click', { method: 'POST', body: { correlationId: state.arg } });
    toast('Instant Link clicked' + (r && r.location ? ': the phone goes to ' + r.location : ''));
    refresh(['flows', 'journal']);
  } catch (e) {
    showError(e);
  }
});

// ---------------------------------------------------------------------------
// Personas.

function behaviour(p) {
  const out = [];
  const poss = p.possession || {};
  if (p.shortTerm) out.push(['short-term', 'info']);
  for (const [step, v] of Object.entries(p.outcomes || {})) if (v === 'fail') out.push([step + ' fails', 'bad']);
  for (const e of p.errors || []) out.push([`${e.step} → ${e.status}/${e.code}`, 'bad']);
  if (poss.otp && poss.otp.code) out.push([poss.otp.code === 'random' ? 'random OTP' : 'OTP ' + poss.otp.code, '']);
  if (poss.otp && poss.otp.wrongAttempts) out.push([`mistypes the OTP ×${poss.otp.wrongAttempts}`, 'warn']);
  const il = poss.instantLink || {};
  if (il.click === 'auto') out.push(['clicks the link after ' + il.clickAfter, '']);
  if (il.click === 'never') out.push(['never clicks the link', 'warn']);
  if (poss.mobileAuth && poss.mobileAuth !== 'off') out.push(['Mobile Auth ' + poss.mobileAuth, poss.mobileAuth === 'pass' ? 'ok' : 'warn']);
  if (poss.rejectPhone) out.push(['number rejected', 'bad']);
  if (!out.length) out.push(['ordinary', 'ok']);
  return out;
}

function renderPersonas(ps) {
  state.personas = ps;
  reconcile($('#personas-body'), ps, (p) => p.phone + '|' + JSON.stringify(p), (p) => h('tr', {},
    h('td', { class: 'mono nowrap', text: p.phone }),
    h('td', {}, h('span', { text: p.name }), p.description ? h('span', { class: 'sub', text: p.description }) : null),
    h('td', { text: (p.products || []).join(', ') }),
    h('td', {}, h('div', { class: 'behaviour' }, behaviour(p).map(([t, c]) => badge(t, c)))),
    h('td', {}, h('a', { class: 'button', href: '#/personas/edit/' + encodeURIComponent(p.phone), 'aria-label': 'Edit ' + p.name }, 'Edit'))));
  // The fault form's persona choice.
  const sel = $('#f-persona');
  const want = [{ phone: '', name: 'any persona' }, ...ps];
  const value = sel.value;
  reconcile(sel, want, (p) => 'o' + p.phone + '|' + p.name,
    (p) => h('option', { value: p.phone, text: p.phone ? `${p.phone} · ${p.name}` : p.name }));
  sel.value = value;
}

// The persona form: a few fields and the raw persona (JSON or YAML). The
// fields edit the raw persona while it is JSON.

const newPersona = {
  phone: '2009990099',
  name: 'Test Person',
  products: ['identity'],
  individual: { firstName: 'Test', lastName: 'Person', dob: '1990-01-01', ssn: '900000001' },
  possession: { otp: { code: '1234' } },
};

const form = $('#persona-form');
const raw = $('#p-raw');
const fieldsets = $('#persona-fields');

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function setPath(obj, path, value) {
  const keys = path.split('.');
  const chain = [obj];
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (!o[k] || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
    chain.push(o);
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
  // Drop objects left empty (possession.otp: {} → gone).
  for (let i = keys.length - 2; i >= 0; i--) {
    if (Object.keys(chain[i + 1]).length === 0) delete chain[i][keys[i]];
  }
}

function fieldsToObj(obj) {
  for (const el of fieldsets.querySelectorAll('[data-path]')) {
    const path = el.dataset.path;
    if (path === 'products') continue;
    if (el.type === 'checkbox') setPath(obj, path, el.checked ? true : undefined);
    else setPath(obj, path, el.value.trim() === '' ? undefined : el.value.trim());
  }
  obj.products = [...fieldsets.querySelectorAll('input[name="products"]:checked')].map((el) => el.value);
  return obj;
}

function objToFields(obj) {
  for (const el of fieldsets.querySelectorAll('[data-path]')) {
    const path = el.dataset.path;
    if (path === 'products') el.checked = (obj.products || []).includes(el.value);
    else if (el.type === 'checkbox') el.checked = !!getPath(obj, path);
    else el.value = getPath(obj, path) ?? '';
  }
}

function parseRaw() {
  try {
    const v = JSON.parse(raw.value);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function syncFieldsState() {
  const obj = parseRaw();
  const yaml = obj === null && raw.value.trim() !== '';
  fieldsets.disabled = yaml;
  $('#persona-fields-note').hidden = !yaml;
  if (obj) objToFields(obj);
}

async function openPersonaForm(phone) {
  clearErrors(form);
  setText($('#persona-title'), phone ? 'Edit persona ' + phone : 'Add a persona');
  let p = structuredClone(newPersona);
  if (phone) {
    try {
      p = await api('/_mock/personas/' + encodeURIComponent(phone));
    } catch (e) {
      showError(e);
    }
  }
  raw.value = JSON.stringify(p, null, 2);
  syncFieldsState();
}

fieldsets.addEventListener('input', () => {
  const obj = parseRaw();
  if (obj) raw.value = JSON.stringify(fieldsToObj(obj), null, 2);
});
raw.addEventListener('input', syncFieldsState);

function clearErrors(f) {
  for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of f.querySelectorAll('.field-error')) el.textContent = '';
  const banner = f.querySelector('.banner');
  if (banner) banner.hidden = true;
}

// showFieldErrors puts the API's message next to the field it names
// ("field 'possession.otp.code' has an invalid format"), or next to
// fallback, and in the form's banner.
function showFieldErrors(f, e, fallback) {
  const banner = f.querySelector('.banner');
  if (banner) {
    banner.textContent = e.message;
    banner.hidden = false;
  }
  const m = /field '([^']+)'/.exec(e.message);
  let el = null;
  if (m) {
    let path = m[1].replace(/\[\d+\]/g, '');
    while (path && !el) {
      el = [...f.querySelectorAll('[data-path]')].find((x) => x.dataset.path === path && !x.disabled) || null;
      path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    }
  }
  el = el || fallback;
  if (!el) return;
  el.setAttribute('aria-invalid', 'true');
  const errEl = document.getElementById(el.name === 'products' ? 'p-products-err' : el.id + '-err');
  if (errEl) errEl.textContent = e.message.replace(/^.*?(field ')/, '$1');
  el.focus();
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(form);
  const obj = parseRaw();
  let phone;
  let body;
  let contentType = 'application/json';
  if (obj) {
    fieldsToObj(obj);
    raw.value = JSON.stringify(obj, null, 2);
    phone = obj.phone;
    body = JSON.stringify(obj);
  } else {
    const m = /^phone:\s*["']?([+\d]+)["']?\s*$/m.exec(raw.value);
    phone = m && m[1];
    body = raw.value;
    contentType = 'application/yaml';
  }
  if (!phone) {
    showFieldErrors(form, new Error("field 'phone' is missing"), obj ? $('#p-phone') : raw);
    return;
  }
  try {
    await api('/_mock/personas/' + encodeURIComponent(phone), { method: 'PUT', body, contentType });
    toast(`Persona ${phone} saved`);
    location.hash = '#/personas';
  } catch (e) {
    showFieldErrors(form, e, raw);
  }
});

// ---------------------------------------------------------------------------
// Webhooks: each client's URL, a form that triggers an event, the deliveries.

const whState = { urls: {}, identities: [] };

function renderWebhookURLs(urls) {
  whState.urls = urls || {};
  const rows = Object.keys(whState.urls).sort().map((client) => ({ client, url: whState.urls[client] }));
  $('#wh-empty').hidden = rows.length > 0;
  $('#wh-table').hidden = rows.length === 0;
  reconcile($('#wh-body'), rows, (r) => r.client + '|' + r.url, (r) => h('tr', {},
    h('td', { class: 'mono nowrap', text: r.client }),
    h('td', { class: 'mono wrap', text: r.url }),
    h('td', {}, h('button', { type: 'button', 'aria-label': 'Remove the webhook of ' + r.client, onclick: () => removeWebhook(r.client) }, 'Remove'))));
  fillClientChoices();
}

// The clients the forms offer: those with a webhook or an enrolled identity.
function fillClientChoices() {
  const withIds = [...new Set(whState.identities.map((i) => i.client))];
  const known = [...new Set([...Object.keys(whState.urls), ...withIds])].sort();
  reconcile($('#wh-clients'), known, (c) => 'o' + c, (c) => h('option', { value: c }));
  const sel = $('#ev-client');
  const value = sel.value;
  const want = withIds.length ? withIds.sort() : [''];
  const label = (c) => c ? c + (whState.urls[c] ? '' : ' (no webhook)') : 'No client has enrolled an identity';
  reconcile(sel, want, (c) => 'o' + c, (c) => h('option', { value: c, text: label(c) }));
  for (const o of sel.options) setText(o, label(o.value));
  if (want.includes(value)) sel.value = value;
  fillIdentityChoices();
}

function renderIdentities(ids) {
  whState.identities = ids;
  const none = ids.length === 0;
  $('#ev-send').disabled = none;
  setText($('#ev-identity-hint'), none
    ? 'No enrolled identity yet: enrol one with POST /v3/identity.'
    : 'Deactivated identities are listed but cannot be picked.');
  fillClientChoices();
}

function fillIdentityChoices() {
  const client = $('#ev-client').value;
  const sel = $('#ev-identity');
  const value = sel.value;
  const ids = whState.identities.filter((i) => i.client === client);
  // Without an active identity, a first option says so (and stays chosen).
  const items = ids.some((i) => i.active) ? ids
    : [{ none: ids.length ? 'No active identity of this client' : 'No enrolled identity' }, ...ids];
  reconcile(sel, items, (i) => i.none ? 'none|' + i.none : 'o' + i.proveId + '|' + i.active, (i) => i.none
    ? h('option', { value: '', text: i.none })
    : h('option', {
      value: i.proveId, disabled: !i.active,
      text: `${i.phoneNumber} · ${i.proveId.slice(0, 8)}…` + (i.clientCustomerId ? ` · ${i.clientCustomerId}` : '') + (i.active ? '' : ' (deactivated)'),
    }));
  const pick = ids.find((i) => i.proveId === value && i.active) || ids.find((i) => i.active);
  sel.value = pick ? pick.proveId : '';
}

$('#ev-client').addEventListener('change', fillIdentityChoices);

async function removeWebhook(client) {
  try {
    await api('/_mock/webhooks/' + encodeURIComponent(client), { method: 'DELETE' });
    toast(`The webhook of ${client} is removed`);
    refresh(['webhooks']);
  } catch (e) {
    showError(e);
  }
}

const whForm = $('#wh-form');
whForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(whForm);
  const client = $('#wh-client').value.trim();
  if (!client) {
    showFieldErrors(whForm, new Error("field 'client' is missing"), $('#wh-client'));
    return;
  }
  const body = { url: $('#wh-url').value.trim(), secret: $('#wh-secret').value };
  try {
    await api('/_mock/webhooks/' + encodeURIComponent(client), { method: 'PUT', body });
    toast(`Events of ${client} now go to ${body.url}`);
    $('#wh-secret').value = '';
    refresh(['webhooks']);
  } catch (e) {
    // An unknown client answers 404 without naming a field: it is the client's.
    showFieldErrors(whForm, e, e.status === 404 ? $('#wh-client') : null);
  }
});

const evForm = $('#ev-form');
evForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(evForm);
  const body = { client: $('#ev-client').value, proveId: $('#ev-identity').value, type: $('#ev-type').value };
  if (!body.client) {
    showFieldErrors(evForm, new Error("field 'client' is missing: no client has enrolled an identity yet"), $('#ev-client'));
    return;
  }
  if (!body.proveId) {
    showFieldErrors(evForm, new Error("field 'proveId' is missing: pick an active identity"), $('#ev-identity'));
    return;
  }
  const btn = $('#ev-send');
  btn.disabled = true;
  setText($('#ev-sending'), 'Sending… (up to three attempts)');
  try {
    const d = await api('/_mock/webhooks/events', { method: 'POST', body });
    toast(`${body.type} ${d.delivered ? 'delivered' : 'not delivered'} after ${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`);
    refresh(['webhooks']);
  } catch (e) {
    // 404: no such identity; 409: deactivated. Both are the identity's.
    showFieldErrors(evForm, e, e.status === 404 || e.status === 409 ? $('#ev-identity') : null);
  } finally {
    btn.disabled = whState.identities.length === 0;
    setText($('#ev-sending'), '');
  }
});

function renderDeliveries(all) {
  const ds = [...all].reverse(); // newest first
  $('#deliveries-empty').hidden = ds.length > 0;
  reconcile($('#deliveries-list'), ds, (d) => d.id + '|' + d.attempts.length, deliveryItem);
}

function deliveryItem(d) {
  const e = d.events[0] || {};
  return h('li', { class: 'delivery card' + (d.delivered ? '' : ' failed') },
    h('div', { class: 'delivery-head' },
      h('strong', { class: 'mono c-type', text: e.type || '' }),
      badge(d.delivered ? 'Delivered' : 'Not delivered', d.delivered ? 'ok c-delivered' : 'bad c-delivered'),
      h('span', { class: 'sub' }, 'Identity ', h('span', { class: 'mono', text: e.phoneNumber || '' }), ` · ${d.client} · sent ${fmtTime(e.sentAt)}`)),
    h('p', { class: 'sub' }, 'To ', h('span', { class: 'mono', text: d.url }), ' · X-Correlation-ID ', h('span', { class: 'mono', text: d.id })),
    h('table', { class: 'grid attempts' },
      h('caption', { class: 'sr-only', text: `Attempts of delivery ${d.id}` }),
      h('thead', {}, h('tr', {}, ['Attempt', 'Time', 'Status', 'Fault', 'Error', 'Duration'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, d.attempts.map((a, i) => h('tr', { class: 'attempt' },
        h('td', { class: 'num', text: String(i + 1) }),
        h('td', { class: 'nowrap' }, h('time', { datetime: a.at, text: fmtTime(a.at) })),
        h('td', {}, badge(a.status ? String(a.status) : 'no answer', a.status >= 200 && a.status < 300 ? 'ok c-status' : 'bad c-status')),
        h('td', { class: 'c-fault' }, a.fault ? badge(a.fault, 'warn') : '—'),
        h('td', { class: 'wrap', text: a.error || '—' }),
        h('td', { class: 'num', text: (a.durationMs < 10 ? a.durationMs.toFixed(1) : String(Math.round(a.durationMs))) + ' ms' }))))));
}

// ---------------------------------------------------------------------------
// Prove Keys.

function keyState(k) {
  if (k.revokedAt) return ['inactive', 'bad', 'revoked ' + fmtDateTime(k.revokedAt)];
  if (!k.bound) return ['pending', 'warn', 'until its session\'s possession check passes'];
  if (!k.active) return ['inactive', 'bad', 'unused for 12 months'];
  return ['active', 'ok', ''];
}

function renderKeys(keys) {
  const rows = [...keys].reverse(); // newest first
  $('#keys-empty').hidden = rows.length > 0;
  $('#keys-table').hidden = rows.length === 0;
  reconcile($('#keys-body'), rows, (k) => k.deviceId, (k) => {
    const tr = h('tr', {},
      h('td', {}, h('span', { class: 'mono c-device', text: k.deviceId }), h('span', { class: 'sub c-name', text: k.deviceName || '' })),
      h('td', { class: 'mono nowrap c-phone' }),
      h('td', { class: 'mono c-prove' }),
      h('td', { class: 'nowrap c-client', text: k.client }),
      h('td', {}, badge('', 'c-state'), h('span', { class: 'sub c-why' })),
      h('td', { class: 'nowrap', text: fmtDateTime(k.createdAt) }),
      h('td', { class: 'nowrap c-used' }));
    updateKey(tr, k);
    return tr;
  }, updateKey);
}

function updateKey(tr, k) {
  setText(tr.querySelector('.c-phone'), k.phoneNumber || '—');
  setText(tr.querySelector('.c-prove'), k.proveId || '—');
  const [st, cls, why] = keyState(k);
  const b = tr.querySelector('.c-state');
  setText(b, st);
  if (b.className !== 'badge c-state ' + cls) b.className = 'badge c-state ' + cls;
  setText(tr.querySelector('.c-why'), why);
  setText(tr.querySelector('.c-used'), fmtDateTime(k.lastUsedAt));
}

// ---------------------------------------------------------------------------
// Controls: clock, reset, faults.

for (const btn of document.querySelectorAll('[data-advance]')) {
  btn.addEventListener('click', () => advance(btn.dataset.advance));
}

async function advance(duration, f) {
  try {
    setClock(await api('/_mock/clock/advance', { method: 'POST', body: { duration } }));
    toast('Clock advanced by ' + duration);
    refresh(['sms', 'flows']);
    return true;
  } catch (e) {
    if (f) showFieldErrors(f, e, $('#advance-custom'));
    else showError(e);
    return false;
  }
}

$('#advance-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.currentTarget;
  clearErrors(f);
  const d = $('#advance-custom').value.trim();
  if (await advance(d, f)) $('#advance-custom').value = '';
});

$('#reset-start').addEventListener('click', () => {
  $('#reset-ask').hidden = true;
  $('#reset-confirm').hidden = false;
  $('#reset-no').focus();
});
$('#reset-no').addEventListener('click', () => {
  $('#reset-confirm').hidden = true;
  $('#reset-ask').hidden = false;
  $('#reset-start').focus();
});
$('#reset-yes').addEventListener('click', async () => {
  try {
    await api('/_mock/reset', { method: 'POST' });
    toast('mockprove is back in its start-up state');
    refresh(allTopics);
  } catch (e) {
    showError(e);
  }
  $('#reset-confirm').hidden = true;
  $('#reset-ask').hidden = false;
  $('#reset-start').focus();
});

// The steps a fault may name (faultSteps in mockprove/faults.go; TestDashboardFaultSteps keeps them equal).
const faultSteps = ['/token', '/v3/start', '/v3/validate', '/v3/challenge', '/v3/complete',
  '/v1/client/mobile/otp/start', '/v1/client/mobile/otp/finish', '/v1/client/mobile/otp/error',
  '/v1/client/mobile/instantlink/start', '/v1/client/mobile/instantlink/error',
  '/v1/client/mobile/instant/start', '/v1/client/mobile/instant/finish',
  '/v1/client/mobile/instant/error', '/v1/client/status', '/v1/link', '/v3/verify',
  '/v3/verify/batch', '/v3/verify-status', '/v3/discover', '/v3/fetch', '/v3/identity',
  '/v3/identity/batch', 'GET /v3/identity', 'GET /v3/identity/{proveId}',
  'DELETE /v3/identity/{proveId}', '/v3/identity/{proveId}/activate',
  '/v3/identity/{proveId}/deactivate', '/v3/identity/{mobileNumber}/lookup', '/v3/unify',
  '/v3/unify-status', '/v3/unify-bind', '/v3/device/revoke', '/v1/client/device/passive/register',
  '/v1/client/device/passive/verify', '/v1/client/device/passive/error', '/v1/client/challenge',
  '/v1/client/device/unregister', 'webhook'];
$('#f-step').append(...faultSteps.map((s) => h('option', { value: s, text: s })));

const faultForm = $('#fault-form');
faultForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(faultForm);
  const spec = { step: $('#f-step').value, kind: $('#f-kind').value };
  for (const [id, key] of [['#f-status', 'status'], ['#f-code', 'code'], ['#f-count', 'count']]) {
    const v = $(id).value.trim();
    if (v === '') continue;
    if (!/^\d+$/.test(v)) {
      showFieldErrors(faultForm, new Error(`field '${key}' must be a whole number`), $(id));
      return;
    }
    if (key !== 'status' || spec.kind === 'status') spec[key] = Number(v);
  }
  for (const [id, key] of [['#f-delay', 'delay'], ['#f-persona', 'persona'], ['#f-client', 'client']]) {
    const v = $(id).value.trim();
    if (v !== '') spec[key] = v;
  }
  try {
    const f = await api('/_mock/faults', { method: 'POST', body: spec });
    toast(`Fault ${f.id} armed on ${f.step}`);
    refresh(['faults']);
  } catch (e) {
    showFieldErrors(faultForm, e, null);
  }
});

function renderFaults(fs) {
  $('#faults-empty').hidden = fs.length > 0;
  $('#faults-table').hidden = fs.length === 0;
  $('#faults-clear').disabled = fs.length === 0;
  reconcile($('#faults-body'), fs, (f) => f.id + '|' + f.step, (f) => {
    const tr = h('tr', {},
      h('td', { class: 'mono', text: f.id }),
      h('td', { class: 'mono', text: f.step }),
      h('td', { text: f.kind }),
      h('td', { text: f.kind === 'status' ? `${f.status} / ${f.code}` : f.delay ? 'after ' + f.delay : '—' }),
      h('td', { text: f.persona || 'any' }),
      h('td', { text: f.client || 'any' }),
      h('td', { class: 'num c-left' }),
      h('td', { class: 'num c-hits' }),
      h('td', {}, h('button', { type: 'button', 'aria-label': 'Remove fault ' + f.id, onclick: () => removeFault(f.id) }, 'Remove')));
    updateFault(tr, f);
    return tr;
  }, updateFault);
}

function updateFault(tr, f) {
  setText(tr.querySelector('.c-left'), f.count === 0 ? '∞' : String(f.remaining));
  setText(tr.querySelector('.c-hits'), String(f.hits));
}

async function removeFault(id) {
  try {
    await api('/_mock/faults/' + encodeURIComponent(id), { method: 'DELETE' });
    toast(`Fault ${id} removed`);
    refresh(['faults']);
  } catch (e) {
    showError(e);
  }
}

$('#faults-clear').addEventListener('click', async () => {
  try {
    await api('/_mock/faults', { method: 'DELETE' });
    toast('Every fault cleared');
    refresh(['faults']);
  } catch (e) {
    showError(e);
  }
});

// ---------------------------------------------------------------------------
// Live updates: /_mock/ui/events names the topics that changed.

const live = $('#live');

function setLive(s, text) {
  live.dataset.state = s;
  setText(live, text);
}

let source = null;
let retry = null;

function connect() {
  clearTimeout(retry);
  if (source) source.close();
  source = new EventSource('events' + (token ? '?token=' + encodeURIComponent(token) : ''));
  source.addEventListener('open', () => setLive('live', 'Live'));
  source.addEventListener('change', (ev) => {
    let topics = allTopics;
    try { topics = JSON.parse(ev.data).topics || allTopics; } catch { /* all */ }
    refresh(topics);
  });
  source.addEventListener('bye', () => {
    source.close();
    setLive('down', 'mockprove stopped');
    retry = setTimeout(connect, 3000);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) { // refused (401, 503): try again later
      setLive('down', 'Offline');
      api('/_mock/clock').then(hideError, showError);
      retry = setTimeout(connect, 5000);
    } else {
      setLive('connecting', 'Reconnecting…');
    }
  });
}

window.addEventListener('hashchange', () => route(true));
if (!location.hash) history.replaceState(null, '', '#/phone');
route(false);
connect();
