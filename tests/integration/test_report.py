"""The --report page of a real rollout on the simulator, rendered in headless
Chromium: it loads nothing from anywhere (self-contained), has the three
charts with lines inside their plots that plot what the helper's JSON
progress events said, phase bands in the order the phases ran, a summary
that matches the helper's JSON summary, labels that do not overlap, and a
screenshot with the charts' colors on it. A missing Chromium fails."""
import os
import pathlib
import re
import shutil
import stat
import tempfile
import unittest

import chromium
import testlib
from rollout import new_template_version, run, scenario, simulator

WIDTH = 1000

# Everything the tests look at, gathered by one script in the page.
COLLECT = r"""(() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY,
            width: r.width, height: r.height}; };
  const num = (e, a) => parseFloat(e.getAttribute(a));
  const out = {charts: {}, summary: {}, events: [], phaseKey: '',
               scrollWidth: document.documentElement.scrollWidth,
               resources: performance.getEntriesByType('resource').map(e => e.name)};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const plot = svg.querySelector('rect.plot-area');
    const c = {box: box(svg),
               plot: plot && {x: num(plot, 'x'), y: num(plot, 'y'), width: num(plot, 'width'), height: num(plot, 'height'),
                              box: box(plot)},
               series: [], circles: [], bands: [], texts: []};
    for (const p of svg.querySelectorAll('polyline.series'))
      c.series.push({name: p.dataset.series, kind: p.dataset.kind || '', stroke: p.getAttribute('stroke'),
                     points: Array.from(p.points).map(q => [q.x, q.y]), bbox: (b => [b.width, b.height])(p.getBBox())});
    for (const e of svg.querySelectorAll('circle.point'))
      c.circles.push({name: e.dataset.series, x: num(e, 'cx'), y: num(e, 'cy')});
    for (const e of svg.querySelectorAll('rect.phase-band'))
      c.bands.push({phase: e.dataset.phase, x: num(e, 'x'), y: num(e, 'y'), width: num(e, 'width'), height: num(e, 'height')});
    for (const t of svg.querySelectorAll('text'))
      c.texts.push({cls: t.getAttribute('class') || '', text: t.textContent, x: num(t, 'x'), y: num(t, 'y'), box: box(t)});
    out.charts[svg.id] = c;
  }
  for (const tr of document.querySelectorAll('#summary tr'))
    out.summary[tr.cells[0].textContent] = tr.cells[1].textContent;
  for (const tr of document.querySelectorAll('#events tr'))
    if (tr.cells[0].tagName === 'TD') out.events.push(Array.from(tr.cells).map(td => td.textContent));
  const key = document.getElementById('phase-key');
  out.phaseKey = key ? key.textContent : '';
  return out;
})()"""

SCENARIO_SERVICES = {
    # name: (desired, minimum healthy %, maximum %)
    "web": (8, 100, 200),
    "api": (4, 50, 200),
}


def collapse(seq):
    out = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


