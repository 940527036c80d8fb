// The console: a thin page over the HTTP API (docs/api.md). The session token lives in sessionStorage
// (a bearer token, never a cookie); every view is one or two API reads, and what a role may not do the
// API refuses anyway. Amounts are minor units as decimal strings and are formatted as text, never as numbers.
const state = { token: sessionStorage.getItem('clearhouse.token'), role: sessionStorage.getItem('clearhouse.role'), name: sessionStorage.getItem('clearhouse.name') };
const $ = (selector) => document.querySelector(selector);

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: { ...(state.token ? { authorization: `Bearer ${state.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = response.status === 204 ? null : await response.json();
  if (response.status === 401 && path !== '/login') { logout(); throw new Error('session ended'); }
  if (!response.ok) throw new Error(json?.detail ?? response.statusText);
  return json;
}

/** Minor units (decimal string) as an amount with two decimals, by string arithmetic. */
function amount(minor) {
  const negative = minor.startsWith('-');
  const digits = (negative ? minor.slice(1) : minor).padStart(3, '0');
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${whole}.${digits.slice(-2)}`;
}

function text(value) {
  const span = document.createElement('span');
  span.textContent = value ?? '';
  return span.innerHTML;
}

function table(columns, rows, onClick) {
  const head = columns.map((c) => `<th class="${c.num ? 'num' : ''}">${text(c.title)}</th>`).join('');
  const body = rows.map((row, i) => `<tr data-i="${i}" class="${onClick ? 'clickable' : ''}">${columns.map((c) =>
    `<td class="${c.num ? 'num' : ''}">${text(c.value(row))}</td>`).join('')}</tr>`).join('');
  const html = `<table><thead><tr>${head}</tr></thead><tbody>${body || `<tr><td colspan="${columns.length}">none</td></tr>`}</tbody></table>`;
  return { html, bind: (root) => onClick && root.querySelectorAll('tr.clickable').forEach((tr) => tr.addEventListener('click', () => onClick(rows[Number(tr.dataset.i)]))) };
}

const views = {
  async dashboard(view) {
    const [{ cycles }, { exposures }] = await Promise.all([api('GET', '/cycles'), api('GET', '/positions')]);
    const c = table([{ title: 'Cycle', value: (r) => r.id }, { title: 'Business date', value: (r) => r.businessDate }, { title: 'No.', value: (r) => r.sequence },
      { title: 'State', value: (r) => r.state }, { title: 'Payments', value: (r) => r.payments, num: true }], cycles.slice(0, 10));
    const p = table([{ title: 'Participant', value: (r) => r.bic }, { title: 'Currency', value: (r) => r.currency },
      { title: 'Net debit cap', value: (r) => amount(r.capMinor), num: true }, { title: 'Net position', value: (r) => amount(r.netMinor), num: true },
      { title: 'Reserved', value: (r) => amount(r.reservedMinor), num: true }, { title: 'Headroom', value: (r) => amount(r.headroomMinor), num: true }], exposures);
    view.innerHTML = `<h1>Dashboard</h1><h2>Positions and headroom</h2>${p.html}<h2>Cycles</h2>${c.html}`;
  },
  async payments(view) {
    view.innerHTML = `<h1>Payments</h1><form class="filters" id="search">
      <label>State <input name="state" size="10"></label><label>Debtor <input name="debtor" size="12"></label>
      <label>Creditor <input name="creditor" size="12"></label><label>UETR <input name="uetr" size="36"></label>
      <button>Search</button></form><div id="results"></div><div id="detail"></div>`;
    const search = async (before) => {
      const form = new FormData($('#search'));
      const query = new URLSearchParams([...form].filter(([, v]) => String(v).trim() !== '')
        .map(([k, v]) => [k, k === 'uetr' ? String(v).trim() : String(v).trim().toUpperCase()]));
      query.set('limit', '50');
      if (before) query.set('before', before);
      const { payments, next } = await api('GET', `/payments?${query}`);
      const t = table([{ title: 'Id', value: (r) => r.id }, { title: 'Mode', value: (r) => r.mode }, { title: 'State', value: (r) => r.state },
        { title: 'Reason', value: (r) => r.reasonCode }, { title: 'Debtor agent', value: (r) => r.debtorAgent }, { title: 'Creditor agent', value: (r) => r.creditorAgent },
        { title: 'Amount', value: (r) => `${amount(r.amountMinor)} ${r.currency}`, num: true }, { title: 'End-to-end id', value: (r) => r.endToEndId }], payments, showPayment);
      $('#results').innerHTML = t.html + (next ? '<button id="more">Older</button>' : '');
      t.bind($('#results'));
      $('#more')?.addEventListener('click', () => search(next));
    };
    $('#search').addEventListener('submit', (e) => { e.preventDefault(); search().catch(showError); });
    await search();
  },
  async approvals(view) {
    const { approvals } = await api('GET', '/approvals');
    const t = table([{ title: 'Id', value: (r) => r.id }, { title: 'Change', value: (r) => `${r.action} ${r.payload.bic} ${r.payload.currency} → ${amount(r.payload.amountMinor)}` },
      { title: 'Maker', value: (r) => r.maker }, { title: 'Reason', value: (r) => r.reason }, { title: 'State', value: (r) => r.state },
      { title: 'Checker', value: (r) => r.checker }], approvals, state.role === 'supervisor' ? decide : undefined);
    view.innerHTML = `<h1>Approvals</h1>${state.role === 'supervisor' ? '<p>Select a pending change to approve or reject it (not your own).</p>' : ''}${t.html}`;
    t.bind(view);
  },
  async audit(view) {
    const { actions } = await api('GET', '/operator-actions?limit=200');
    const t = table([{ title: 'When', value: (r) => r.at }, { title: 'Who', value: (r) => r.actor }, { title: 'Action', value: (r) => r.action },
      { title: 'Subject', value: (r) => r.subject }, { title: 'Why', value: (r) => r.reason }, { title: 'From', value: (r) => r.details?.address }], actions);
    view.innerHTML = `<h1>Audit trail</h1>${t.html}`;
  },
};

async function showPayment(row) {
  const detail = await api('GET', `/payments/${row.id}`);
  const h = table([{ title: 'At', value: (r) => r.at }, { title: 'From', value: (r) => r.fromState }, { title: 'To', value: (r) => r.toState },
    { title: 'Cause', value: (r) => r.cause }, { title: 'Reason', value: (r) => r.reasonCode }], detail.history);
  const m = table([{ title: 'Message', value: (r) => r.id }, { title: 'Direction', value: (r) => r.direction }, { title: 'Type', value: (r) => r.messageType },
    { title: 'MsgId', value: (r) => r.messageId }, { title: 'Participant', value: (r) => r.participant }], detail.messages);
  $('#detail').innerHTML = `<h2>Payment ${text(row.id)}: ${text(row.state)}</h2><h3>Timeline</h3>${h.html}<h3>Messages</h3>${m.html}<pre>${text(detail.transactionXml ?? '')}</pre>`;
}

async function decide(row) {
  if (row.state !== 'PENDING') return;
  const approve = confirm(`Approve change ${row.id} (${row.payload.bic} ${row.payload.currency} → ${amount(row.payload.amountMinor)})? Cancel to reject.`);
  const reason = prompt('Reason (recorded):');
  if (!reason) return;
  await api('POST', `/approvals/${row.id}/${approve ? 'approve' : 'reject'}`, { reason }).catch(showError);
  await route();
}

function showError(error) {
  $('#view').insertAdjacentHTML('afterbegin', `<p class="error" role="alert">${text(error.message)}</p>`);
}

async function route() {
  const name = (location.hash.slice(1) || 'dashboard');
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === `#${name}`));
  const view = $('#view');
  view.innerHTML = '<p>Loading…</p>';
  await (views[name] ?? views.dashboard)(view).catch((error) => { view.innerHTML = ''; showError(error); });
}

function show() {
  const loggedIn = Boolean(state.token);
  $('#login').hidden = loggedIn;
  $('#nav').hidden = !loggedIn;
  $('#logout').hidden = !loggedIn;
  $('#who').textContent = loggedIn ? `${state.name} (${state.role})` : '';
  if (loggedIn) route(); else $('#view').innerHTML = '';
}

function logout() {
  if (state.token) fetch('/logout', { method: 'POST', headers: { authorization: `Bearer ${state.token}` } }).catch(() => {});
  sessionStorage.clear();
  Object.assign(state, { token: null, role: null, name: null });
  show();
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target));
  try {
    const session = await api('POST', '/login', form);
    Object.assign(state, { token: session.token, role: session.role, name: form.name });
    sessionStorage.setItem('clearhouse.token', session.token);
    sessionStorage.setItem('clearhouse.role', session.role);
    sessionStorage.setItem('clearhouse.name', form.name);
    event.target.reset();
    $('#login-error').textContent = '';
    show();
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
});
$('#logout').addEventListener('click', logout);
window.addEventListener('hashchange', () => state.token && route());
show();
