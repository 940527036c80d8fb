// The console: plain pages over the HTTP API (docs/api.md "Console"). No framework, no build step, no
// inline script or style (the pages' Content-Security-Policy allows only this file and console.css).
//
// Who you are: a person logs in (password + TOTP) and the bearer token lives in this tab's sessionStorage;
// a bank opens the page with its scheme client certificate and is recognised by GET /me (no login).
// What you see: the pages your role may read; the buttons of the changes your role may make, from the
// permissions GET /me lists for you (the server's own table, switch/api/permissions.ts: no copy here).
// The API decides anyway: a page or a change it refuses shows its refusal. Amounts are minor units as
// decimal strings, formatted by string arithmetic, never as floating-point numbers. Everything from the
// API is escaped before display.

/** The pages in the navigation: hash route, title, the `g` key that opens it, the permission its main read needs. */
const PAGES = [
  { id: 'dashboard', title: 'Dashboard', key: 'd', needs: 'position.read' },
  { id: 'payments', title: 'Payments', key: 'p', needs: 'payment.read' },
  { id: 'cycles', title: 'Cycles', key: 'c', needs: 'cycle.read' },
  { id: 'participants', title: 'Participants', key: 't', needs: 'change.propose', alsoFor: ['regulator'] },
  { id: 'approvals', title: 'Approvals', key: 'a', needs: 'change.read' },
  { id: 'review', title: 'Review', key: 'r', needs: 'risk.read' },
  { id: 'freezes', title: 'Freezes', key: 'f', needs: 'risk.read' },
  { id: 'risk-events', title: 'Risk events', key: 'k', needs: 'risk.events' },
  { id: 'audit', title: 'Audit trail', key: 'u', needs: 'audit.read' },
  { id: 'dead-letters', title: 'Dead letters', key: 'l', needs: 'deadletter.read' },
  { id: 'reports', title: 'Reports', key: 'o', needs: 'report.read' },
  { id: 'submit', title: 'Submit a message', key: 's', needs: 'message.submit' },
];

/** How often the live views refresh while polling (until the server's event stream replaces polling). */
const LIVE_POLL_MS = 5000;
/** The latency sample (one payment detail read each) is taken again at most this often. */
const LATENCY_SAMPLE_MS = 30_000;
const LATENCY_SAMPLE_SIZE = 20;
const PAGE_SIZE = 50;
const THROUGHPUT_BUCKETS = 30;

const state = {
  token: sessionStorage.getItem('clearhouse.token'),
  role: sessionStorage.getItem('clearhouse.role'),
  name: sessionStorage.getItem('clearhouse.name'),
  /** The permissions GET /me listed for this role (empty until it answered). */
  permissions: new Set(),
  /** True for a bank recognised by its client certificate. */
  certificate: false,
};
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const can = (permission) => Boolean(state.role && state.permissions.has(permission));

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** One API call: JSON in and out (or XML in with `xml`, text out for XML answers); a problem+json answer becomes an ApiError with its detail. */
async function api(method, path, { body, xml } = {}) {
  const headers = {};
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  let payload;
  if (xml !== undefined) {
    headers['content-type'] = 'application/xml';
    payload = xml;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const type = response.headers.get('content-type') ?? '';
  const data = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && path !== '/login' && path !== '/me') {
    endSession('Your session has ended: log in again.');
    throw new ApiError(401, data?.detail ?? 'not logged in');
  }
  if (!response.ok) throw new ApiError(response.status, `${data?.title ?? response.statusText}: ${data?.detail ?? ''}`.replace(/: $/, ''));
  return data;
}

// ---------------------------------------------------------------------------------------------------
// Formatting (every value from the API goes through esc before it becomes HTML)

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Decimal places of a currency's minor unit (ISO 4217); 2 unless listed. */
const MINOR_DIGITS = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, BHD: 3, JOD: 3, KWD: 3, OMR: 3, TND: 3 };

/** Minor units (decimal string) as an amount with its currency's decimals and thousands separators, by string arithmetic. */
function amount(minor, currency) {
  if (minor === null || minor === undefined) return '';
  const text = String(minor);
  const negative = text.startsWith('-');
  const places = MINOR_DIGITS[currency] ?? 2;
  const digits = (negative ? text.slice(1) : text).padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${whole}${places ? '.' + digits.slice(-places) : ''}`;
}

/** An instant as `YYYY-MM-DD HH:MM:SS` UTC. */
function when(iso) {
  return iso ? `${String(iso).replace('T', ' ').slice(0, 19)}` : '';
}

function duration(ms) {
  if (ms < 0) return 'due';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Time since receipt on a payment's timeline: milliseconds under a second, seconds under a minute. */
function elapsed(ms) {
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return duration(ms);
}

/** A table: columns { title, html(row) | value(row), num }. Values are escaped; html() must escape itself. */
function table(columns, rows, { id, caption, empty = 'none' } = {}) {
  const head = columns.map((c) => `<th scope="col" class="${c.num ? 'num' : ''}">${esc(c.title)}</th>`).join('');
  const body = rows.map((row) => `<tr>${columns.map((c) =>
    `<td class="${c.num ? 'num' : ''}">${c.html ? c.html(row) : esc(c.value(row))}</td>`).join('')}</tr>`).join('');
  return `<table${id ? ` id="${esc(id)}"` : ''}>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead>` +
    `<tbody>${body || `<tr class="empty"><td colspan="${columns.length}">${esc(empty)}</td></tr>`}</tbody></table>`;
}

const link = (href, label) => `<a href="${esc(href)}">${esc(label)}</a>`;
const stateBadge = (value) => `<span class="state state-${esc(String(value).toLowerCase())}">${esc(value)}</span>`;

/** How much of the cap is used (cap − headroom), as a bar with the percentage; red from 90 %. */
function headroomBar(capMinor, headroomMinor) {
  const cap = BigInt(capMinor);
  const used = cap - BigInt(headroomMinor);
  const permille = cap > 0n ? Number((used * 1000n) / cap) : 0;
  const percent = Math.max(0, Math.min(100, permille / 10));
  const level = percent >= 90 ? 'high' : percent >= 60 ? 'mid' : 'low';
  return `<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" width="140" height="10" role="img" aria-label="${percent.toFixed(1)} % of the cap used">` +
    `<rect width="100" height="8" class="bar-bg"/><rect width="${percent.toFixed(1)}" height="8" class="bar-${level}"/></svg> ` +
    `<span class="pct">${percent.toFixed(1)} %</span>`;
}

/** A bar chart of `values` (numbers) with labels, drawn as SVG (no inline styles: colours come from console.css). */
function barChart(values, { labels, unit, title }) {
  const width = 640;
  const height = 140;
  const max = Math.max(1, ...values);
  const step = values.length ? width / values.length : width;
  const bars = values.map((v, i) => {
    const h = Math.round((v / max) * (height - 20));
    return `<rect x="${(i * step + 1).toFixed(1)}" y="${height - 14 - h}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}" class="chart-bar">` +
      `<title>${esc(labels[i])}: ${esc(v)} ${esc(unit)}</title></rect>`;
  }).join('');
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">` +
    `${bars}<text x="0" y="${height - 2}" class="axis">${esc(labels[0] ?? '')}</text>` +
    `<text x="${width}" y="${height - 2}" class="axis" text-anchor="end">${esc(labels[labels.length - 1] ?? '')}</text>` +
    `<text x="0" y="10" class="axis">max ${esc(max)} ${esc(unit)}</text></svg></figure>`;
}

// ---------------------------------------------------------------------------------------------------
// Live refresh, in one place. A view says which topics it shows (the names of the server's events:
// cycle, settlement, alert, delivery, positions; and approval, payment, which only the timer serves) and
// how to refresh itself: watch(topics, fn). startLive() opens the server's event stream
// (`EventSource('/events')`, riding on the session cookie login set, or on a bank's client certificate)
// and calls onEvent(name) for each event. While the stream is open, the timer (every LIVE_POLL_MS while
// the tab is visible) refreshes only views with a topic the stream does not carry; when the stream is
// down (the browser reconnects by itself), it refreshes every view. `#live` says which of the two is at
// work (data-mode="events" or "polling").

