// The operations dashboard: GET /api/v1/metrics/workflows every 10 s, shown as tiles, tables and a uPlot chart,
// each number linked into the Temporal UI (search attributes) and the API (list filters). Plain script, no build.
'use strict';

(() => {
  const tokenKey = 'hera.dashboard.token';
  const refreshMs = 10_000;
  const none = '—';
  const numbers = new Intl.NumberFormat('en-US');
  const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

  const byId = (id) => document.getElementById(id);
  const view = {
    session: byId('session'),
    organization: byId('organization'),
    updated: byId('updated'),
    signIn: byId('sign-in'),
    signInForm: byId('sign-in-form'),
    signInError: byId('sign-in-error'),
    token: byId('token'),
    board: byId('board'),
    banner: byId('error-banner'),
    linksNote: byId('links-note'),
    chart: byId('throughput-chart'),
    caption: byId('throughput-caption'),
    apiView: byId('api-view'),
  };

  /** The signed-in session: the token, and what /dashboard/config.json said of it. */
  let session = null;
  let timer = null;
  let chart = null;
  let lastGood = null;

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function getJson(path, token) {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const reason = body && body.error ? `${body.error.code}: ${body.error.message}` : response.statusText;
      throw new ApiError(response.status, `${response.status} ${reason}`);
    }
    return body;
  }

  // ---- formatting: a missing or null value shows as a dash, never as 0 ----

  const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
  const count = (value) => (isNumber(value) ? numbers.format(value) : none);
  const milliseconds = (value) => (isNumber(value) ? `${numbers.format(Math.round(value))} ms` : none);

  function duration(seconds) {
    if (!isNumber(seconds)) return none;
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
    if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
    return `${(seconds / 86_400).toFixed(1)} d`;
  }

  // ---- links ----

  /** A value quoted for a Temporal visibility query. */
  const quoted = (value) => `"${String(value).replace(/["\\]/g, '\\$&')}"`;
  const running = 'ExecutionStatus="Running"';
  const closed = 'ExecutionStatus="Completed"';
  const broken = '(ExecutionStatus="Failed" OR ExecutionStatus="Terminated" OR ExecutionStatus="TimedOut")';
  const executionOf = { active: running, completed: closed, cancelled: closed, failed: broken };

  /** The Temporal UI's workflow list for `conditions`, always within the caller's organization; null without a UI. */
  function temporalList(conditions) {
    if (!session.config.temporal_ui_url) return null;
    const query = [`HeraOrganizationId=${quoted(session.config.organization_id)}`, ...conditions].join(' AND ');
    return `${temporalBase()}/workflows?query=${encodeURIComponent(query)}`;
  }

  function temporalBase() {
    const base = session.config.temporal_ui_url.replace(/\/+$/, '');
    return `${base}/namespaces/${encodeURIComponent(session.config.temporal_namespace)}`;
  }

  const temporalLink = (text, conditions) => ({ kind: 'temporal', text, href: temporalList(conditions) });
  const apiLink = (text, path, query = {}) => {
    const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== null && value !== undefined));
    const search = params.toString();
    return { kind: 'api', text, href: search ? `${path}?${search}` : path };
  };

  function linkElement({ kind, text, href }, context) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    a.className = `link-${kind}`;
    a.dataset.link = kind;
    a.setAttribute('aria-label', `${context}: ${text}`);
    if (kind === 'temporal') {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
    return a;
  }

  function linksCell(links, context) {
    const wrap = document.createElement('span');
    wrap.className = 'links';
    for (const link of links) if (link.href) wrap.append(linkElement(link, context));
    return wrap;
  }

  // ---- tiles ----

  /** Each tile: the answer's field, how to show it, and where it leads (`now` is the answer's `as_of`). */
  const tiles = {
    'tiles-instances': [
      { metric: 'active_instances', label: 'Active', links: () => [temporalLink('Temporal UI', [running])] },
      {
        metric: 'paused_instances', label: 'Paused',
        links: () => [temporalLink('Temporal UI', [running, 'HeraPaused=true']), apiLink('API', '/api/v1/workflows', { paused: 'true' })],
      },
      {
        metric: 'overdue_instances', label: 'Overdue', alert: true,
        links: (now) => [
          temporalLink('Temporal UI', [running, 'HeraPaused=false', `HeraSlaAt < ${quoted(now.toISOString())}`]),
          apiLink('API', '/api/v1/workflows', { overdue: 'true', paused: 'false' }),
        ],
      },
      {
        metric: 'at_risk_instances', label: 'At risk (SLA in 24 h)', alert: true,
        links: (now) => [
          temporalLink('Temporal UI', [
            running, 'HeraPaused=false',
            `HeraSlaAt >= ${quoted(now.toISOString())}`, `HeraSlaAt < ${quoted(new Date(now.getTime() + 86_400_000).toISOString())}`,
          ]),
        ],
      },
      { metric: 'completed_instances', label: 'Completed', links: () => [temporalLink('Temporal UI (closed)', [closed])] },
      { metric: 'cancelled_instances', label: 'Cancelled', links: () => [temporalLink('Temporal UI (closed)', [closed])] },
      { metric: 'failed_instances', label: 'Failed', alert: true, links: () => [temporalLink('Temporal UI', [broken])] },
    ],
    'tiles-work': [
      {
        metric: 'tasks_open_total', label: 'Open tasks',
        links: () => [apiLink('API: open', '/api/v1/tasks', { task_state: 'OPEN' }), apiLink('API: claimed', '/api/v1/tasks', { task_state: 'CLAIMED' })],
      },
      { metric: 'tasks_overdue', label: 'Overdue tasks', alert: true, links: () => [apiLink('API', '/api/v1/tasks', { overdue: 'true' })] },
      { metric: 'effects_failed', label: 'Effects failed', alert: true, links: () => [apiLink('API', '/api/v1/workflows', { has_failed_effects: 'true' })] },
    ],
    'tiles-sweep': [
      { metric: 'sweep.last_run_at', label: 'Last run', kind: 'time', links: sweepLinks },
      { metric: 'sweep.last_duration_ms', label: 'Last run took', kind: 'ms', links: sweepLinks },
      { metric: 'sweep.runs_24h', label: 'Runs in 24 h', links: sweepLinks },
    ],
  };

  function sweepLinks() {
    return [
      { kind: 'temporal', text: 'Temporal UI', href: session.config.temporal_ui_url ? `${temporalBase()}/schedules/${encodeURIComponent(session.config.sweep_schedule_id)}` : null },
      apiLink('API', '/api/v1/scheduler/health'),
    ];
  }

  const field = (answer, path) => path.split('.').reduce((value, key) => (value && typeof value === 'object' ? value[key] : undefined), answer);

  function buildTiles() {
    for (const [listId, specs] of Object.entries(tiles)) {
      const list = byId(listId);
      list.replaceChildren();
      for (const spec of specs) {
        const item = document.createElement('li');
        item.className = 'tile';
        item.dataset.tile = spec.metric;
        const label = document.createElement('h3');
        label.textContent = spec.label;
        const value = document.createElement('p');
        value.className = 'value';
        value.dataset.metric = spec.metric;
        value.textContent = none;
        const links = document.createElement('p');
        links.className = 'tile-links';
        item.append(label, value, links);
        list.append(item);
      }
    }
  }

  function renderTiles(answer, now) {
    for (const [listId, specs] of Object.entries(tiles)) {
      for (const spec of specs) {
        const item = byId(listId).querySelector(`[data-tile="${spec.metric}"]`);
        const raw = field(answer, spec.metric);
        const value = item.querySelector('.value');
        if (spec.kind === 'time') {
          value.replaceChildren(raw ? timeElement(raw) : none);
        } else {
          value.textContent = spec.kind === 'ms' ? milliseconds(raw) : count(raw);
        }
        item.classList.toggle('alert', Boolean(spec.alert && isNumber(raw) && raw > 0));
        item.querySelector('.tile-links').replaceChildren(linksCell(spec.links(now), spec.label));
      }
    }
  }

  function timeElement(iso) {
    const time = document.createElement('time');
    time.dateTime = iso;
    time.textContent = dateTime.format(new Date(iso));
    return time;
  }

  // ---- tables ----

  function cell(tag, content, className) {
    const element = document.createElement(tag);
    if (tag === 'th') element.scope = 'row';
    if (className) element.className = className;
    element.append(content);
    return element;
  }

  function fillTable(id, rows, columns, emptyText) {
    const body = byId(id).querySelector('tbody');
    body.replaceChildren();
    if (!Array.isArray(rows) || rows.length === 0) {
      const row = document.createElement('tr');
      const only = cell('td', Array.isArray(rows) ? emptyText : `${none} (not reported by this API)`, 'empty');
      only.colSpan = columns;
      row.append(only);
      body.append(row);
      return;
    }
    for (const cells of rows) {
      const row = document.createElement('tr');
      row.append(...cells);
      body.append(row);
    }
  }

  function renderInstances(rows) {
    fillTable('by-state', rows && rows.map((r) => {
      const context = `${r.definition_code} ${r.current_state} (${r.status})`;
      return [
        cell('th', r.definition_code),
        cell('td', r.current_state),
        cell('td', r.status),
        cell('td', count(r.count), 'num'),
        cell('td', count(r.paused), 'num'),
        cell('td', count(r.overdue), 'num'),
        cell('td', linksCell([
          temporalLink('Temporal UI', [executionOf[r.status] || running, `HeraDefinitionCode=${quoted(r.definition_code)}`, `HeraState=${quoted(r.current_state)}`]),
          apiLink('API', '/api/v1/workflows', { definition_code: r.definition_code, current_state: r.current_state }),
        ], context)),
      ];
    }), 7, 'No instances yet');
  }

  function renderTasks(rows) {
    fillTable('tasks-open', rows && rows.map((r) => [
      cell('th', r.assignee_role ?? '(no role)'),
      cell('td', r.priority),
      cell('td', count(r.count), 'num'),
      cell('td', linksCell([apiLink('API', '/api/v1/tasks', { assignee_role: r.assignee_role, priority: r.priority })], `${r.assignee_role ?? 'no role'} ${r.priority}`)),
    ]), 4, 'No open tasks');
  }

  function renderTimeInState(rows) {
    const longest = Math.max(1, ...(rows || []).map((r) => (isNumber(r.p90_seconds) ? r.p90_seconds : 0)));
    fillTable('time-in-state', rows && rows.map((r) => {
      const bar = document.createElement('meter');
      bar.min = 0;
      bar.max = longest;
      bar.value = isNumber(r.p90_seconds) ? r.p90_seconds : 0;
      bar.textContent = duration(r.p90_seconds);
      bar.setAttribute('aria-label', `p90 ${duration(r.p90_seconds)} of the longest ${duration(longest)}`);
      return [
        cell('th', r.definition_code),
        cell('td', r.state),
        cell('td', duration(r.median_seconds), 'num'),
        cell('td', duration(r.p90_seconds), 'num'),
        cell('td', bar, 'bar-col'),
        cell('td', count(r.samples), 'num'),
        cell('td', linksCell([
          temporalLink('Temporal UI', [running, `HeraDefinitionCode=${quoted(r.definition_code)}`, `HeraState=${quoted(r.state)}`]),
        ], `${r.definition_code} ${r.state}`)),
      ];
    }), 7, 'No transitions in the last 7 days');
  }

  // ---- chart ----

  const chartHeight = 180;

  function chartWidth() {
    return Math.max(320, view.chart.clientWidth || view.chart.parentElement.clientWidth);
  }

  function renderThroughput(buckets) {
    if (!Array.isArray(buckets) || buckets.length === 0) {
      view.caption.textContent = `${none} (no throughput reported by this API)`;
      view.chart.setAttribute('aria-label', 'No throughput reported');
      return;
    }
    const data = [
      buckets.map((b) => Date.parse(b.hour) / 1000),
      buckets.map((b) => b.started),
      buckets.map((b) => b.completed),
    ];
    const started = data[1].reduce((a, b) => a + b, 0);
    const completed = data[2].reduce((a, b) => a + b, 0);
    const summary = `${buckets.length} hours: ${numbers.format(started)} started, ${numbers.format(completed)} completed; this hour ${data[1].at(-1)} started, ${data[2].at(-1)} completed.`;
    view.caption.textContent = summary;
    view.chart.setAttribute('aria-label', `Chart of instances started and completed per hour. ${summary}`);
    if (chart) {
      chart.setData(data);
      return;
    }
    chart = new uPlot({
      width: chartWidth(),
      height: chartHeight,
      legend: { live: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ stroke: '#1f2937' }, { stroke: '#1f2937', values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? t : '')) }],
      series: [
        {},
        { label: 'Started', stroke: '#1d4ed8', width: 2, fill: 'rgba(29, 78, 216, 0.08)' },
        { label: 'Completed', stroke: '#047857', width: 2, dash: [6, 3] },
      ],
    }, data, view.chart);
  }

  window.addEventListener('resize', () => {
    if (chart) chart.setSize({ width: chartWidth(), height: chartHeight });
  });

  // ---- refresh ----

  function render(answer) {
    const now = answer.as_of ? new Date(answer.as_of) : new Date();
    renderTiles(answer, now);
    renderInstances(answer.instances);
    renderTasks(answer.tasks_open);
    renderTimeInState(answer.time_in_state);
    renderThroughput(answer.throughput);
  }

  async function refresh() {
    clearTimeout(timer);
    const current = session;
    try {
      const answer = await getJson('/api/v1/metrics/workflows', current.token);
      if (session !== current) return;
      render(answer);
      lastGood = new Date();
      view.updated.replaceChildren('Updated at ', timeOf(lastGood));
      view.banner.hidden = true;
    } catch (error) {
      if (session !== current) return;
      // The last numbers stay on screen; the banner says they are old and why.
      const since = lastGood ? ` Showing the numbers of ${clock.format(lastGood)}.` : '';
      view.banner.textContent = `Refresh failed at ${clock.format(new Date())}: ${error.message}.${since}`;
      view.banner.hidden = false;
    }
    if (session === current) timer = setTimeout(refresh, refreshMs);
  }

  function timeOf(date) {
    const time = document.createElement('time');
    time.id = 'updated-at';
    time.dateTime = date.toISOString();
    time.textContent = clock.format(date);
    return time;
  }

  // ---- session ----

  async function signIn(token) {
    const config = await getJson('/dashboard/config.json', token);
    session = { token, config };
    sessionStorage.setItem(tokenKey, token);
    view.organization.textContent = config.organization_id;
    view.linksNote.hidden = Boolean(config.temporal_ui_url);
    view.signIn.hidden = true;
    view.board.hidden = false;
    view.session.hidden = false;
    buildTiles();
    await refresh();
  }

  function signOut() {
    clearTimeout(timer);
    session = null;
    lastGood = null;
    sessionStorage.removeItem(tokenKey);
    if (chart) chart.destroy();
    chart = null;
    view.board.hidden = true;
    view.session.hidden = true;
    view.banner.hidden = true;
    view.signIn.hidden = false;
    view.token.value = '';
    view.token.focus();
  }

  view.signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = view.token.value.trim();
    view.signInError.hidden = true;
    if (!token) {
      view.signInError.textContent = 'Enter a token.';
      view.signInError.hidden = false;
      return;
    }
    try {
      await signIn(token);
    } catch (error) {
      view.signInError.textContent = `Sign-in failed: ${error.message}`;
      view.signInError.hidden = false;
      view.token.focus();
    }
  });
  byId('sign-out').addEventListener('click', signOut);
  byId('refresh-now').addEventListener('click', () => session && refresh());

  // API links open their answer here: the browser would send no token to a plain link.
  document.addEventListener('click', async (event) => {
    const link = event.target.closest && event.target.closest('a[data-link="api"]');
    if (!link || !session || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const path = link.getAttribute('href');
    byId('api-view-path').textContent = `GET ${path}`;
    const body = byId('api-view-body');
    body.textContent = 'Loading…';
    view.apiView.showModal();
    try {
      body.textContent = JSON.stringify(await getJson(path, session.token), null, 2);
    } catch (error) {
      body.textContent = error.message;
    }
  });
  byId('api-view-close').addEventListener('click', () => view.apiView.close());

  const saved = sessionStorage.getItem(tokenKey);
  if (saved) {
    signIn(saved).catch((error) => {
      sessionStorage.removeItem(tokenKey);
      view.signInError.textContent = `The saved token was refused: ${error.message}`;
      view.signInError.hidden = false;
    });
  }
})();
