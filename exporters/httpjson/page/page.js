// The otelcounters page: one small plot per counter series, from the
// handler's JSON (?format=history), kept and extended in the page.
//
// Counter names and attribute values are untrusted text: they reach the
// document only through textContent and attribute values, never as markup.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const VERSION = 1;
  // The plot's drawing area, in viewBox units.
  const W = 320, H = 110, LEFT = 46, RIGHT = 6, TOP = 8, BOTTOM = 18;

  const state = {
    times: [],            // Unix seconds, oldest first, shared by every line
    keep: 180,            // how many reports to keep
    refresh: 5,           // seconds between requests
    since: null,          // the newest time received
    counters: new Map(),  // name → counter
    failures: 0,
    lastOK: null,
  };
  const root = document.getElementById('counters');
  const status = document.getElementById('status');

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  // --- numbers, units, times ---

  // sig writes x with 4 significant digits and no trailing zeros.
  function sig(x) {
    if (x === 0) return '0';
    const a = Math.abs(x);
    if (a >= 1e-4 && a < 1e15) {
      let s = x.toPrecision(4);
      if (s.includes('e')) s = String(Number(s));
      if (s.includes('.')) s = s.replace(/\.?0+$/, '');
      return s;
    }
    return x.toExponential(3).replace(/\.?0+e/, 'e');
  }

  const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];

  // unitText writes a UCUM unit for people: "1/s" as "/s", "{request}/s" as
  // "request/s", "By" as "B".
  function unitText(u) {
    if (u === '1/s') return '/s';
    return u.replace(/[{}]/g, '').replace(/^By(?=$|\/)/, 'B');
  }

  // quantity returns [number, unit] for v in unit u, scaled for reading:
  // 0.0123 s as 12.3 ms, 12345 B as 12.35 kB, 2500000 as 2.5 M.
  function quantity(v, u) {
    const a = Math.abs(v);
    if (u === 's') {
      if (a === 0 || a >= 1) return [sig(v), 's'];
      if (a >= 1e-3) return [sig(v * 1e3), 'ms'];
      if (a >= 1e-6) return [sig(v * 1e6), 'µs'];
      return [sig(v * 1e9), 'ns'];
    }
    const text = unitText(u);
    if (a >= 1e4) {
      for (const [f, p] of SI) {
        if (a >= f) return [sig(v / f), p + (text.startsWith('/') ? ' ' + text : text)];
      }
    }
    return [sig(v), text];
  }

  function short(v, u) {
    const [n, t] = quantity(v, u);
    return t ? n + ' ' + t : n;
  }

  function windowText(c) {
    if (c.window > 0) {
      const w = c.window;
      if (w % 3600 === 0) return 'window ' + (w / 3600) + ' h';
      if (w % 60 === 0) return 'window ' + (w / 60) + ' min';
      return 'window ' + sig(w) + ' s';
    }
    if (c.kind === 'last') return 'last value';
    if (c.kind === 'event' || c.kind === 'total') return 'since start';
    return '';
  }

  function clock(t) {
    const d = new Date(t * 1000);
    const two = (n) => String(n).padStart(2, '0');
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  // --- the data kept ---

  // merge adds a response to what the page keeps.
  function merge(data) {
    state.keep = data.keep > 0 ? data.keep : state.keep;
    state.refresh = data.refresh > 0 ? data.refresh : state.refresh;
    const before = state.times.length, added = data.times.length;
    for (const t of data.times) state.times.push(t);
    const touched = new Set();
    for (const c of data.counters) {
      let kept = state.counters.get(c.name);
      if (!kept) {
        kept = { name: c.name, series: new Map(), el: null };
        state.counters.set(c.name, kept);
      }
      kept.kind = c.kind; kept.window = c.window; kept.unit = c.unit;
      for (const s of c.series) {
        let ks = kept.series.get(s.id);
        if (!ks) {
          ks = { id: s.id, attrs: s.attrs, lines: new Map(), el: null };
          kept.series.set(s.id, ks);
        }
        ks.seen = state.times.length - 1;
        for (const l of s.lines) {
          let kl = ks.lines.get(l.key);
          if (!kl) {
            kl = { key: l.key, name: l.name, quantile: l.quantile, values: new Array(before).fill(null) };
            ks.lines.set(l.key, kl);
          }
          for (const v of l.values) kl.values.push(v);
          touched.add(kl);
        }
      }
    }
    for (const c of state.counters.values()) {
      for (const s of c.series.values()) {
        for (const l of s.lines.values()) {
          if (!touched.has(l)) for (let i = 0; i < added; i++) l.values.push(null);
        }
      }
    }
    const drop = state.times.length - state.keep;
    if (drop > 0) {
      state.times.splice(0, drop);
      for (const c of state.counters.values()) {
        for (const [id, s] of c.series) {
          s.seen -= drop;
          if (s.seen < 0) { // not reported for as long as the page keeps
            if (s.el) s.el.remove();
            c.series.delete(id);
            continue;
          }
          for (const l of s.lines.values()) l.values.splice(0, drop);
        }
        if (c.series.size === 0) {
          if (c.el) c.el.remove();
          state.counters.delete(c.name);
        }
      }
    }
    if (state.times.length > 0) state.since = state.times[state.times.length - 1];
  }

  // --- drawing ---

  function counterSection(c) {
    const sec = el('section', 'counter');
    const h = el('h2');
    h.appendChild(el('span', 'name', c.name));
    c.metaEl = el('span', 'meta');
    h.appendChild(c.metaEl);
    sec.appendChild(h);
    c.commonEl = el('div', 'common');
    sec.appendChild(c.commonEl);
    c.grid = el('div', 'grid');
    sec.appendChild(c.grid);
    c.el = sec;
    return sec;
  }

  function seriesFigure(s) {
    const fig = el('figure', 'plot');
    fig.setAttribute('data-series', s.id);
    s.capEl = el('figcaption', 'attrs');
    fig.appendChild(s.capEl);
    s.currentEl = el('div', 'current');
    fig.appendChild(s.currentEl);
    s.extraEl = el('div', 'extra');
    fig.appendChild(s.extraEl);
    s.chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': 'recent values of ' + s.id });
    fig.appendChild(s.chart);
    s.readoutEl = el('div', 'readout');
    fig.appendChild(s.readoutEl);
    s.hover = null; // the index of the report under the pointer
    s.chart.addEventListener('mousemove', (ev) => {
      const n = state.times.length;
      if (n === 0 || !s.xOf) return;
      const box = s.chart.getBoundingClientRect();
      const vx = (ev.clientX - box.left) / box.width * W;
      let best = 0;
      for (let i = 1; i < n; i++) if (Math.abs(s.xOf(i) - vx) < Math.abs(s.xOf(best) - vx)) best = i;
      s.hover = best;
      showHover(s);
    });
    s.chart.addEventListener('mouseleave', () => {
      s.hover = null;
      showHover(s);
    });
    s.el = fig;
    return fig;
  }

  // showHover writes the values of the report under the pointer below the
  // plot, and marks its time on the plot.
  function showHover(s) {
    const i = s.hover;
    if (i === null || i >= state.times.length || !s.cursor) {
      s.readoutEl.textContent = '';
      if (s.cursor) s.cursor.setAttribute('visibility', 'hidden');
      return;
    }
    const x = s.xOf(i).toFixed(1);
    s.cursor.setAttribute('x1', x);
    s.cursor.setAttribute('x2', x);
    s.cursor.setAttribute('visibility', 'visible');
    const lines = [...s.lines.values()];
    const main = mainLine(lines);
    const parts = [clock(state.times[i])];
    for (const l of [main, ...lines.filter((l) => l !== main)]) {
      const v = l.values[i];
      const text = v === null ? 'empty' : short(v, s.unit);
      parts.push(l.name === 'value' ? text : l.name + ' ' + text);
    }
    s.readoutEl.textContent = parts.join(' · ');
  }

  function attrChip(k, v) {
    const a = el('span', 'attr');
    a.appendChild(el('span', 'k', k));
    a.appendChild(el('span', 'v', v));
    a.title = k + '=' + v;
    return a;
  }

  // common returns the attributes, as "key=value" texts, that every series
  // of a counter has alike: the counter shows them once, each plot the rest.
  function common(c) {
    if (c.series.size < 2) return new Set();
    let shared = null;
    for (const s of c.series.values()) {
      const mine = new Set(s.attrs.map(([k, v]) => JSON.stringify([k, v])));
      shared = shared === null ? mine : new Set([...shared].filter((a) => mine.has(a)));
    }
    return shared;
  }

  function setChips(e, attrs, none) {
    const sig = JSON.stringify(attrs);
    if (e.sig === sig) return;
    e.sig = sig;
    e.replaceChildren();
    if (attrs.length === 0 && none) e.appendChild(el('span', 'none', none));
    for (const [k, v] of attrs) e.appendChild(attrChip(k, v));
  }

  function last(values) {
    return values.length > 0 ? values[values.length - 1] : null;
  }

  // setValue shows one line's current value in e: a number and a unit, or
  // a dash for an empty window.
  function setValue(e, line, unit, label) {
    e.replaceChildren();
    e.setAttribute('data-key', line.key);
    const v = last(line.values);
    e.setAttribute('data-value', v === null ? '' : String(v));
    if (label) e.appendChild(el('span', 'label', label));
    if (v === null) {
      e.appendChild(el('span', 'num empty', '—'));
      e.title = 'empty window';
      return;
    }
    const [n, u] = quantity(v, unit);
    e.appendChild(el('span', 'num', n));
    if (u) e.appendChild(el('span', 'unit', u));
    e.title = String(v);
  }

  // mainLine is the line whose value is shown large: the value, or the
  // quantile nearest the median.
  function mainLine(lines) {
    let best = lines[0];
    for (const l of lines) {
      if (l.quantile > 0 && (best.quantile === 0 || Math.abs(l.quantile - 0.5) < Math.abs(best.quantile - 0.5))) best = l;
    }
    return best;
  }

  // niceMax rounds up to 1, 2, 2.5 or 5 times a power of ten.
  function niceMax(x) {
    if (!(x > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (x <= m * p * (1 + 1e-12)) return m * p;
    }
    return 10 * p;
  }

  // runs returns the index ranges [from, to] where every one of values has a
  // number: an empty window breaks a line, it does not drop to zero.
  function runs(n, defined) {
    const out = [];
    let from = -1;
    for (let i = 0; i <= n; i++) {
      if (i < n && defined(i)) {
        if (from < 0) from = i;
      } else if (from >= 0) {
        out.push([from, i - 1]);
        from = -1;
      }
    }
    return out;
  }

  function drawChart(s, unit) {
    const lines = [...s.lines.values()];
    const times = state.times;
    const n = times.length;
    const chart = s.chart;
    chart.replaceChildren();
    s.cursor = null;
    let lo = Infinity, hi = -Infinity;
    for (const l of lines) {
      for (const v of l.values) {
        if (v === null) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const t0 = n > 0 ? times[0] : 0, t1 = n > 0 ? times[n - 1] : 1;
    const x = (i) => LEFT + 3 + (n < 2 ? (W - LEFT - RIGHT - 6) : (times[i] - t0) / (t1 - t0 || 1) * (W - LEFT - RIGHT - 6));
    let y0 = 0, y1 = 1;
    if (lo <= hi) {
      if (lo >= 0) {
        y1 = niceMax(hi);
      } else {
        y0 = -niceMax(-lo);
        y1 = hi > 0 ? niceMax(hi) : 0;
      }
      if (y1 === y0) y1 = y0 + 1;
    }
    const y = (v) => TOP + (1 - (v - y0) / (y1 - y0)) * (H - TOP - BOTTOM);
    s.xOf = x;
    s.unit = unit;

    // axes and labels
    chart.appendChild(svg('rect', { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: 'frame' }));
    for (const v of [y0, (y0 + y1) / 2, y1]) {
      chart.appendChild(svg('line', { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: 'gridline' }));
      const t = svg('text', { x: LEFT - 4, y: y(v) + 3, class: 'tick', 'text-anchor': 'end' });
      t.textContent = lo <= hi ? short(v, unit) : '';
      chart.appendChild(t);
    }
    if (n > 0) {
      const a = svg('text', { x: LEFT, y: H - 5, class: 'tick', 'text-anchor': 'start' });
      a.textContent = clock(t0);
      chart.appendChild(a);
      const b = svg('text', { x: W - RIGHT, y: H - 5, class: 'tick', 'text-anchor': 'end' });
      b.textContent = clock(t1);
      chart.appendChild(b);
    }
    if (lo > hi) {
      const t = svg('text', { x: (LEFT + W - RIGHT) / 2, y: (TOP + H - BOTTOM) / 2 + 4, class: 'nodata', 'text-anchor': 'middle' });
      t.textContent = n > 0 ? 'empty window' : 'no report yet';
      chart.appendChild(t);
      return;
    }

    const quantiles = lines.filter((l) => l.quantile > 0).sort((a, b) => a.quantile - b.quantile);
    // bands between neighbouring quantiles, fainter away from the median
    for (let k = 0; k + 1 < quantiles.length; k++) {
      const a = quantiles[k].values, b = quantiles[k + 1].values;
      for (const [from, to] of runs(n, (i) => a[i] !== null && b[i] !== null)) {
        let d = '';
        for (let i = from; i <= to; i++) d += (i === from ? 'M' : 'L') + x(i).toFixed(1) + ',' + y(b[i]).toFixed(1);
        for (let i = to; i >= from; i--) d += 'L' + x(i).toFixed(1) + ',' + y(a[i]).toFixed(1);
        if (from === to) { // one report alone: a short bar
          d = 'M' + (x(from) - 1.5).toFixed(1) + ',' + y(b[from]).toFixed(1) + 'h3V' + y(a[from]).toFixed(1) + 'h-3Z';
        }
        chart.appendChild(svg('path', { d: d + 'Z', class: 'band band' + Math.min(k, 3) }));
      }
    }
    const main = mainLine(lines);
    for (const l of lines) {
      let cls = 'line';
      if (l !== main) cls += l.quantile > 0 ? ' quantile' : ' mean';
      for (const [from, to] of runs(n, (i) => l.values[i] !== null)) {
        if (from === to) {
          chart.appendChild(svg('circle', { cx: x(from), cy: y(l.values[from]), r: 1.8, class: 'dot ' + cls }));
          continue;
        }
        let d = '';
        for (let i = from; i <= to; i++) d += (i === from ? 'M' : 'L') + x(i).toFixed(1) + ',' + y(l.values[i]).toFixed(1);
        chart.appendChild(svg('path', { d: d, class: cls }));
      }
    }
    const v = last(main.values);
    if (v !== null) chart.appendChild(svg('circle', { cx: x(n - 1), cy: y(v), r: 2.5, class: 'dot now' }));
    s.cursor = svg('line', { y1: TOP, y2: H - BOTTOM, x1: 0, x2: 0, class: 'cursor', visibility: 'hidden' });
    chart.appendChild(s.cursor);
    showHover(s);
  }

  function drawSeries(c, s) {
    const lines = [...s.lines.values()];
    const main = mainLine(lines);
    setValue(s.currentEl, main, c.unit, main.quantile > 0 ? main.name : '');
    s.extraEl.replaceChildren();
    for (const l of lines) {
      if (l === main) continue;
      const e = el('span', 'value');
      setValue(e, l, c.unit, l.name);
      s.extraEl.appendChild(e);
    }
    drawChart(s, c.unit);
  }

  function render() {
    const names = [...state.counters.keys()].sort();
    let total = 0;
    for (const name of names) {
      const c = state.counters.get(name);
      if (!c.el) counterSection(c);
      root.appendChild(c.el); // in name order: appending moves it
      c.el.classList.toggle('wide', c.series.size > 1);
      c.metaEl.textContent = [c.kind, windowText(c), unitText(c.unit)].filter((t) => t).join(' · ');
      const ids = [...c.series.keys()].sort();
      const shared = common(c);
      const first = c.series.get(ids[0]);
      setChips(c.commonEl, first.attrs.filter((a) => shared.has(JSON.stringify(a))), '');
      for (const id of ids) {
        const s = c.series.get(id);
        if (!s.el) seriesFigure(s);
        c.grid.appendChild(s.el);
        // "no attributes" only tells a series from its siblings.
        setChips(s.capEl, s.attrs.filter((a) => !shared.has(JSON.stringify(a))), c.series.size > 1 ? 'no attributes' : '');
        drawSeries(c, s);
        total++;
      }
    }
    root.setAttribute('data-reports', String(state.times.length));
    root.setAttribute('data-since', state.since === null ? '' : String(state.since));
    if (names.length === 0) {
      root.replaceChildren(el('p', 'note', 'No counter has reported yet.'));
    } else {
      const note = root.querySelector(':scope > p.note');
      if (note) note.remove();
    }
    return total;
  }

  // --- polling ---

  function setStatus(text, bad) {
    status.textContent = text;
    status.classList.toggle('bad', !!bad);
  }

  async function poll() {
    let url = '?format=history';
    if (state.since !== null) url += '&since=' + encodeURIComponent(String(state.since));
    const resp = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!resp.ok) throw new Error('the server answered ' + resp.status + ' ' + resp.statusText);
    const data = await resp.json();
    if (data.version !== VERSION) throw new Error('the server speaks version ' + data.version + ' of the page\'s JSON; reload the page');
    merge(data);
    return render();
  }

  async function loop() {
    let wait;
    try {
      const n = await poll();
      state.failures = 0;
      state.lastOK = Date.now() / 1000;
      const t = state.since === null ? '' : ' · last report ' + clock(state.since);
      setStatus(n + ' series' + ' · every ' + sig(state.refresh) + ' s' + t);
      wait = state.refresh;
    } catch (err) {
      state.failures++;
      const since = state.lastOK === null ? '' : ' since ' + clock(state.lastOK);
      setStatus('no answer' + since + ' (' + err.message + '); retrying', true);
      wait = Math.min(state.refresh * Math.pow(2, Math.min(state.failures, 5)), 60);
    }
    setTimeout(loop, wait * 1000);
  }

  loop();
})();