const live = { topics: [], refresh: undefined, running: false, timer: undefined, source: undefined };
/** The topics the server's event stream carries (switch/api/events.ts). */
const STREAM_TOPICS = ['cycle', 'settlement', 'alert', 'delivery', 'positions', 'risk'];
/** Risk events the dashboard's "Needs attention" card lists (the latest RISK_ALERTS_SHOWN events, these kinds only). */
const RISK_ALERT_KINDS = ['screening-hit', 'hold', 'timeout'];
const RISK_ALERTS_SHOWN = 5;

function watch(topics, refresh) {
  live.topics = topics;
  live.refresh = refresh;
  $('#live').hidden = !refresh;
}

async function onEvent(topic) {
  if (!live.refresh || live.running || (topic !== '*' && !live.topics.includes(topic))) return;
  live.running = true;
  // A refresh rebuilds tables: the focus (a keyboard user's place) moves to the same link or button in the new ones.
  const focused = focusSelector(document.activeElement);
  try {
    await live.refresh();
    if (focused && document.activeElement === document.body) $(focused)?.focus({ preventScroll: true });
  } catch (error) {
    if (error.status !== 401) showError(error);
  } finally {
    live.running = false;
  }
}

/** A selector that finds the equivalent of `element` after a re-render (links by target, buttons by their data). */
function focusSelector(element) {
  if (!element || !element.closest?.('#view')) return undefined;
  if (element.id) return `#${CSS.escape(element.id)}`;
  if (element.matches('a[href]')) return `#view a[href="${CSS.escape(element.getAttribute('href'))}"]`;
  const data = Object.entries(element.dataset ?? {}).map(([k, v]) => `[data-${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}="${CSS.escape(v)}"]`).join('');
  return data ? `#view ${element.tagName.toLowerCase()}${data}` : undefined;
}

function startLive() {
  if (live.timer) return;
  live.timer = setInterval(() => {
    if (document.hidden) return;
    const streaming = live.source?.readyState === EventSource.OPEN;
    if (streaming && live.topics.every((topic) => STREAM_TOPICS.includes(topic))) return;
    void onEvent('*');
  }, LIVE_POLL_MS);
  if (typeof EventSource !== 'function') return;
  const source = new EventSource('/events');
  const mode = () => { $('#live').dataset.mode = source.readyState === EventSource.OPEN ? 'events' : 'polling'; };
  source.addEventListener('open', mode);
  source.addEventListener('error', mode);
  for (const topic of STREAM_TOPICS) source.addEventListener(topic, () => { if (!document.hidden) void onEvent(topic); });
  live.source = source;
  mode();
}

function stopLive() {
  clearInterval(live.timer);
  live.source?.close();
  Object.assign(live, { timer: undefined, source: undefined });
}

// The countdown to the next cut-off ticks every second from the switch's time (GET /cycles `now`), which
// may differ from this computer's (a simulation): the offset is taken when the cycles are read.
const countdown = { cutOffAtMs: undefined, offsetMs: 0 };
setInterval(() => {
  const element = $('#countdown');
  if (element && countdown.cutOffAtMs !== undefined) element.textContent = duration(countdown.cutOffAtMs - (Date.now() + countdown.offsetMs));
}, 1000);

// ---------------------------------------------------------------------------------------------------
// The views. Each renders into `view` and may watch() for live refresh. `args`: the hash route's
// path argument (#payment/42 → '42') and query (#payments?state=SETTLED).

