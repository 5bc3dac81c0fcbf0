// The console page: polls the SCP's /api endpoints and renders them. Plain script, no build step.
// Every value from the server goes in through textContent, never as HTML: AE titles, peer names
// and failure messages come from outside.
(() => {
  'use strict';

  // The token arrives in the page's URL (?token=) and is sent back as a header on every call.
  const token = new URLSearchParams(location.search).get('token');
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const $ = (id) => document.getElementById(id);

  async function getJson(path) {
    const res = await fetch(path, { headers, cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(res.status === 401 ? 'token required: open /console?token=…' : body.error || `HTTP ${res.status}`);
    return body;
  }

  // ----------------------------------------------------------------- formatting

  const number = (n, digits = 0) => (n === undefined || n === null ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  function bytes(n) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) (n /= 1000), i++;
    return `${number(n, i === 0 ? 0 : 1)} ${units[i]}`;
  }
  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    return m < 60 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  }
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB') : '');
  const ms = (v) => (v === undefined || v === null ? '–' : v < 10 ? number(v, 1) : number(v, 0));

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }
  function row(cells, attrs = {}) {
    const tr = document.createElement('tr');
    tr.append(...cells);
    for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
    return tr;
  }
  function fill(tbody, rows, emptyText, columns) {
    tbody.replaceChildren(...(rows.length ? rows : [row([Object.assign(cell(emptyText, 'note'), { colSpan: columns })])]));
  }

  // ----------------------------------------------------------------- status

  function setStatus(text, kind) {
    const el = $('status');
    el.textContent = text;
    el.className = `status ${kind}`;
  }

  // ----------------------------------------------------------------- throughput chart

  const chartEl = $('throughput-chart');
  const chart = new uPlot(
    {
      width: chartEl.clientWidth || 800,
      height: 220,
      scales: { x: { time: true }, n: { range: (u, min, max) => [0, Math.max(1, max)] }, mb: { range: (u, min, max) => [0, Math.max(1, max)] } },
      series: [
        {},
        { label: 'instances/s', scale: 'n', stroke: '#2f6fde', width: 2, value: (u, v) => number(v, 1) },
        { label: 'MB/s', scale: 'mb', stroke: '#e07b00', width: 2, value: (u, v) => number(v, 2) },
      ],
      axes: [{}, { scale: 'n', label: 'instances/s' }, { scale: 'mb', side: 1, label: 'MB/s', grid: { show: false } }],
    },
    [[], [], []],
    chartEl,
  );
  addEventListener('resize', () => chart.setSize({ width: chartEl.clientWidth, height: 220 }));

  function renderThroughput(points) {
    chart.setData([points.map((p) => p.t / 1000), points.map((p) => p.instancesPerSecond), points.map((p) => p.megabytesPerSecond)]);
    // What the chart holds, readable without parsing a canvas (the browser test reads these).
    chartEl.dataset.points = String(points.length);
    chartEl.dataset.peakInstances = String(Math.max(0, ...points.map((p) => p.instancesPerSecond)));
    const last = points.at(-1);
    $('tile-instances').textContent = last ? number(last.instancesPerSecond, 1) : '–';
    $('tile-mbps').textContent = last ? number(last.megabytesPerSecond, 2) : '–';
  }

  // ----------------------------------------------------------------- live state

  function renderState(s) {
    setStatus(s.draining ? 'draining' : `live · ${new Date(s.now).toLocaleTimeString('en-GB')}`, s.draining ? 'bad' : 'ok');
    $('tile-associations').textContent = number(s.associations.length);
    $('tile-latency').textContent = s.latency.count ? `${ms(s.latency.p50Ms)} / ${ms(s.latency.p99Ms)} ms` : '–';
    $('tile-queue').textContent = number(s.pool.queueDepth);
    $('tile-paused').textContent = number(s.socketsPaused);
    $('tile-inflight').textContent = bytes(s.pool.bytesInFlight);
    renderThroughput(s.throughput.points);
    fill(
      $('associations').tBodies[0],
      s.associations.map((a) =>
        row([cell(a.callingAeTitle), cell(a.peerAddress), cell(number(a.instancesStored)), cell(bytes(a.bytesReceived)), cell(duration(a.durationMs)), cell(a.state)], { 'data-calling-ae': a.callingAeTitle }),
      ),
      'no association open',
      6,
    );
    fill(
      $('statuses').tBodies[0],
      Object.entries(s.statuses).sort().map(([status, n]) => row([cell(status), cell(number(n))], { 'data-status': status })),
      'none yet',
      2,
    );
  }

  // ----------------------------------------------------------------- jobs

  let study = '';

  function jobRows(job, batchId) {
    const errors = (job.customerErrors ?? 0) + (job.serverErrors ?? 0);
    const failed = job.jobStatus === 'FAILED' || errors > 0;
    const rows = [
      row(
        [
          cell(batchId, 'uid'),
          cell(job.jobId, 'uid'),
          cell(job.jobStatus),
          cell(job.studyInstanceUID, 'uid'),
          cell(number(job.instanceCount)),
          cell(job.imported === undefined ? '' : number(job.imported)),
          cell(job.imported === undefined ? '' : number(errors)),
          cell(time(job.submittedAt)),
          cell(time(job.endedAt)),
        ],
        { 'data-job-id': job.jobId, 'data-job-status': job.jobStatus, class: failed ? 'failed' : '' },
      ),
    ];
    if (job.message && failed) rows.push(row([Object.assign(cell(job.message), { colSpan: 9 })], { class: 'failure' }));
    for (const f of job.failedFiles) rows.push(row([Object.assign(cell(`${f.inputFile}: ${f.exceptionType} — ${f.message}`), { colSpan: 9 })], { class: 'failure' }));
    if (job.failedFilesTruncated) rows.push(row([Object.assign(cell('… more failed files (see the job output in S3)'), { colSpan: 9 })], { class: 'failure' }));
    return rows;
  }

  function renderJobs(body) {
    const tbody = $('jobs').tBodies[0];
    if (!body.configured) {
      $('jobs-note').textContent = 'No jobs table configured: this SCP stores only (run `pnpm start` for the whole pipeline).';
      $('study-search').hidden = true;
      return fill(tbody, [], 'no jobs table', 9);
    }
    if (body.study) {
      $('jobs-note').textContent = `${body.jobs.length} job(s) for study ${body.study}`;
      return fill(tbody, body.jobs.flatMap((j) => jobRows(j, j.batchId)), 'no job for this study', 9);
    }
    $('jobs-note').textContent = `${body.batches.length} recent batch(es)`;
    fill(tbody, body.batches.flatMap((b) => b.jobs.flatMap((j) => jobRows(j, b.batchId))), 'no import job yet', 9);
  }

  $('study-search').addEventListener('submit', (e) => {
    e.preventDefault();
    study = $('study-uid').value.trim();
    void pollJobs();
  });
  $('study-clear').addEventListener('click', () => {
    study = $('study-uid').value = '';
    void pollJobs();
  });

  // ----------------------------------------------------------------- configuration

  function renderConfig(c) {
    $('ae-title').textContent = c.aeTitle;
    const list = (v) => (v.length ? v.join(', ') : 'any');
    const entries = [
      ['AE title', c.aeTitle],
      ['DICOM', c.dicom],
      ['TLS', c.tls],
      ['storage', c.storage],
      ['S3 endpoint', c.s3Endpoint || 'AWS'],
      ['S3 region', c.s3Region || 'SDK default'],
      ['peer CIDRs', list(c.peerCidrs)],
      ['calling AE titles', list(c.callingAeTitles)],
      ['SOP classes', c.sopClasses.length ? c.sopClasses.join(', ') : 'every storage class'],
      ...Object.entries(c.limits).map(([k, v]) => [k, String(v)]),
      ['HTTP', c.http],
      ['console token', c.consoleTokenRequired ? 'required' : 'not required (loopback only)'],
    ];
    $('config').replaceChildren(
      ...entries.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        const dd = document.createElement('dd');
        dt.textContent = k;
        dd.textContent = v;
        return [dt, dd];
      }),
    );
  }

  // ----------------------------------------------------------------- polling

  async function pollState() {
    try {
      renderState(await getJson('/api/state'));
    } catch (err) {
      setStatus(`no answer: ${err.message}`, 'bad');
    }
  }

  async function pollJobs() {
    try {
      renderJobs(await getJson(study ? `/api/jobs?study=${encodeURIComponent(study)}` : '/api/jobs'));
    } catch (err) {
      $('jobs-note').textContent = `jobs unavailable: ${err.message}`;
    }
  }

  getJson('/api/config').then(renderConfig, (err) => setStatus(`no answer: ${err.message}`, 'bad'));
  void pollState();
  void pollJobs();
  setInterval(pollState, 1000);
  setInterval(pollJobs, 3000);
})();