def overlaps(a, b, slack=0.5):
    return (a["left"] + slack < b["right"] and b["left"] + slack < a["right"]
            and a["top"] + slack < b["bottom"] and b["top"] + slack < a["bottom"])


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        chromium.executable()  # before the rollout: fail fast without Chromium
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="ecsr-report-"))
        cls.path = cls.tmp / "report.html"
        sc = scenario(instances=4, tasks=8, task_definitions=[
            {"family": "web", "cpu": 256, "memory": 512}, {"family": "api", "cpu": 512, "memory": 1024}])
        sc["services"][0].update(desired=SCENARIO_SERVICES["web"][0])
        sc["services"].append({"cluster": "prod", "name": "api", "task_definition": "api",
                               "desired": SCENARIO_SERVICES["api"][0],
                               "minimum_healthy_percent": SCENARIO_SERVICES["api"][1],
                               "maximum_percent": SCENARIO_SERVICES["api"][2]})
        # 0.02 real seconds per AWS second (twice the usual): the progress
        # events must catch tasks still moving, which a helper starved of CPU
        # on a busy machine can miss when AWS time runs faster.
        with simulator(sc, time_scale=0.02) as sim:
            new_template_version(sim)
            cls.rollout = run(sim, "--batch-size", "2", "--report", str(cls.path))
        if cls.rollout.rc != 0 or not cls.path.is_file():
            raise AssertionError(f"the rollout failed or wrote no report: {cls.rollout!r}")
        cls.events = cls.rollout.events()
        cls.done = cls.rollout.done()
        cls.progress = [e for e in cls.events if e["event"] == "progress"]
        cls.html = cls.path.read_text()
        with chromium.Browser(width=WIDTH, height=900) as b:
            cls.load_events = b.load(cls.path.as_uri())
            cls.page = b.evaluate(COLLECT)
            cls.screenshot = b.screenshot()
            cls.chart_shots = {}
            for cid, c in cls.page["charts"].items():
                bx = c["box"]
                cls.chart_shots[cid] = chromium.decode_png(
                    b.screenshot((bx["left"], bx["top"], bx["width"], bx["height"])))
        (cls.tmp / "report.png").write_bytes(cls.screenshot)
        if os.environ.get("KEEP_TEST_DIRS"):
            print(f"report and screenshot kept in {cls.tmp}", flush=True)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def chart(self, cid):
        self.assertIn(cid, self.page["charts"], f"no <svg id={cid}> chart")
        return self.page["charts"][cid]

    def value_map(self, c):
        """y coordinate -> value, from the chart's own y tick labels: the 0
        label sits at the bottom of the plot, the others proportionally."""
        ticks = sorted((float(t["text"]), t["y"]) for t in c["texts"] if "ytick" in t["cls"])
        self.assertGreaterEqual(len(ticks), 2, "fewer than two y tick labels")
        self.assertEqual(ticks[0][0], 0)
        offset = ticks[0][1] - (c["plot"]["y"] + c["plot"]["height"])
        (v0, y0), (v1, y1) = ticks[0], ticks[-1]
        scale = (y0 - y1) / (v1 - v0)
        for v, y in ticks:
            self.assertAlmostEqual(y0 - (v - v0) * scale, y, delta=0.2, msg="y ticks are not evenly spaced")
        self.assertAlmostEqual(y1 - offset, c["plot"]["y"], delta=0.2, msg="the top tick is not at the top of the plot")
        return lambda y: v0 + (y0 - offset - y) / scale

    def series(self, c, name, kind=""):
        found = [s for s in c["series"] if s["name"] == name and s["kind"] == kind]
        self.assertTrue(found, f"no {name} line in the chart")
        return found

    # ---- the page ----

    def test_report_file_is_private(self):
        self.assertEqual(stat.S_IMODE(self.path.stat().st_mode), 0o600)

    def test_self_contained(self):
        urls = [e["params"]["request"]["url"] for e in self.load_events
                if e["method"] == "Network.requestWillBeSent"]
        self.assertEqual(urls, [self.path.as_uri()], "the page requested more than itself")
        self.assertEqual(self.page["resources"], [])
        for pattern in (r"<script", r"<link", r"<img", r"<iframe", r"<object", r"\ssrc=", r"\shref=",
                        r"url\(", r"@import"):
            self.assertNotRegex(self.html, pattern)

    def test_the_request_watch_sees_external_requests(self):
        """The check above can fail: a page that loads things is caught."""
        page = self.tmp / "external.html"
        page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="http://example.com/a.css">'
                        '<style>body{background:url(https://example.org/b.png)}</style></head>'
                        '<body><img src="http://example.net/c.png"></body></html>')
        with chromium.Browser(width=400, height=300) as b:
            events = b.load(page.as_uri())
        urls = {e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"}
        for u in ("http://example.com/a.css", "https://example.org/b.png", "http://example.net/c.png"):
            self.assertIn(u, urls)

    def test_no_console_errors(self):
        bad = [e for e in self.load_events if e["method"] in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled")
               or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))]
        self.assertEqual(bad, [])

    def test_summary_matches_the_helper_json(self):
        s, d = self.page["summary"], self.done
        self.assertEqual(d["result"], "done")
        self.assertEqual(s["Result"], d["result"])
        self.assertEqual(s["Message"], d["message"])
        for label, key in (("Instances replaced", "replaced"), ("Instances launched", "launched"),
                           ("Tasks moved", "tasks_moved"), ("Standalone tasks stopped", "tasks_stopped"),
                           ("Batches", "batches"), ("AWS requests", "aws_requests")):
            self.assertEqual(int(s[label]), d[key], label)
        self.assertEqual(d["replaced"], 4)
        self.assertEqual(d["batches"], 2)

    def test_event_table_lists_every_event(self):
        expected = [e for e in self.events if e["event"] != "progress"]
        rows = self.page["events"]
        self.assertEqual(len(rows), len(expected))
        self.assertEqual([r[1] for r in rows], [e.get("phase", "") for e in expected])
        self.assertEqual(rows[-1][2], "done")
        times = [float(re.fullmatch(r"\+(\d+\.\d+)s", r[0]).group(1)) for r in rows]
        self.assertEqual(times, sorted(times))

    # ---- the charts ----

    def test_three_charts_with_lines_inside_their_plots(self):
        for cid in ("instances", "tasks", "services"):
            c = self.chart(cid)
            self.assertIsNotNone(c["plot"], f"{cid}: no plot area")
            p = c["plot"]
            lines = [s for s in c["series"] if len(s["points"]) >= 2]
            self.assertTrue(lines or c["circles"], f"{cid}: nothing plotted")
            for s in c["series"]:
                self.assertGreaterEqual(len(s["points"]), 2, f"{cid}/{s['name']}: a line of one point")
                self.assertGreater(s["bbox"][0], 0, f"{cid}/{s['name']}: a line of no width")
                for x, y in s["points"]:
                    self.assertTrue(p["x"] - 0.01 <= x <= p["x"] + p["width"] + 0.01, f"{cid}/{s['name']}: x {x}")
                    self.assertTrue(p["y"] - 0.01 <= y <= p["y"] + p["height"] + 0.01, f"{cid}/{s['name']}: y {y}")
                xs = [x for x, _ in s["points"]]
                self.assertEqual(xs, sorted(xs), f"{cid}/{s['name']}: goes back in time")
            for e in c["circles"]:
                self.assertTrue(p["x"] <= e["x"] <= p["x"] + p["width"] and p["y"] <= e["y"] <= p["y"] + p["height"])
        self.assertTrue(self.chart("instances")["series"] and self.chart("tasks")["series"])

    def test_instance_and_task_lines_plot_the_progress_events(self):
        inst = self.chart("instances")
        value = self.value_map(inst)
        for name, key in (("current", "current"), ("out-of-date", "outdated"), ("draining", "draining"),
                          ("desired-capacity", "desired_capacity")):
            (line,) = self.series(inst, name)
            plotted = {round(value(y), 3) for _, y in line["points"]}
            self.assertEqual(plotted, {float(e[key]) for e in self.progress}, name)
        tasks = self.chart("tasks")
        (line,) = self.series(tasks, "tasks-to-move")
        value = self.value_map(tasks)
        self.assertEqual({round(value(y), 3) for _, y in line["points"]},
                         {float(e["tasks_to_move"]) for e in self.progress})
        self.assertGreater(max(e["tasks_to_move"] for e in self.progress), 0)

    def test_service_counts_stay_within_their_deployment_limits(self):
        c = self.chart("services")
        value = self.value_map(c)
        for name, (desired, min_pct, max_pct) in SCENARIO_SERVICES.items():
            running = [round(value(e["y"]), 3) for e in c["circles"] if e["name"] == name]
            self.assertTrue(running, f"no point for service {name}")
            for v in running:
                self.assertTrue(desired * min_pct / 100 <= v <= desired * max_pct / 100, f"{name}: {v}")
            for line in [s for s in c["series"] if s["name"] == name and s["kind"] == "desired"]:
                self.assertEqual({round(value(y), 3) for _, y in line["points"]}, {float(desired)})
        legend = {t["text"] for t in c["texts"] if t["cls"] == "legend-label"}
        self.assertTrue(set(SCENARIO_SERVICES) <= legend, legend)

    def test_phase_bands_follow_the_phases_that_ran(self):
        ran = collapse(e["phase"] for e in self.progress)
        self.assertTrue({"scale-out", "drain", "terminate"} <= set(ran), ran)
        for cid in ("instances", "tasks", "services"):
            c = self.chart(cid)
            bands = c["bands"]
            self.assertEqual(collapse(b["phase"] for b in bands), ran, cid)
            p = c["plot"]
            for a, b in zip(bands, bands[1:]):
                self.assertAlmostEqual(a["x"] + a["width"], b["x"], delta=0.15, msg=f"{cid}: gap between bands")
            for b in bands:
                self.assertGreaterEqual(b["x"], p["x"] - 0.01)
                self.assertLessEqual(b["x"] + b["width"], p["x"] + p["width"] + 0.01)
                self.assertEqual((b["y"], b["height"]), (p["y"], p["height"]))
            self.assertAlmostEqual(bands[-1]["x"] + bands[-1]["width"], p["x"] + p["width"], delta=0.15)
        for phase in ran:
            self.assertIn(phase, self.page["phaseKey"])

    def test_axes_are_labelled_with_distinct_increasing_ticks(self):
        for cid, c in self.page["charts"].items():
            kinds = [t["cls"] for t in c["texts"]]
            self.assertEqual(kinds.count("axis-title"), 2, f"{cid}: an axis has no title")
            self.assertEqual(kinds.count("chart-title"), 1, cid)
            ys = [float(t["text"]) for t in c["texts"] if "ytick" in t["cls"]]
            self.assertEqual(ys, sorted(set(ys)), f"{cid}: y ticks {ys}")
            self.assertTrue(all(v == int(v) for v in ys), f"{cid}: counts with fractions {ys}")
            xs = [t["text"] for t in c["texts"] if "xtick" in t["cls"]]
            self.assertGreaterEqual(len(xs), 3, f"{cid}: x ticks {xs}")
            self.assertEqual(len(xs), len(set(xs)), f"{cid}: repeated x tick labels {xs}")
            secs = [float(re.fullmatch(r"(\d+(?:\.\d+)?)s", x).group(1)) for x in xs]
            self.assertEqual(secs, sorted(secs), f"{cid}: x ticks {xs}")

    def test_no_text_overlaps_and_labels_stay_out_of_the_plot(self):
        for cid, c in self.page["charts"].items():
            texts = [t for t in c["texts"] if t["text"].strip()]
            for i, a in enumerate(texts):
                for b in texts[i + 1:]:
                    self.assertFalse(overlaps(a["box"], b["box"]),
                                     f"{cid}: {a['text']!r} ({a['cls']}) overlaps {b['text']!r} ({b['cls']})")
            plot = c["plot"]["box"]
            svg = c["box"]
            for t in texts:
                self.assertFalse(overlaps(t["box"], plot, slack=1), f"{cid}: {t['text']!r} ({t['cls']}) is inside the plot")
                inside = (svg["left"] - 0.5 <= t["box"]["left"] and t["box"]["right"] <= svg["right"] + 0.5
                          and svg["top"] - 0.5 <= t["box"]["top"] and t["box"]["bottom"] <= svg["bottom"] + 0.5)
                self.assertTrue(inside, f"{cid}: {t['text']!r} is cut off at the chart's edge")

    def test_charts_are_not_squashed_and_the_page_fits(self):
        for cid, c in self.page["charts"].items():
            self.assertGreaterEqual(c["box"]["width"], 800, cid)
            self.assertGreaterEqual(c["plot"]["box"]["height"], 150, cid)
            self.assertLessEqual(c["box"]["right"], WIDTH, cid)
        self.assertLessEqual(self.page["scrollWidth"], WIDTH, "the page scrolls sideways")

    def test_screenshot_shows_the_charts(self):
        def near(px, rgb, tol=40):
            return all(abs(a - b) <= tol for a, b in zip(px, rgb))

        colors = {
            "instances": {"current": (0x15, 0x65, 0xc0), "out of date": (0xc6, 0x28, 0x28),
                          "draining": (0xef, 0x6c, 0x00), "drain band": (0xff, 0xf3, 0xe0)},
            "tasks": {"tasks to move": (0x6a, 0x1b, 0x9a), "scale-out band": (0xe3, 0xf2, 0xfd)},
            "services": {"web": (0x15, 0x65, 0xc0), "api": (0xc6, 0x28, 0x28)},
        }
        for cid, wanted in colors.items():
            width, height, rows = self.chart_shots[cid]
            self.assertGreater(width * height, 100000, cid)
            pixels = [px for row in rows for px in row]
            non_white = sum(1 for px in pixels if min(px) < 235)
            frac = non_white / len(pixels)
            self.assertTrue(0.05 < frac < 0.95, f"{cid}: {frac:.1%} of the chart is not white")
            for what, rgb in wanted.items():
                count = sum(1 for px in pixels if near(px, rgb, 12 if "band" in what else 40))
                self.assertGreater(count, 30, f"{cid}: the {what} color is (almost) absent")


if __name__ == "__main__":
    testlib.main()