const views = {
  async dashboard(view) {
    view.innerHTML = `<h1 tabindex="-1">${state.role === 'participant' ? `${esc(state.name)}: my positions` : 'Dashboard'}</h1>
      <div class="cards"><section class="card" id="cycle-card" aria-label="Cycle"></section><section class="card" id="alert-card" aria-label="Alerts"></section></div>
      <h2>Positions and headroom</h2><div id="positions-section"></div>
      ${can('payment.read') ? `<h2>Queues</h2><p class="muted">Real-time payments queued over their debtor's headroom (answered PDNG, released first in, first out)${
  can('risk.read') ? ' and payments held for risk review' : ''}, per debtor and currency.</p><div id="queues-section"></div>` : ''}
      ${can('payment.read') ? '<h2>Throughput and latency</h2><div id="charts" class="charts"></div>' : ''}
      ${can('deadletter.read') ? '<h2 id="failures-heading">Delivery failures</h2><div id="failures"></div>' : ''}
      <h2>Recent cycles</h2><div id="recent-cycles"></div>`;
    let latency = { at: -Infinity, html: '' };
    const refresh = async () => {
      const [cycles, positions, payments, failed, queues, risk] = await Promise.all([
        api('GET', '/cycles'), api('GET', '/positions'),
        can('payment.read') ? api('GET', '/payments?limit=500') : undefined,
        can('deadletter.read') ? api('GET', '/deliveries/failures?limit=20') : undefined,
        can('payment.read') ? api('GET', '/queues') : undefined,
        can('risk.events') ? api('GET', `/risk/events?limit=${RISK_ALERTS_SHOWN}`) : undefined,
      ]);
      const failures = failed?.failures;
      renderCycleCard(cycles);
      $('#positions-section').innerHTML = table([
        { title: 'Participant', value: (r) => r.bic }, { title: 'Currency', value: (r) => r.currency },
        { title: 'Net debit cap', value: (r) => amount(r.capMinor, r.currency), num: true },
        { title: 'Net position', value: (r) => amount(r.netMinor, r.currency), num: true },
        { title: 'Reserved', value: (r) => amount(r.reservedMinor, r.currency), num: true },
        { title: 'Headroom', value: (r) => amount(r.headroomMinor, r.currency), num: true },
        { title: 'Cap used', html: (r) => headroomBar(r.capMinor, r.headroomMinor) },
      ], positions.exposures, { id: 'positions' });
      const alerts = cycles.cycles.filter((c) => c.state === 'PARTIALLY_SETTLED' || c.stalledError || c.settlementAlertAt);
      // Risk alerts, for the people who work them: payments held for review (the queues' held counts) and
      // the latest screening hits, holds and review timeouts (GET /risk/events).
      const held = can('risk.read') && queues ? queues.queues.reduce((n, q) => n + Number(q.heldCount ?? 0), 0) : 0;
      const riskAlerts = (risk?.events ?? []).filter((e) => RISK_ALERT_KINDS.includes(e.kind));
      const riskItems = `${held > 0 ? `<li><a href="#review">${esc(held)} payment(s) held for risk review</a></li>` : ''}${riskAlerts.map((e) =>
        `<li>${stateBadge(e.kind)} ${esc(e.participant ?? '')} ${e.paymentId ? `payment ${esc(e.paymentId)}` : ''} <span class="muted">${esc(when(e.at))}</span></li>`).join('')}`;
      $('#alert-card').innerHTML = `<h2>Needs attention</h2>${alerts.length === 0 && !(failures?.length) && riskItems === '' ? '<p class="ok">Nothing waiting.</p>' : ''}
        <ul class="alerts">${alerts.map((c) => `<li>${link(`#cycle/${c.id}`, `Cycle ${c.id}`)} ${stateBadge(c.state)}
          ${c.stalledError ? `stalled: ${esc(c.stalledError)}` : ''}${c.settlementAlertAt ? ` settlement agent silent since ${esc(when(c.settlementAlertAt))}` : ''}</li>`).join('')}
        ${failures?.length ? `<li><a href="#failures-heading">${esc(failures.length === 20 ? '20 or more' : failures.length)} delivery failure(s)</a></li>` : ''}${riskItems}</ul>`;
      if (queues) {
        const held = can('risk.read');
        $('#queues-section').innerHTML = table([
          { title: 'Participant', value: (r) => r.bic }, { title: 'Currency', value: (r) => r.currency },
          { title: 'Queued', value: (r) => r.queuedCount, num: true }, { title: 'Queued amount', value: (r) => amount(r.queuedMinor, r.currency), num: true },
          { title: 'Oldest queued', value: (r) => when(r.oldestQueuedAt) },
          ...(held ? [{ title: 'Held', value: (r) => r.heldCount, num: true }, { title: 'Held amount', value: (r) => amount(r.heldMinor, r.currency), num: true }] : []),
          { title: 'Headroom', value: (r) => amount(r.headroomMinor, r.currency), num: true },
        ], queues.queues, { id: 'queues' });
      }
      if (payments) {
        const throughput = throughputChart(payments.payments);
        if (performance.now() - latency.at > LATENCY_SAMPLE_MS) latency = { at: performance.now(), html: await latencyChart(payments.payments) };
        $('#charts').innerHTML = throughput + latency.html;
      }
      if (failures) {
        $('#failures').innerHTML = table([{ title: 'Failed', value: (r) => when(r.failedAt) }, { title: 'Where', value: (r) => (r.kind === 'outbox' ? 'outbox' : r.queue) },
          { title: 'Participant', value: (r) => r.participant }, { title: 'Message', value: (r) => r.messageId ?? r.fileName }, { title: 'Attempts', value: (r) => r.attempts, num: true },
          { title: 'Last error', value: (r) => r.lastError }], failures.slice(0, 10), { id: 'delivery-failures', empty: 'no delivery given up on' });
      }
      $('#recent-cycles').innerHTML = cyclesTable(cycles.cycles.slice(0, 6));
    };
    await refresh();
    watch(['cycle', 'settlement', 'alert', 'delivery', 'positions', 'payment', 'risk'], refresh);
  },

  async payments(view, args) {
    const q = args.query;
    const field = (name, label, size, extra = '') => `<label>${esc(label)} <input name="${name}" size="${size}" value="${esc(q.get(name) ?? '')}" ${extra}></label>`;
    const states = ['RECEIVED', 'REJECTED', 'ACCEPTED', 'RESERVED', 'QUEUED', 'COMMITTED', 'RELEASED', 'NETTED', 'UNWOUND', 'SETTLED', 'RETURNED', 'CANCELLED'];
    view.innerHTML = `<h1 tabindex="-1">Payments</h1><form class="filters" id="search" role="search">
      <label>State <select name="state"><option value="">any</option>${states.map((s) => `<option${q.get('state') === s ? ' selected' : ''}>${s}</option>`).join('')}</select></label>
      ${field('debtor', 'Debtor agent', 12, 'placeholder="BIC"')}${field('creditor', 'Creditor agent', 12, 'placeholder="BIC"')}
      ${field('currency', 'Currency', 4)}${field('cycle', 'Cycle', 6)}${field('endToEndId', 'End-to-end id', 20)}${field('uetr', 'UETR', 36)}
      <button type="submit">Search</button> <a href="#payments">Clear</a></form><div id="results"><p>Loading…</p></div>`;
    $('#search').addEventListener('submit', (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      for (const [key, value] of new FormData(event.target)) {
        const v = String(value).trim();
        if (v) query.set(key, key === 'uetr' || key === 'endToEndId' ? v : v.toUpperCase());
      }
      location.hash = `#payments${query.size ? '?' + query : ''}`;
    });
    const query = new URLSearchParams(q);
    query.set('limit', String(PAGE_SIZE));
    const { payments, next } = await api('GET', `/payments?${query}`);
    const older = new URLSearchParams(q);
    if (next) older.set('before', String(next));
    const first = new URLSearchParams(q);
    first.delete('before');
    $('#results').innerHTML = table([
      { title: 'Id', html: (r) => link(`#payment/${r.id}`, r.id) }, { title: 'Mode', value: (r) => r.mode }, { title: 'State', html: (r) => stateBadge(r.state) },
      { title: 'Reason', value: (r) => r.reasonCode }, { title: 'Debtor agent', value: (r) => r.debtorAgent }, { title: 'Creditor agent', value: (r) => r.creditorAgent },
      { title: 'Amount', value: (r) => `${amount(r.amountMinor, r.currency)} ${r.currency}`, num: true }, { title: 'End-to-end id', value: (r) => r.endToEndId },
      { title: 'Cycle', html: (r) => (r.cycleId ? link(`#cycle/${r.cycleId}`, r.cycleId) : '') }, { title: 'Received', value: (r) => when(r.createdAt) },
    ], payments, { id: 'payment-results', empty: 'no payment matches' }) +
      `<nav class="pager" aria-label="Pages of results">${q.has('before') ? link(`#payments${first.size ? '?' + first : ''}`, '« Newest') : ''}
        ${next ? link(`#payments?${older}`, 'Older »') : ''}</nav>`;
  },

  async payment(view, args) {
    const detail = await api('GET', `/payments/${encodeURIComponent(args.id)}`);
    const p = detail.payment;
    const created = Date.parse(p.createdAt);
    view.innerHTML = `<h1 tabindex="-1">Payment ${esc(p.id)} ${stateBadge(p.state)}</h1>
      <dl class="facts">
        <dt>Amount</dt><dd>${esc(amount(p.amountMinor, p.currency))} ${esc(p.currency)}</dd>
        <dt>Debtor agent</dt><dd>${esc(p.debtorAgent)}</dd><dt>Creditor agent</dt><dd>${esc(p.creditorAgent)}</dd>
        <dt>Instructing agent</dt><dd>${esc(p.instructingAgent)}</dd><dt>Mode</dt><dd>${esc(p.mode)} (${esc(p.kind)})</dd>
        <dt>Transaction id</dt><dd>${esc(p.transactionId)}</dd><dt>End-to-end id</dt><dd>${esc(p.endToEndId)}</dd><dt>UETR</dt><dd>${esc(p.uetr)}</dd>
        <dt>Settlement date</dt><dd>${esc(p.settlementDate)}</dd><dt>Cycle</dt><dd>${p.cycleId ? link(`#cycle/${p.cycleId}`, p.cycleId) : 'none yet'}</dd>
        <dt>Reason</dt><dd>${esc(p.reasonCode ?? '')}</dd><dt>Received</dt><dd>${esc(when(p.createdAt))}</dd>
      </dl>
      <h2>Timeline</h2><ol class="timeline">${detail.history.map((h) => `<li><time>${esc(when(h.at))}</time>
        <span class="elapsed">+${esc(elapsed(Date.parse(h.at) - created))}</span> ${h.fromState ? `${stateBadge(h.fromState)} → ` : ''}${stateBadge(h.toState)}
        <span class="cause">${esc(h.cause)}</span>${h.reasonCode ? ` <code>${esc(h.reasonCode)}</code>` : ''}</li>`).join('')}</ol>
      <h2>Messages</h2>${table([
        { title: 'Message', value: (r) => r.id }, { title: 'Direction', value: (r) => (r.direction === 'in' ? 'received from' : 'sent to') },
        { title: 'Participant', value: (r) => r.participant }, { title: 'Type', value: (r) => r.messageType }, { title: 'MsgId', value: (r) => r.messageId },
        { title: 'File', value: (r) => r.fileName }, { title: 'Bytes', value: (r) => r.sizeBytes, num: true }, { title: 'At', value: (r) => when(r.createdAt) },
        { title: '', html: (r) => `<button type="button" data-message="${esc(r.id)}">Show XML</button>` },
      ], detail.messages, { id: 'payment-messages' })}
      <div id="message-xml"></div>
      <h2>The transaction as received</h2><pre class="xml" id="transaction-xml">${esc(detail.transactionXml ?? '(not kept: see the bulk file above)')}</pre>`;
    view.addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-message]');
      if (!button) return;
      const id = button.dataset.message;
      try {
        const xml = await api('GET', `/messages/${encodeURIComponent(id)}`);
        $('#message-xml').innerHTML = `<h3>Message ${esc(id)}</h3><pre class="xml" tabindex="0">${esc(xml)}</pre>`;
      } catch (error) {
        showError(error);
      }
    });
    watch(['payment'], async () => {
      const again = await api('GET', `/payments/${encodeURIComponent(args.id)}`);
      if (again.history.length !== detail.history.length) await route();
    });
  },

  async cycles(view) {
    view.innerHTML = `<h1 tabindex="-1">Cycles</h1><div class="cards"><section class="card" id="cycle-card" aria-label="Cycle"></section></div>
      ${can('cycle.operate') ? `<form id="close-cycle" class="action"><h2>Cut off the open cycle</h2>
        <p>Nets the open cycle now and sends its settlement; a new cycle opens. Recorded with your name and reason.</p>
        <label>Reason <input name="reason" required maxlength="1000" size="50"></label>
        <button type="submit" data-write="cycle.operate">Cut off now</button></form>` : ''}
      <div id="cycle-list"></div>`;
    const refresh = async () => {
      const cycles = await api('GET', '/cycles');
      renderCycleCard(cycles);
      $('#cycle-list').innerHTML = cyclesTable(cycles.cycles);
    };
    $('#close-cycle')?.addEventListener('submit', async (event) => {
      event.preventDefault();
      const reason = new FormData(event.target).get('reason');
      try {
        const { closedCycle } = await api('POST', '/cycles/close', { body: { reason } });
        event.target.reset();
        await refresh();
        notice(closedCycle ? `Cycle ${closedCycle} cut off.` : 'No open cycle to cut off.');
      } catch (error) {
        showError(error);
      }
    });
    await refresh();
    watch(['cycle', 'settlement'], refresh);
  },

  async cycle(view, args) {
    const id = encodeURIComponent(args.id);
    view.innerHTML = `<h1 tabindex="-1">Cycle ${esc(args.id)}</h1><div id="cycle-detail"><p>Loading…</p></div>`;
    const refresh = async () => {
      const [{ cycles }, settlement, positions] = await Promise.all([api('GET', '/cycles'), api('GET', `/cycles/${id}/settlement`),
        api('GET', `/cycles/${id}/positions`).catch((error) => (error.status === 404 ? undefined : Promise.reject(error)))]);
      const cycle = cycles.find((c) => String(c.id) === String(args.id));
      if (!cycle) throw new ApiError(404, `No such cycle: no cycle ${args.id}`);
      $('#cycle-detail').innerHTML = `<p>Business date ${esc(cycle.businessDate)}, cycle ${esc(cycle.sequence)} of the day: ${stateBadge(cycle.state)},
        ${esc(cycle.payments)} payment(s)${cycle.settlementAttempt ? `, settlement attempt ${esc(cycle.settlementAttempt)}` : ''}${
  cycle.settlementResolution ? `, resolved: ${esc(cycle.settlementResolution)}` : ''}. ${link(`#payments?cycle=${cycle.id}`, 'Its payments')}</p>
        <h2>Net positions</h2>${table([{ title: 'Participant', value: (r) => r.bic }, { title: 'Currency', value: (r) => r.currency },
          { title: 'Net position', value: (r) => amount(r.net_minor, r.currency), num: true }], positions?.positions ?? [], { id: 'cycle-positions', empty: 'not netted yet' })}
        <h2>Bilateral grosses</h2>${table([{ title: 'Debtor', value: (r) => r.debtor }, { title: 'Creditor', value: (r) => r.creditor },
          { title: 'Currency', value: (r) => r.currency }, { title: 'Gross', value: (r) => amount(r.gross_minor, r.currency), num: true },
          { title: 'Payments', value: (r) => r.payment_count, num: true }], positions?.bilateral ?? [], { empty: 'not netted yet' })}
        <h2>Settlement instructions and the agent's answers</h2>${table([{ title: 'Attempt', value: (r) => r.attempt, num: true },
          { title: 'Participant', value: (r) => r.bic }, { title: 'Currency', value: (r) => r.currency }, { title: 'Direction', value: (r) => r.direction },
          { title: 'Amount', value: (r) => amount(r.amountMinor, r.currency), num: true }, { title: 'Instruction', value: (r) => r.instructionId },
          { title: 'MsgId', value: (r) => r.messageId }, { title: 'Answer', html: (r) => stateBadge(r.state) }, { title: 'Reason', value: (r) => r.reasonCode },
          { title: 'Answered', value: (r) => when(r.answeredAt) }], settlement.instructions, { id: 'settlement', empty: 'no settlement instruction yet' })}`;
    };
    await refresh();
    watch(['cycle', 'settlement'], refresh);
  },

  async participants(view) {
    const { exposures } = await api('GET', '/positions');
    const byBic = new Map();
    for (const e of exposures) byBic.set(e.bic, [...(byBic.get(e.bic) ?? []), e]);
    view.innerHTML = `<h1 tabindex="-1">Participants</h1>${table([{ title: 'Participant', value: ([bic]) => bic },
      { title: 'Net debit caps', value: ([, rows]) => rows.map((r) => `${r.currency} ${amount(r.capMinor, r.currency)}`).join(' · ') },
      { title: 'Headroom now', value: ([, rows]) => rows.map((r) => `${r.currency} ${amount(r.headroomMinor, r.currency)}`).join(' · ') }],
    [...byBic], { id: 'participants' })}
      ${can('change.propose') ? `<form id="propose-cap" class="action"><h2>Propose a new net debit cap</h2>
        <p>A change with money at stake: it takes effect when a supervisor other than you approves it (Approvals).</p>
        <label>Participant and currency <select name="target" required>${exposures.map((e) =>
          `<option value="${esc(e.bic)}/${esc(e.currency)}">${esc(e.bic)} ${esc(e.currency)} (now ${esc(amount(e.capMinor, e.currency))})</option>`).join('')}</select></label>
        <label>New cap <input name="amount" required pattern="[0-9]{1,18}(\\.[0-9]{1,5})?" placeholder="2500000.00" inputmode="decimal"></label>
        <label>Reason <input name="reason" required maxlength="1000" size="40"></label>
        <button type="submit" data-write="change.propose">Propose</button></form>` : ''}`;
    $('#propose-cap')?.addEventListener('submit', async (event) => {
      event.preventDefault();
      const form = Object.fromEntries(new FormData(event.target));
      const [bic, currency] = String(form.target).split('/');
      try {
        const { pendingActionId } = await api('POST', `/participants/${encodeURIComponent(bic)}/caps/${encodeURIComponent(currency)}`,
          { body: { amount: form.amount, reason: form.reason } });
        event.target.reset();
        notice(`Proposal ${pendingActionId} recorded: it waits for a supervisor other than you (Approvals).`);
      } catch (error) {
        showError(error);
      }
    });
  },

  async approvals(view, args) {
    const filter = args.query.get('state') ?? 'PENDING';
    view.innerHTML = `<h1 tabindex="-1">Approvals</h1>
      <p>Changes with money at stake take a maker and a different checker. ${can('change.decide') ? 'Approve or reject other people\'s proposals; your own wait for another supervisor.' : 'Supervisors decide.'}</p>
      <nav class="tabs" aria-label="Which proposals">${['PENDING', 'APPROVED', 'REJECTED', 'ALL'].map((s) =>
        `<a href="#approvals?state=${s}"${s === filter ? ' aria-current="page"' : ''}>${s.toLowerCase()}</a>`).join(' ')}</nav>
      <div id="approval-list"></div><div id="decision"></div>`;
    const refresh = async () => {
      const { approvals } = await api('GET', `/approvals${filter === 'ALL' ? '' : `?state=${filter}`}`);
      $('#approval-list').innerHTML = table([
        { title: 'Id', value: (r) => r.id }, { title: 'Change', value: (r) => describeChange(r) }, { title: 'Maker', value: (r) => r.maker },
        { title: 'Reason', value: (r) => r.reason }, { title: 'Proposed', value: (r) => when(r.createdAt) }, { title: 'State', html: (r) => stateBadge(r.state) },
        { title: 'Checker', value: (r) => (r.checker ? `${r.checker} ${when(r.decidedAt)}` : '') },
        { title: '', html: (r) => decisionCell(r) },
      ], approvals, { id: 'approvals', empty: 'nothing here' });
      $$('#approval-list button[data-decide]').forEach((button) => button.addEventListener('click', () => {
        const row = approvals.find((a) => String(a.id) === button.dataset.id);
        openDecision(row, button.dataset.decide, refresh);
      }));
    };
    await refresh();
    watch(['approval'], async () => { if (!$('#decision form')) await refresh(); });
  },

  async review(view) {
    view.innerHTML = `<h1 tabindex="-1">Review</h1>
      <p>Payments the risk stage held for a person to decide, oldest first. Real-time holds first: past their decide-by time they are rejected AB01.
      ${can('risk.operate') ? 'Release or reject each with a reason (recorded); a release above the amount shown waits for a supervisor (Approvals).' : 'Operators decide.'}</p>
      <div id="hold-list"></div><div id="hold-decision"></div>`;
    const refresh = async () => {
      const { holds, releaseWithoutCheckerMaxMinor } = await api('GET', '/risk/holds');
      $('#hold-list').innerHTML = table([
        { title: 'Payment', html: (r) => link(`#payment/${r.id}`, r.id) }, { title: 'Mode', value: (r) => r.mode },
        { title: 'Debtor agent', value: (r) => r.debtorAgent }, { title: 'Creditor agent', value: (r) => r.creditorAgent },
        { title: 'Amount', value: (r) => `${amount(r.amountMinor, r.currency)} ${r.currency}`, num: true }, { title: 'TxId', value: (r) => r.transactionId },
        { title: 'Held', value: (r) => when(r.heldAt) }, { title: 'Decide by', value: (r) => when(r.decideBy) }, { title: 'Why', value: (r) => r.reasons },
        { title: '', html: (r) => (can('risk.operate') ? `<button type="button" data-write="risk.operate" data-hold="release" data-id="${esc(r.id)}">Release</button>
          <button type="button" data-write="risk.operate" data-hold="reject" data-id="${esc(r.id)}">Reject</button>` : '') },
      ], holds, { id: 'holds', empty: 'no payment is held', caption: `A release above ${amount(releaseWithoutCheckerMaxMinor, 'EUR')} needs a supervisor's approval` });
      $$('#hold-list button[data-hold]').forEach((button) => button.addEventListener('click', () => {
        openHoldDecision(holds.find((h) => String(h.id) === button.dataset.id), button.dataset.hold, refresh);
      }));
    };
    await refresh();
    watch(['risk'], async () => { if (!$('#hold-decision form')) await refresh(); });
  },

  async freezes(view) {
    const operate = can('risk.operate');
    const participants = operate ? (await api('GET', '/participants')).participants : [];
    view.innerHTML = `<h1 tabindex="-1">Freezes</h1>
      <p>Accounts frozen (their payments refused AC06) and participants frozen (also suspended). ${operate
    ? 'Freezing takes effect at once; lifting a freeze puts money back in motion, so it is a proposal a supervisor other than you approves (Approvals).'
    : 'Operators freeze; lifting a freeze takes an operator\'s proposal and a supervisor\'s approval.'}</p>
      <div id="freeze-list"></div><div id="unfreeze-form-slot"></div>
      ${operate ? `<form id="freeze-form" class="action"><h2>Freeze</h2>
        <label>Participant <select name="bic" required>${participants.filter((p) => p.state !== 'retired').map((p) =>
    `<option value="${esc(p.bic)}">${esc(p.bic)} ${esc(p.name)}</option>`).join('')}</select></label>
        <label>Account (IBAN; empty: the whole participant) <input name="account" pattern="[A-Za-z0-9]{1,34}" size="36"></label>
        <label>Reason (recorded) <input name="reason" required maxlength="1000" size="50"></label>
        <button type="submit" data-write="risk.operate">Freeze</button></form>` : ''}`;
    const refresh = async () => {
      const [{ freezes }, pending] = await Promise.all([api('GET', '/risk/freezes'),
        can('change.read') ? api('GET', '/approvals?state=PENDING') : { approvals: [] }]);
      const proposed = new Map(pending.approvals.filter((p) => p.action === 'risk.unfreeze').map((p) => [p.subject, p]));
      const subject = (f) => (f.account ? `${f.bic}/${f.account}` : f.bic);
      $('#freeze-list').innerHTML = table([
        { title: 'Participant', value: (r) => r.bic }, { title: 'Account', value: (r) => r.account ?? '(the participant)' },
        { title: 'Frozen', value: (r) => when(r.frozenAt) }, { title: 'By', value: (r) => r.frozenBy }, { title: 'Why', value: (r) => r.reason },
        { title: 'Lifting', html: (r) => {
          const p = proposed.get(subject(r));
          if (p) return `<span class="state state-pending">proposed ${esc(p.id)}</span> by ${esc(p.maker)}: waits for a supervisor`;
          return operate ? `<button type="button" data-write="risk.operate" data-unfreeze="${esc(subject(r))}">Propose to lift</button>` : '';
        } },
      ], freezes, { id: 'freezes', empty: 'nothing is frozen' });
      $$('#freeze-list button[data-unfreeze]').forEach((button) => button.addEventListener('click', () => {
        const f = freezes.find((x) => subject(x) === button.dataset.unfreeze);
        $('#unfreeze-form-slot').innerHTML = `<form id="unfreeze-form" class="action"><h2>Propose to lift the freeze of ${esc(f.account ? `account ${f.bic}/${f.account}` : `participant ${f.bic}`)}</h2>
          <label>Your reason (recorded) <input name="reason" required maxlength="1000" size="50"></label>
          <button type="submit" data-write="risk.operate">Propose</button> <button type="button" id="unfreeze-cancel">Cancel</button></form>`;
        const form = $('#unfreeze-form');
        form.reason.focus();
        $('#unfreeze-cancel').addEventListener('click', () => { $('#unfreeze-form-slot').innerHTML = ''; });
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          try {
            const body = { bic: f.bic, ...(f.account ? { account: f.account } : {}), reason: form.reason.value };
            const result = await api('POST', '/risk/freezes/unfreeze', { body });
            $('#unfreeze-form-slot').innerHTML = '';
            await refresh();
            notice(`Lifting the freeze of ${subject(f)} proposed (${result.pendingActionId}): it waits for a supervisor (Approvals).`);
          } catch (error) {
            showError(error);
          }
        });
      }));
    };
    $('#freeze-form')?.addEventListener('submit', async (event) => {
      event.preventDefault();
      const form = event.target;
      const account = form.account.value.trim();
      const bic = form.bic.value;
      try {
        await api('POST', '/risk/freezes', { body: { bic, ...(account ? { account } : {}), reason: form.reason.value } });
        form.reset();
        await refresh();
        notice(`${account ? `Account ${bic}/${account}` : `Participant ${bic}`} frozen.`);
      } catch (error) {
        showError(error);
      }
    });
    await refresh();
    watch(['risk', 'approval'], async () => { if (!$('#unfreeze-form')) await refresh(); });
  },

  async 'risk-events'(view, args) {
    const q = args.query;
    const kinds = ['limit-breach', 'screening-hit', 'score', 'hold', 'release', 'reject', 'freeze', 'unfreeze', 'timeout', 'frozen'];
    view.innerHTML = `<h1 tabindex="-1">Risk events</h1><form class="filters" id="risk-filter" role="search">
      <label>Kind <select name="kind"><option value="">any</option>${kinds.map((k) => `<option${q.get('kind') === k ? ' selected' : ''}>${k}</option>`).join('')}</select></label>
      <label>Participant <input name="participant" size="12" placeholder="BIC" value="${esc(q.get('participant') ?? '')}"></label>
      <label>Payment <input name="payment" size="10" inputmode="numeric" value="${esc(q.get('payment') ?? '')}"></label>
      <button type="submit">Filter</button> <a href="#risk-events">Clear</a></form><div id="risk-list"></div>`;
    $('#risk-filter').addEventListener('submit', (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      for (const [key, value] of new FormData(event.target)) {
        const v = String(value).trim();
        if (v) next.set(key, key === 'participant' ? v.toUpperCase() : v);
      }
      location.hash = `#risk-events${next.size ? '?' + next : ''}`;
    });
    const query = new URLSearchParams(q);
    query.set('limit', '200');
    const refresh = async () => {
      const { events } = await api('GET', `/risk/events?${query}`);
      $('#risk-list').innerHTML = table([
        { title: 'When', value: (r) => when(r.at) }, { title: 'Kind', html: (r) => stateBadge(r.kind) }, { title: 'Participant', value: (r) => r.participant },
        { title: 'Payment', html: (r) => (r.paymentId && can('payment.read') ? link(`#payment/${r.paymentId}`, r.paymentId) : esc(r.paymentId ?? '')) },
        { title: 'By', value: (r) => r.actor }, { title: 'Why', value: (r) => r.reason },
        { title: 'Details', value: (r) => (r.details && Object.keys(r.details).length ? JSON.stringify(r.details) : '') },
      ], events, { id: 'risk-events', empty: 'no risk event matches', caption: 'Newest first, the latest 200' });
    };
    await refresh();
    watch(['risk'], refresh);
  },

  async audit(view, args) {
    const subject = args.query.get('subject') ?? '';
    view.innerHTML = `<h1 tabindex="-1">Audit trail</h1><form class="filters" id="audit-filter" role="search">
      <label>Subject <input name="subject" value="${esc(subject)}" placeholder="cycle 3, BANKDEFFXXX…"></label><button type="submit">Filter</button></form><div id="audit-list"></div>`;
    $('#audit-filter').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = String(new FormData(event.target).get('subject')).trim();
      location.hash = value ? `#audit?subject=${encodeURIComponent(value)}` : '#audit';
    });
    const { actions } = await api('GET', `/operator-actions?limit=500${subject ? `&subject=${encodeURIComponent(subject)}` : ''}`);
    $('#audit-list').innerHTML = table([{ title: 'When', value: (r) => when(r.at) }, { title: 'Who', value: (r) => r.actor }, { title: 'Action', value: (r) => r.action },
      { title: 'Subject', value: (r) => r.subject }, { title: 'Why', value: (r) => r.reason },
      { title: 'From', value: (r) => [r.details?.via, r.details?.address, r.details?.role].filter(Boolean).join(' ') }], actions, { id: 'audit-trail' });
  },

  async 'dead-letters'(view) {
    view.innerHTML = '<h1 tabindex="-1">Dead letters</h1><p>Queue jobs the switch gave up on after its retries: each needs an operator (`clearhouse dead-letters retry`).</p><div id="dead-list"></div>';
    const refresh = async () => {
      const { deadLetters } = await api('GET', '/dead-letters');
      $('#dead-list').innerHTML = table([{ title: 'Id', value: (r) => r.id }, { title: 'Failed', value: (r) => when(r.failedAt) }, { title: 'Queue', value: (r) => r.queue },
        { title: 'Job', value: (r) => r.jobId }, { title: 'Participant', value: (r) => r.participant }, { title: 'File', value: (r) => r.fileName },
        { title: 'Attempts', value: (r) => r.attempts, num: true }, { title: 'Last error', value: (r) => r.lastError }], deadLetters, { id: 'dead-letters', empty: 'none: every delivery went through' });
    };
    await refresh();
    watch(['delivery'], refresh);
  },

  async reports(view, args) {
    const q = args.query;
    const kind = q.get('kind') === 'reconciliation' ? 'reconciliation' : 'statistics';
    const monthly = q.has('month');
    const own = state.role === 'participant';
    const [{ cycles, now }, participants] = await Promise.all([api('GET', '/cycles'),
      own || !can('participant.read') ? undefined : api('GET', '/participants')]);
    // Default: the business day of the latest cycle (the switch's, which may be simulated), else the switch's today.
    const day = q.get('date') ?? cycles[0]?.businessDate ?? String(now ?? new Date().toISOString()).slice(0, 10);
    const month = q.get('month') ?? day.slice(0, 7);
    const chosen = q.get('participant') ?? '';
    view.innerHTML = `<h1 tabindex="-1">Reports</h1>
      <form class="filters" id="report-form">
        <label>Report <select name="kind"><option value="statistics"${kind === 'statistics' ? ' selected' : ''}>Regulator statistics</option>
          <option value="reconciliation"${kind === 'reconciliation' ? ' selected' : ''}>Reconciliation</option></select></label>
        <label>Period <select name="period"><option value="date"${monthly ? '' : ' selected'}>Business day</option>
          <option value="month"${monthly ? ' selected' : ''}>Month</option></select></label>
        <label>Day <input type="date" name="date" value="${esc(day)}"></label>
        <label>Month <input type="month" name="month" value="${esc(month)}" placeholder="YYYY-MM" pattern="[0-9]{4}-[0-9]{2}"></label>
        ${own ? `<p class="muted">Your own figures (${esc(state.name)})</p>`
    : `<label>Participant <select name="participant"><option value="">all</option>${(participants?.participants ?? []).map((p) =>
      `<option${p.bic === chosen ? ' selected' : ''}>${esc(p.bic)}</option>`).join('')}</select></label>`}
        <button type="submit">Show</button></form>
      <div id="report"></div>`;
    $('#report-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const next = new URLSearchParams({ kind: String(form.get('kind')) });
      const period = String(form.get('period'));
      next.set(period, String(form.get(period)));
      if (form.get('participant')) next.set('participant', String(form.get('participant')));
      location.hash = `#reports?${next}`;
    });
    if (!q.has('date') && !q.has('month')) return;
    const query = new URLSearchParams();
    if (monthly) query.set('month', month);
    else query.set('date', day);
    if (chosen) query.set('participant', chosen);
    const path = (format) => `/reports/${kind}?${query}&format=${format}`;
    // The figures first, as data (a refusal shows as the API's problem); then the readable page with its SVG charts, framed:
    // it is the HTML the PDF is printed from, with its own styles, which this page's policy would not run inline.
    const report = await api('GET', path('json'));
    const name = `${kind}-${monthly ? month : day}${report.participant ? `-${report.participant}` : ''}`;
    const headline = report.kind === 'reconciliation'
      ? (report.ok ? '<span class="ok">Reconciled: every figure agrees with the ledger and the agent.</span>'
        : `<span class="error">${esc(report.mismatches.length + report.mismatchesDropped)} mismatch(es)</span>`)
      : (report.totals.length ? report.totals.map((t) => `${esc(t.count)} payment(s), ${esc(amount(t.sumMinor, t.currency))} ${esc(t.currency)}`).join(' · ')
        : 'no payment in this period');
    $('#report').innerHTML = `<p id="report-figures"><strong>${esc(report.period)}${report.participant ? `, ${esc(report.participant)}` : ''}:</strong> ${headline}</p>
      <p class="downloads">Download ${['csv', 'json', 'pdf'].map((f) =>
    `<a id="download-${f}" href="${esc(path(f))}" download="${esc(name)}.${f}">${f.toUpperCase()}</a>`).join(' · ')}</p>
      <iframe id="report-frame" title="${esc(report.period)} report" sandbox src="${esc(path('html'))}"></iframe>`;
  },

  async submit(view) {
    view.innerHTML = `<h1 tabindex="-1">Submit a message</h1>
      <p>As ${esc(state.name)}: the same checks and answers as a file in your mailbox. Paste the XML or choose a file.</p>
      <form id="submit-form" class="stack">
        <label>File <input type="file" name="file" accept=".xml,application/xml,text/xml"></label>
        <label>XML <textarea name="xml" rows="14" cols="100" spellcheck="false" placeholder="&lt;?xml version=&quot;1.0&quot;?&gt;…"></textarea></label>
        <label>File name (optional) <input name="fileName" pattern="[A-Za-z0-9._-]{1,200}" size="40"></label>
        <button type="submit" data-write="message.submit">Submit</button></form><div id="submit-result"></div>`;
    const form = $('#submit-form');
    form.file.addEventListener('change', async () => {
      const file = form.file.files[0];
      if (!file) return;
      form.xml.value = await file.text();
      if (!form.fileName.value && /^[A-Za-z0-9._-]{1,200}$/.test(file.name)) form.fileName.value = file.name;
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const xml = form.xml.value;
      if (!xml.trim()) return showError(new Error('Paste the XML or choose a file first.'));
      const fileName = form.fileName.value.trim();
      try {
        const result = await api('POST', `/messages${fileName ? `?fileName=${encodeURIComponent(fileName)}` : ''}`, { xml });
        $('#submit-result').innerHTML = `<h2>Answer: ${stateBadge(result.status)}${result.replay ? ' (a replay: already received, not processed again)' : ''}</h2>
          ${table([{ title: 'Code', value: (f) => f.code }, { title: 'Where', value: (f) => `${f.path}${f.line ? ` (line ${f.line})` : ''}` },
            { title: 'Transaction', value: (f) => f.transactionId }, { title: 'Finding', value: (f) => f.message }], result.findings ?? [], { id: 'findings', empty: 'no finding' })}
          ${result.answer ? `<h3>The switch's answer</h3><pre class="xml" id="answer-xml">${esc(result.answer)}</pre>` : ''}
          <p>${link('#payments', 'Find its payments')}</p>`;
      } catch (error) {
        showError(error);
      }
    });
  },
};

function renderCycleCard(answer) {
  const open = answer.cycles.find((c) => c.state === 'OPEN');
  const next = answer.nextCutOff;
  if (next && answer.now) {
    countdown.cutOffAtMs = Date.parse(next.cutOffAt);
    countdown.offsetMs = Date.parse(answer.now) - Date.now();
  }
  const card = $('#cycle-card');
  if (!card) return;
  card.innerHTML = `<h2>Open cycle</h2>${open ? `<p class="big">${link(`#cycle/${open.id}`, `Cycle ${open.id}`)} ${stateBadge(open.state)}</p>
    <p>Business date ${esc(open.businessDate)}, cycle ${esc(open.sequence)} of the day, ${esc(open.payments)} payment(s)</p>` : '<p>No cycle open.</p>'}
    ${next ? `<p>Next cut-off ${esc(when(next.cutOffAt))} UTC (${esc(next.businessDate)} #${esc(next.sequence)}):
      in <strong id="countdown">${esc(duration(countdown.cutOffAtMs - (Date.now() + countdown.offsetMs)))}</strong></p>
      <p class="muted">Switch time ${esc(when(answer.now))} UTC</p>` : ''}`;
}

function cyclesTable(cycles) {
  return table([{ title: 'Cycle', html: (r) => link(`#cycle/${r.id}`, r.id) }, { title: 'Business date', value: (r) => r.businessDate },
    { title: 'No.', value: (r) => r.sequence, num: true }, { title: 'State', html: (r) => stateBadge(r.state) }, { title: 'Payments', value: (r) => r.payments, num: true },
    { title: 'Settlement attempt', value: (r) => r.settlementAttempt || '', num: true },
    { title: 'Note', value: (r) => [r.stalledError && `stalled: ${r.stalledError}`, r.settlementAlertAt && 'agent silent', r.settlementResolution].filter(Boolean).join('; ') }],
  cycles, { id: 'cycles' });
}

/** Throughput: the payments of the latest page per time bucket (at most 30 buckets over their span). */
function throughputChart(payments) {
  if (payments.length === 0) return '<p>No payments yet.</p>';
  const times = payments.map((p) => Date.parse(p.createdAt)).sort((a, b) => a - b);
  const span = Math.max(60_000, times[times.length - 1] - times[0] + 1);
  const bucketMs = Math.max(60_000, Math.ceil(span / THROUGHPUT_BUCKETS / 60_000) * 60_000);
  // Always THROUGHPUT_BUCKETS buckets, ending with the newest payment's, so that one busy minute is one bar among many.
  const start = (Math.floor(times[times.length - 1] / bucketMs) - THROUGHPUT_BUCKETS + 1) * bucketMs;
  const counts = new Array(THROUGHPUT_BUCKETS).fill(0);
  for (const t of times) if (t >= start) counts[Math.floor((t - start) / bucketMs)] += 1;
  const labels = counts.map((_, i) => when(new Date(start + i * bucketMs).toISOString()).slice(5, 16));
  return barChart(counts, { labels, unit: `payments per ${bucketMs / 60_000} min`, title: `Throughput: the latest ${payments.length} payments, per ${bucketMs / 60_000} min (UTC)` });
}

/** Latency: for a sample of the latest payments, receipt to the first answer the switch gave (accepted, rejected, committed or released). */
async function latencyChart(payments) {
  const sample = payments.slice(0, LATENCY_SAMPLE_SIZE);
  if (sample.length === 0) return '';
  const answered = new Set(['ACCEPTED', 'REJECTED', 'COMMITTED', 'RELEASED', 'QUEUED']);
  const details = await Promise.all(sample.map((p) => api('GET', `/payments/${p.id}`).catch(() => undefined)));
  const rows = details.filter(Boolean).map((d) => {
    const first = d.history.find((h) => answered.has(h.toState));
    return first ? { id: d.payment.id, ms: Math.max(0, Date.parse(first.at) - Date.parse(d.payment.createdAt)) } : undefined;
  }).filter(Boolean).reverse();
  if (rows.length === 0) return '<p>No answered payment in the sample yet.</p>';
  const sorted = rows.map((r) => r.ms).sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return barChart(rows.map((r) => r.ms), { labels: rows.map((r) => `payment ${r.id}`), unit: 'ms',
    title: `Latency to the first answer, the latest ${rows.length} payments: median ${pick(0.5)} ms, p95 ${pick(0.95)} ms` });
}

function describeChange(row) {
  if (row.action === 'participant.cap.set' && row.payload) {
    return `net debit cap of ${row.payload.bic} in ${row.payload.currency} → ${amount(row.payload.amountMinor, row.payload.currency)}`;
  }
  if (row.action === 'risk.release' && row.payload) return `release of held payment ${row.payload.paymentId}`;
  if (row.action === 'risk.unfreeze' && row.payload) return `lift the freeze of ${row.payload.account ? `account ${row.payload.bic}/${row.payload.account}` : `participant ${row.payload.bic}`}`;
  return `${row.action} ${row.subject ?? ''}`;
}

/** The decision buttons a checker sees on someone else's pending proposal; on one's own, why there are none. */
function decisionCell(row) {
  if (row.state !== 'PENDING') return '';
  if (row.maker === state.name) return '<span class="muted own">your proposal: another supervisor decides</span>';
  if (!can('change.decide')) return '<span class="muted">waiting for a supervisor</span>';
  return `<button type="button" data-write="change.decide" data-decide="approve" data-id="${esc(row.id)}">Approve</button>
    <button type="button" data-write="change.decide" data-decide="reject" data-id="${esc(row.id)}">Reject</button>`;
}

/** The operator's release or rejection of a held payment, with the reason (recorded) and, for a rejection, the ISO code. */
function openHoldDecision(hold, verb, refresh) {
  $('#hold-decision').innerHTML = `<form id="hold-form" class="action"><h2>${verb === 'release' ? 'Release' : 'Reject'} payment ${esc(hold.id)}</h2>
    <p>${esc(hold.debtorAgent)} → ${esc(hold.creditorAgent)}, ${esc(amount(hold.amountMinor, hold.currency))} ${esc(hold.currency)}: ${esc(hold.reasons)}</p>
    <label>Your reason (recorded) <input name="reason" required maxlength="1000" size="50"></label>
    ${verb === 'reject' ? '<label>ISO reason code <input name="code" value="RR04" pattern="[A-Z0-9]{4}" size="5"></label> ' +
      '<small>(recorded; the sender of a payment held on a screening hit is told MS03 and a neutral text, never your reason: tipping-off)</small>' : ''}
    <button type="submit" data-write="risk.operate">${verb === 'release' ? 'Release' : 'Reject'}</button> <button type="button" id="hold-cancel">Cancel</button></form>`;
  const form = $('#hold-form');
  form.reason.focus();
  $('#hold-cancel').addEventListener('click', () => { $('#hold-decision').innerHTML = ''; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const body = { reason: form.reason.value, ...(verb === 'reject' ? { code: form.code.value } : {}) };
      const result = await api('POST', `/risk/holds/${encodeURIComponent(hold.id)}/${verb}`, { body });
      $('#hold-decision').innerHTML = '';
      await refresh();
      notice(result.pendingActionId ? `Release of payment ${hold.id} proposed (${result.pendingActionId}): it waits for a supervisor (Approvals).`
        : `Payment ${hold.id} ${verb === 'release' ? 'released' : 'rejected'}: ${String(result.state).toLowerCase()}.`);
    } catch (error) {
      showError(error);
    }
  });
}

function openDecision(row, verb, refresh) {
  $('#decision').innerHTML = `<form id="decision-form" class="action"><h2>${verb === 'approve' ? 'Approve' : 'Reject'} proposal ${esc(row.id)}</h2>
    <p>${esc(describeChange(row))}, proposed by ${esc(row.maker)}: ${esc(row.reason)}</p>
    <label>Your reason (recorded) <input name="reason" required maxlength="1000" size="50"></label>
    <button type="submit" data-write="change.decide">${verb === 'approve' ? 'Approve and apply' : 'Reject'}</button> <button type="button" id="decision-cancel">Cancel</button></form>`;
  const form = $('#decision-form');
  form.reason.focus();
  $('#decision-cancel').addEventListener('click', () => { $('#decision').innerHTML = ''; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const result = await api('POST', `/approvals/${encodeURIComponent(row.id)}/${verb}`, { body: { reason: form.reason.value } });
      $('#decision').innerHTML = '';
      await refresh();
      notice(`Proposal ${result.pendingActionId} ${result.state.toLowerCase()}.`);
    } catch (error) {
      showError(error);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Messages, routing, session

function showError(error) {
  $('#view').insertAdjacentHTML('afterbegin', `<p class="error" role="alert">${esc(error.message)}</p>`);
}

function notice(message) {
  $('#view').insertAdjacentHTML('afterbegin', `<p class="notice" role="status">${esc(message)}</p>`);
}

function parseRoute() {
  const [path, query] = location.hash.slice(1).split('?');
  const [name, id] = (path ?? '').split('/');
  return { name: name || home(), id, query: new URLSearchParams(query ?? '') };
}

function home() {
  return PAGES.find((p) => visible(p))?.id ?? 'dashboard';
}

function visible(page) {
  return can(page.needs) || (page.alsoFor ?? []).includes(state.role);
}

let routeSerial = 0;
async function route() {
  const args = parseRoute();
  const serial = ++routeSerial;
  const current = args.name === 'payment' ? 'payments' : args.name === 'cycle' ? 'cycles' : args.name;
  $$('#nav a').forEach((a) => (a.getAttribute('href') === `#${current}` ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current')));
  watch([], undefined);
  const view = $('#view');
  const fresh = view.cloneNode(false); // drop the previous view's listeners
  view.replaceWith(fresh);
  fresh.innerHTML = '<p>Loading…</p>';
  const render = views[args.name] ?? (() => { throw new ApiError(404, `No such page: ${args.name}`); });
  try {
    await render(fresh, args);
  } catch (error) {
    if (serial !== routeSerial) return;
    if (error.status !== 401) {
      fresh.innerHTML = `<h1 tabindex="-1">${esc(PAGES.find((p) => p.id === current)?.title ?? 'Not found')}</h1>`;
      showError(error);
    }
  }
  if (serial === routeSerial && (document.activeElement === document.body || !document.activeElement)) $('h1', fresh)?.focus({ preventScroll: true });
}

function buildNav() {
  const pages = PAGES.filter(visible);
  $('#nav').innerHTML = pages.map((p) => `<a href="#${p.id}" title="g ${p.key}">${esc(p.title)}</a>`).join('') +
    (can('payment.read') ? '<form id="quick" role="search"><input name="q" id="quick-search" placeholder="Find a payment (/)" aria-label="Payment id, UETR or end-to-end id" size="24"></form>' : '');
  $('#quick')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = event.target.q.value.trim();
    if (!value) return;
    event.target.reset();
    event.target.q.blur();
    location.hash = /^[0-9]{1,18}$/.test(value) ? `#payment/${value}`
      : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? `#payments?uetr=${encodeURIComponent(value.toLowerCase())}`
        : `#payments?endToEndId=${encodeURIComponent(value)}`;
  });
  $('#help-keys').innerHTML = [['/', 'find a payment (id, UETR or end-to-end id)'], ...pages.map((p) => [`g ${p.key}`, p.title]), ['?', 'this help'],
    ['Tab, Enter', 'move between links and buttons, open']].map(([k, what]) => `<tr><th scope="row"><kbd>${esc(k)}</kbd></th><td>${esc(what)}</td></tr>`).join('');
}

function show() {
  const signedIn = Boolean(state.role);
  $('#login').hidden = signedIn;
  $('#nav').hidden = !signedIn;
  $('#help-button').hidden = !signedIn;
  $('#logout').hidden = !signedIn || state.certificate;
  $('#who').textContent = signedIn ? `${state.name} (${state.role}${state.certificate ? ', client certificate' : ''})` : '';
  if (signedIn) {
    buildNav();
    startLive();
    void route();
  } else {
    watch([], undefined);
    $('#view').innerHTML = '';
    $('#login input[name=name]').focus();
  }
}

function endSession(message) {
  stopLive();
  sessionStorage.clear();
  Object.assign(state, { token: null, role: null, name: null, permissions: new Set(), certificate: false });
  show();
  if (message) $('#login-error').textContent = message;
}

function logout() {
  if (state.token) fetch('/logout', { method: 'POST', headers: { authorization: `Bearer ${state.token}` } }).catch(() => {});
  endSession();
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target));
  try {
    const session = await api('POST', '/login', { body: form });
    Object.assign(state, { token: session.token, role: session.role, name: form.name, certificate: false });
    sessionStorage.setItem('clearhouse.token', session.token);
    sessionStorage.setItem('clearhouse.role', session.role);
    sessionStorage.setItem('clearhouse.name', form.name);
    state.permissions = new Set((await api('GET', '/me')).permissions);
    event.target.reset();
    $('#login-error').textContent = '';
    show();
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
});
$('#logout').addEventListener('click', logout);
$('#help-button').addEventListener('click', () => $('#help').showModal());
window.addEventListener('hashchange', () => state.role && route());

// Keyboard: `/` finds a payment, `g` then a page's key opens it, `?` shows the keys. Not while typing.
let pendingG = 0;
document.addEventListener('keydown', (event) => {
  if (!state.role || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.('input, textarea, select, [contenteditable]') || $('#help').open) return;
  if (event.key === '/') {
    const search = $('#quick-search') ?? $('#search input');
    if (search) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === '?') {
    event.preventDefault();
    $('#help').showModal();
  } else if (event.key === 'g') {
    pendingG = performance.now();
  } else if (performance.now() - pendingG < 1500) {
    pendingG = 0;
    const page = PAGES.find((p) => p.key === event.key && visible(p));
    if (page) {
      event.preventDefault();
      location.hash = `#${page.id}`;
      $('#view').focus({ preventScroll: true });
    }
  }
});

/**
 * At start: a session of this tab, else a bank's client certificate (GET /me answers without a token),
 * else the login form. GET /me also says what the role may do, so it is asked for a session too.
 */
async function start() {
  try {
    const me = await api('GET', '/me');
    if (state.token) state.permissions = new Set(me.permissions);
    else if (me.role === 'participant') Object.assign(state, { role: 'participant', name: me.name, permissions: new Set(me.permissions), certificate: true });
  } catch {
    // No certificate (or not a participant's): people log in. A session that has ended: log in again.
    if (state.token) {
      endSession('Your session has ended: log in again.');
      return;
    }
  }
  show();
}
void start();
