"""Ten sessions at once against the app on localhost: the default analysis and a siting run each.

A real ``streamlit run`` server and ten Chromium contexts (ten browser sessions), all released
together. Prints the median and worst response time seen in the browser, the server's memory, and
how often the server computed what the sessions share (from the cache-info hook,
:mod:`app_support.cache_info`): one data set and road network, one analysis and one set of travel
models for all ten; the sessions ask for two different siting runs (3 and 4 new sites), each
computed once.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import pytest

from tests._app_server import ARGS, CHROMIUM, IDLE, ROOT, streamlit_server

SESSIONS = 10
pytestmark = [
    pytest.mark.benchmark,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
    pytest.mark.skipif(not (ROOT / "data" / "xian").is_dir(), reason="the bundled data set data/xian is missing"),
]


async def _session(browser, url: str, i: int, start: asyncio.Event) -> dict[str, float]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await start.wait()
    t0 = time.perf_counter()
    await page.goto(f"{url}/siting")
    await page.get_by_role("button", name="开始选址").wait_for(timeout=110_000)
    analysis_s = time.perf_counter() - t0
    n = 3 + i % 2
    await page.get_by_label("新址数量").fill(str(n))
    t1 = time.perf_counter()
    await page.get_by_role("button", name="开始选址").click()
    await page.get_by_text(f"推荐新址 {n} 处").wait_for(timeout=110_000)
    siting_s = time.perf_counter() - t1
    await page.wait_for_selector(IDLE, timeout=110_000)
    errors = (await page.locator("[data-testid='stException']").count()
              + await page.get_by_text("出错了").count())
    await context.close()
    return {"analysis_s": analysis_s, "siting_s": siting_s, "errors": float(errors)}


async def _run(url: str, pid: int) -> tuple[list[dict[str, float]], float, float, float]:
    import psutil
    from playwright.async_api import async_playwright

    server = psutil.Process(pid)
    before = server.memory_info().rss
    cpu = server.cpu_times()
    peak = before
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        start = asyncio.Event()
        tasks = [asyncio.create_task(_session(browser, url, i, start)) for i in range(SESSIONS)]
        await asyncio.sleep(1.0)  # every context open before the first request
        start.set()
        while not all(t.done() for t in tasks):
            peak = max(peak, server.memory_info().rss)
            await asyncio.sleep(0.2)
        results = [t.result() for t in tasks]
        # For comparison: one session alone once everything is cached (what contention costs).
        alone = asyncio.Event()
        alone.set()
        results.append(await _session(browser, url, 0, alone))
        await browser.close()
    used = server.cpu_times()
    cpu_s = used.user + used.system - cpu.user - cpu.system
    return results, before / 2**20, peak / 2**20, cpu_s


def test_ten_sessions_at_once(tmp_path: Path) -> None:
    info_file = tmp_path / "cache_info.json"
    started = time.perf_counter()
    with streamlit_server(tmp_path / "server.log", env={"SERVICE_CIRCLES_CACHE_INFO": str(info_file),
                                                        "TMPDIR": str(tmp_path)}) as (url, server):
        results, before_mb, peak_mb, cpu_s = asyncio.run(_run(url, server.pid))
        info = json.loads(info_file.read_text(encoding="utf-8"))
    wall = time.perf_counter() - started
    *results, alone = results
    analysis = [r["analysis_s"] for r in results]
    siting = [r["siting_s"] for r in results]
    print(f"\n{SESSIONS} sessions at once on data/xian, real server + Chromium, {wall:.1f} s in all")
    print(f"page with the default analysis: median {statistics.median(analysis):.2f} s, worst {max(analysis):.2f} s")
    print(f"siting run (mclp, 3 or 4 new sites): median {statistics.median(siting):.2f} s, worst {max(siting):.2f} s")
    print(f"one session alone afterwards (all cached): page {alone['analysis_s']:.2f} s, "
          f"siting {alone['siting_s']:.2f} s")
    print(f"server memory: {before_mb:.0f} MB before, {peak_mb:.0f} MB at peak; server CPU {cpu_s:.1f} s "
          f"(the rest of the wall time is the ten browsers on {os.cpu_count()} cores)")
    models = info.get("travel_models", {})
    print("computed by the server: " + ", ".join(
        f"{kind} {sum(counts.values())} ({len(counts)} key(s))" for kind, counts in sorted(info.items())
        if kind != "travel_models")
        + "; travel models " + ", ".join(f"{m['builds']} built for {m['models']} kept" for m in models.values()))
    assert sum(r["errors"] for r in (*results, alone)) == 0
    # Shared by every session: one data set and network, one analysis, each siting run once.
    assert list(info["datasets"].values()) == [1]
    assert list(info["analyses"].values()) == [1]
    assert sorted(info["siting"].values()) == [1, 1]
    assert models and all(m["builds"] == m["models"] for m in models.values())
