"""The dashboard in Debian's chromium, driven by playwright (scripts/web-test.sh).

Signs in as each role, walks the pages it may see and checks what it must and
must not see, switches a route off and on as compliance, switches to Chinese,
signs out, and files a complaint without an account. Every page visited is
screenshotted to $WEB_SHOTS/<role>-<page>.png. Each check runs on its own; the
script reports every failure and exits 1 if there was one.

Environment: WEB_BASE (http://127.0.0.1:PORT), WEB_PASSWORD_FILE (lines
"role account password"), WEB_ADMIN_TOKEN, WEB_SHOTS.
"""

import datetime
import json
import os
import re
import sqlite3
import sys
import traceback
import urllib.request

from playwright.sync_api import Page, expect, sync_playwright

# How the header names each role (templates/i18n.toml, English).
ROLE_LABEL = {
    "admin": "administrator",
    "compliance": "compliance",
    "engineer": "engineer",
    "auditor": "auditor",
    "recipient": "overseas recipient",
    "regulator": "regulator",
    "association": "industry association",
}

BASE = os.environ["WEB_BASE"].rstrip("/")
SHOTS = os.environ["WEB_SHOTS"]
TOKEN = os.environ["WEB_ADMIN_TOKEN"]
ACCOUNTS = {}
with open(os.environ["WEB_PASSWORD_FILE"], encoding="utf-8") as f:
    for line in f:
        role, name, pw = line.split()
        ACCOUNTS[role] = (name, pw)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Roles that may read each thing (outbound-server's access table).
READS_STATUS = {"admin", "compliance", "engineer", "auditor", "regulator"}
READS_TRANSFERS = READS_STATUS | {"recipient"}
READS_COMPLAINTS = {"admin", "compliance", "auditor"}
SWITCHES_ROUTES = {"admin", "compliance"}
READS_OBLIGATIONS = {"admin", "compliance", "auditor", "recipient", "regulator"}
READS_INCIDENTS = {"admin", "compliance", "auditor", "regulator"}
SCANS = {"admin", "compliance", "engineer", "auditor"}
READS_REQUESTS = {"admin", "compliance", "auditor", "recipient"}
HANDLES_REQUESTS = {"admin", "compliance"}
INCIDENT_TITLE = "Synthetic browser test: analytics bucket left public"
ROUTE = "crm-to-parent"  # a lumen-inc transfer: every reader of transfers sees it

failures = []


def api(path):
    req = urllib.request.Request(BASE + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def api_post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 201, f"POST {path}: {r.status}"
        return json.load(r)


def new_page(browser) -> Page:
    """A fresh context (no cookies) and page; a missing element fails in 10 s, not 30."""
    ctx = browser.new_context()
    ctx.set_default_timeout(10_000)
    return ctx.new_page()


def shot(page: Page, role: str, name: str):
    page.screenshot(path=f"{SHOTS}/{role}-{name}.png", full_page=True)


def goto(page: Page, path: str, status: int = 200):
    resp = page.goto(BASE + path)
    assert resp is not None, f"no response for {path}"
    assert resp.status == status, f"GET {path}: {resp.status}, expected {status}"
    return resp


def check(name):
    """Runs a check; records its failure instead of stopping the run."""

    def wrap(fn):
        def run(*a, **kw):
            try:
                fn(*a, **kw)
                print(f"ok   {name}")
            except Exception as e:  # noqa: BLE001 - every failure is reported
                print(f"FAIL {name}: {e}")
                traceback.print_exc(limit=3)
                failures.append(name)

        return run

    return wrap


def sign_in(page: Page, role: str):
    name, pw = ACCOUNTS[role]
    goto(page, "/login")
    page.fill("#name", name)
    page.fill("#password", pw)
    page.click("#sign-in")
    page.wait_for_load_state()
    assert page.url == BASE + "/", f"{role}: after sign-in at {page.url}"
    expect(page.locator("#who")).to_have_text(name)
    expect(page.locator("header .who")).to_contain_text(f"role: {ROLE_LABEL[role]}")


def overview_rows(page: Page):
    """(id, recipient) per row of the overview's transfer table."""
    rows = []
    for tr in page.locator("#transfers tr").all()[1:]:
        cells = tr.locator("td").all()
        rows.append(
            (
                cells[0].locator("span.muted").inner_text().strip(),
                cells[2].inner_text().split()[0],
            )
        )
    return rows


def sign_out(page: Page, role: str):
    page.click("#sign-out")
    page.wait_for_load_state()
    assert page.url == BASE + "/login", f"{role}: after sign-out at {page.url}"
    goto(page, "/")
    assert page.url == BASE + "/login", f"{role}: / after sign-out at {page.url}, not /login"


@check("public: a complaint without an account gets a tracking number")
def complaint(browser, out):
    page = new_page(browser)
    goto(page, "/complain")
    shot(page, "public", "complain")
    page.fill("#text", "Synthetic test: my order history may have gone abroad.")
    page.fill("#transfer", ROUTE)
    with page.expect_navigation() as nav:
        page.click("#send")
    assert nav.value.status == 201, f"complaint POST answered {nav.value.status}"
    tracking = page.locator("#tracking").inner_text()
    assert re.fullmatch(r"C-[0-9a-f]{16}", tracking), f"tracking number {tracking!r}"
    assert tracking not in page.url
    shot(page, "public", "complain-done")
    out["tracking"] = tracking
    page.context.close()


@check("public: a wrong password shows the error and no session")
def wrong_password(browser):
    page = new_page(browser)
    goto(page, "/login")
    shot(page, "public", "login")
    page.fill("#name", ACCOUNTS["admin"][0])
    page.fill("#password", "not-the-password")
    with page.expect_navigation() as nav:
        page.click("#sign-in")
    assert nav.value.status == 401, f"wrong password answered {nav.value.status}"
    expect(page.locator("#login-error")).to_contain_text("wrong")
    assert "not-the-password" not in page.url
    shot(page, "public", "login-error")
    goto(page, "/")
    assert page.url == BASE + "/login", "a failed sign-in opened a session"
    # The sign-in form without its CSRF cookie's token: refused.
    r = page.request.post(
        BASE + "/login",
        form={"csrf": "0" * 32, "name": ACCOUNTS["admin"][0], "password": ACCOUNTS["admin"][1]},
        max_redirects=0,
    )
    assert r.status == 403, f"sign-in with a wrong CSRF token answered {r.status}"
    page.context.close()


def verify_now(page: Page):
    """Admin: "Verify now" on /audit starts a job; its page refreshes until done."""
    goto(page, "/audit")
    page.click("#verify-now")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[^/]+$", page.url), f"after Verify now at {page.url}"
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#job-state")).to_have_text("done")
    expect(page.locator("#job-result #verify-intact")).to_be_visible()
    entries = int(page.locator("#verify-entries").inner_text())
    assert entries > 0, f"verified {entries} entries"
    shot(page, "admin", "job-verify")


def supervision(page: Page, role: str, incident: str, other_recipient: str):
    """The overview's supervision sections, the incident register, a
    recipient's obligations and the scan form, each for the roles allowed."""
    goto(page, "/")
    behind = page.locator("#recipients-behind")
    if role in READS_OBLIGATIONS:
        # The demo leaves lumen-inc's obligations overdue but one.
        expect(behind.locator("a[href='/recipients/lumen-inc']")).to_have_count(1)
    else:
        expect(behind).to_have_count(0)
    pending = page.locator("#pending-incidents")
    if role in READS_INCIDENTS:
        row = pending.locator("tr", has=page.locator(f"a[href='/incidents#incident-{incident}']"))
        expect(row).to_contain_text(INCIDENT_TITLE)
        expect(row).to_contain_text("running")
        shot(page, role, "overview-supervision")
        goto(page, "/incidents")
        card = page.locator(f"#incident-{incident}")
        expect(card).to_contain_text(INCIDENT_TITLE)
        expect(card.locator("table.clocks")).to_contain_text("eu-gdpr33-authority")
        shot(page, role, "incidents")
    else:
        expect(pending).to_have_count(0)
        goto(page, "/incidents", 403)
        shot(page, role, "incidents-403")

    if role in READS_OBLIGATIONS:
        goto(page, "/recipients/lumen-inc")
        rows = page.locator("#obligations tr[id^='ob-']")
        assert rows.count() > 0, f"{role}: no obligations on /recipients/lumen-inc"
        expect(page.locator("#obligations")).to_contain_text("overdue")
        assert (page.locator("#attest").count() == 1) == (role in {"admin", "recipient"}), (
            f"{role}: attestation form shown={page.locator('#attest').count()}"
        )
        shot(page, role, "recipient")
        if role == "recipient":
            goto(page, f"/recipients/{other_recipient}", 404)
            shot(page, role, "other-recipient-404")
    else:
        goto(page, "/recipients/lumen-inc", 403)

    # The demo's deletion request reached lumen-inc (answered) and metricly (open).
    if role in READS_REQUESTS:
        goto(page, "/")
        expect(page.locator("#requests-open")).to_contain_text("req-0001")
        goto(page, "/requests")
        expect(page.locator("#request-req-0001")).to_have_count(1)
        goto(page, "/requests/req-0001")
        expect(page.locator("#part-lumen-inc")).to_have_count(1)
        expect(page.locator("#part-metricly")).to_have_count(0 if role == "recipient" else 1)
        assert (page.locator("#actions").count() == 1) == (role in HANDLES_REQUESTS), (
            f"{role}: request actions shown={page.locator('#actions').count()}"
        )
        shot(page, role, "request")
    else:
        goto(page, "/requests", 403)
        shot(page, role, "requests-403")

    # The demo's desk review of metricly: one open high finding, the score with its inputs.
    if role in READS_OBLIGATIONS and role != "recipient":
        goto(page, "/recipients/metricly")
        expect(page.locator("#review-list")).to_contain_text("Backups are not encrypted")
        expect(page.locator("#risk-inputs tr[id^='risk-']")).to_have_count(6)
        shot(page, role, "recipient-reviews")

    if role in ("admin", "auditor"):
        # The map, with the digest each batch's audit entry records of it.
        goto(page, "/map")
        expect(page.locator("#map-digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        shot(page, role, "map")

    if role in SCANS:
        goto(page, "/scans")
        expect(page.locator("#scan-file")).to_be_attached()
        expect(page.locator("#scan-target")).to_be_visible()
        expect(page.locator("#scan-start")).to_be_visible()
        shot(page, role, "scans")
    else:
        goto(page, "/scans", 403)
        shot(page, role, "scans-403")


def walk(browser, role, all_transfers, tracking, incident):
    """Signs in as `role` and walks the pages; returns nothing, raises on a failure."""
    page = new_page(browser)
    sign_in(page, role)
    shot(page, role, "overview")

    rows = overview_rows(page)
    if role == "recipient":
        own = sorted(i for i, r in all_transfers.items() if r == "lumen-inc")
        assert own, "the demo map has lumen-inc transfers"
        assert sorted(i for i, _ in rows) == own, f"recipient sees {rows}"
        assert {r for _, r in rows} == {"lumen-inc"}, f"recipient sees others: {rows}"
    elif role in READS_TRANSFERS:
        assert sorted(i for i, _ in rows) == sorted(all_transfers), f"{role} sees {len(rows)} rows"
    else:
        assert rows == [], f"{role} sees transfers: {rows}"
    assert (page.locator("#thresholds").count() == 1) == (role in READS_STATUS), (
        f"{role}: threshold table shown={page.locator('#thresholds').count()}"
    )

    # A transfer page: determinations for readers, 404 for the others.
    if role in READS_TRANSFERS:
        goto(page, f"/transfers/{ROUTE}")
        expect(page.locator("h1")).to_contain_text(ROUTE)
        expect(page.locator("#route-state")).to_have_text("active")
        assert page.locator("h2", has_text="Determinations").count() == 1
        switches = page.locator("#route-switch").count()
        assert switches == (1 if role in SWITCHES_ROUTES else 0), f"{role}: {switches} route switches"
        shot(page, role, "transfer")
    else:
        goto(page, f"/transfers/{ROUTE}", 404)
        shot(page, role, "transfer-404")
    if role == "recipient":
        other = next(i for i, r in sorted(all_transfers.items()) if r != "lumen-inc")
        goto(page, f"/transfers/{other}", 404)
        shot(page, role, "other-transfer-404")

    goto(page, "/audit")
    size = int(page.locator("#log-size").inner_text())
    assert size > 0, f"audit log size {size}"
    shot(page, role, "audit")
    if role == "admin":
        verify_now(page)

    other = next(r for _, r in sorted(all_transfers.items()) if r != "lumen-inc")
    supervision(page, role, incident, other)

    has_link = page.locator("header nav a[href='/complaints']").count() == 1
    assert has_link == (role in READS_COMPLAINTS), f"{role}: complaints link shown={has_link}"
    if role in READS_COMPLAINTS:
        goto(page, "/complaints")
        if tracking:
            expect(page.locator("#complaints")).to_contain_text(tracking)
        shot(page, role, "complaints")
    else:
        goto(page, "/complaints", 403)
        shot(page, role, "complaints-403")

    if role == "admin":
        chinese(page)
    if role == "compliance":
        switch_route(page)

    sign_out(page, role)
    shot(page, role, "signed-out")
    page.context.close()


def chinese(page: Page):
    goto(page, "/")
    page.click("#lang-switch")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("概览")
    header = page.locator("header").inner_text()
    for zh in ["审计日志", "退出", "当前用户"]:
        assert zh in header, f"{zh!r} missing from the Chinese header: {header!r}"
    for en in ["Overview", "Sign out", "Audit log"]:
        assert en not in page.locator("body").inner_text(), f"English {en!r} on the Chinese overview"
    shot(page, "admin", "overview-zh")
    # The choice is remembered across pages.
    goto(page, f"/transfers/{ROUTE}")
    expect(page.locator("#route-state")).to_have_text("运行中")
    expect(page.locator("h2").first).to_have_text("判定结果")
    # The demo's batches were judged under the map this server holds.
    judged = page.locator("#batches .map-judged")
    assert judged.count() >= 1, "the demo's batch is missing"
    for i in range(judged.count()):
        expect(judged.nth(i)).to_have_attribute("data-map", "current")
        expect(judged.nth(i)).to_have_text("本数据地图")
    shot(page, "admin", "transfer-zh")
    # A transfer three regimes judge: side by side, with their conflict, all in Chinese.
    goto(page, "/transfers/us-parcels-hk")
    expect(page.locator("#regimes tr")).to_have_count(4)
    expect(page.locator("#conflicts")).to_contain_text("法域之间的冲突")
    body = page.locator("main").inner_text()
    for en in ["the recipient", "covered person", "is judged", "standard contractual clauses are"]:
        assert en not in body, f"English {en!r} on the Chinese transfer page"
    shot(page, "admin", "transfer-three-regimes-zh")
    goto(page, "/audit")
    expect(page.locator("h1")).to_have_text("审计日志")
    shot(page, "admin", "audit-zh")
    scan_in_chinese(page)
    goto(page, "/?lang=en")
    expect(page.locator("h1")).to_contain_text("Overview")


def synthetic_contacts():
    """JSON lines whose `contacts` are keyed by (synthetic) people's names:
    keys no data map can declare. Returns the bytes and the raw values."""
    names = ["张伟", "王芳", "李娜"]
    lines, values = [], list(names)
    for i in range(30):
        mobile = f"1381234{i:04d}"
        row = {"customer_id": f"C{i:05d}", "mobile": mobile, "contacts": {names[i % 3]: "主要联系人"}}
        lines.append(json.dumps(row, ensure_ascii=False))
        values.append(mobile)
    return ("\n".join(lines) + "\n").encode("utf-8"), values


def run_scan(page: Page, name: str, mime: str, data: bytes, target: str):
    """Starts a scan of `data` (uploaded as `name`) against `target` from
    the form and waits on the job page until it is done."""
    goto(page, "/scans")
    page.set_input_files("#scan-file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.select_option("#scan-target", target)
    page.click("#scan-start")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[^/]+$", page.url), f"after the scan form at {page.url}"
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)


def csv_bytes(rows) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def scan_in_chinese(page: Page):
    """A scan started from the form, read in Chinese: target, kinds and the
    name-key finding in Chinese, and no value or name from the file."""
    data, values = synthetic_contacts()
    run_scan(page, "contacts.jsonl", "application/x-ndjson", data, "dataset:customers")
    expect(page.locator("#scan-against")).to_have_text("数据集 customers")
    expect(page.locator("#scan-totals")).to_contain_text("手机号码")
    findings = page.locator("#scan-findings")
    expect(findings).to_contain_text("contacts.{person_name}")
    expect(findings).to_contain_text("字段名本身是个人信息")
    body = page.locator("main").inner_text()
    for en in ["dataset", "cn_mobile", "Telephone", "Mobile"]:
        assert en not in body, f"English {en!r} on the Chinese scan page"
    for v in values:
        assert v not in page.content(), "a value from the file is on the page"
    shot(page, "admin", "job-scan-zh")
    # The same job in English: the same words from the English catalogue.
    job = page.url[len(BASE):].split("?")[0]
    goto(page, job + "?lang=en")
    expect(page.locator("#scan-against")).to_have_text("dataset customers")
    expect(page.locator("#scan-totals")).to_contain_text("Mobile number")
    expect(page.locator("#scan-findings")).to_contain_text("field names that are personal information")
    body = page.locator("main").inner_text()
    for zh in ["数据集", "手机号码", "字段名"]:
        assert zh not in body, f"Chinese {zh!r} on the English scan page"
    for v in values:
        assert v not in page.content(), "a value from the file is on the page"
    shot(page, "admin", "job-scan-en")
    scan_order_numbers(page)


def scan_order_numbers(page: Page):
    """19-digit order numbers, a few of which pass Luhn, and 11-digit user
    numbers from 1, most of which pass as mobiles: the fields table says
    those matches are likely chance, each with its reason, and shows no
    number."""
    rows, orders, x = ["customer_id,order_no,user_no"], [], 0x9E3779B97F4A7C15
    for i in range(400):
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        order, user = str(10**18 + x % (9 * 10**18)), str(10**10 + (x >> 7) % 10**10)
        rows.append(f"C{i:05d},{order},{user}")
        orders += [order, user]
    run_scan(page, "orders.csv", "text/csv", csv_bytes(rows), "dataset:customers")
    chance = page.locator("#scan-fields .by-chance")
    expect(chance).to_have_count(2)
    expect(chance.nth(0)).to_contain_text("fail Luhn")
    expect(chance.nth(1)).to_contain_text("start with 10–12")
    content = page.content()
    for o in orders:
        assert o not in content, "an order or user number is on the page"
    shot(page, "admin", "job-scan-orders")
    # The same order numbers against the example's `orders`, whose
    # `order_id` declares not_kinds: [bank_card]: set aside, not chance.
    rows = ["order_id,customer_id"] + [f"{o},C{i:05d}" for i, o in enumerate(orders[0::2])]
    run_scan(page, "orders-declared.csv", "text/csv", csv_bytes(rows), "dataset:orders")
    expect(page.locator("#scan-fields .set-aside")).to_contain_text("set aside by the map")
    expect(page.locator("#scan-fields .by-chance")).to_have_count(0)
    content = page.content()
    for o in orders:
        assert o not in content, "an order or user number is on the page"
    shot(page, "admin", "job-scan-set-aside")
    scan_database(page)


def scan_database(page: Page):
    """The server's database `shop-crm` (an SQLite file written here with
    synthetic customers and an undeclared `backup_phone`) scanned from the
    form: its table read, the undeclared column found, in both languages,
    and neither a value nor the database's location on any page."""
    path = os.environ["WEB_SCAN_DB"]
    values = []
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (customer_id TEXT, mobile TEXT, backup_phone TEXT)")
        db.execute("CREATE VIEW reachable AS SELECT mobile FROM customers")
        for i in range(60):
            row = (f"C{i:05d}", f"1381234{i:04d}", f"1391111{i:04d}")
            db.execute("INSERT INTO customers VALUES (?, ?, ?)", row)
            values += row[1:]
    goto(page, "/scans?lang=en")
    expect(page.locator("#scan-db-form")).to_be_visible()
    assert "sqlite:" not in page.content() and path not in page.content(), "the URL is on the page"
    shot(page, "admin", "scans-with-database")
    page.select_option("#scan-source", "shop-crm")
    page.select_option("#scan-db-target", "dataset:customers")
    page.click("#scan-db-start")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[^/]+$", page.url), f"after the database form at {page.url}"
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#scan-source")).to_have_text("shop-crm")
    read = page.locator("#scan-tables-read")
    expect(read).to_contain_text("customers")
    expect(read).to_contain_text("every row")
    expect(page.locator("#scan-skipped")).to_contain_text("reachable")
    expect(page.locator("#scan-undeclared")).to_contain_text("backup_phone")
    content = page.content()
    for v in values:
        assert v not in content, "a value from the database is on the page"
    assert "sqlite:" not in content and path not in content, "the URL is on the page"
    # The line that would declare the column, behind a summary.
    page.click("#scan-suggestion summary")
    expect(page.locator("#scan-suggestion pre")).to_have_text(
        "- {name: backup_phone, category: contact.phone, subject: customer}")
    # Written to the audit log before the first row was read.
    expect(page.locator("#scan-audit-entry")).to_contain_text("Recorded in the audit log as entry")
    shot(page, "admin", "job-scan-db")
    job = page.url[len(BASE):].split("?")[0]
    goto(page, job + "?lang=zh")
    expect(page.locator("h1")).to_have_text("对照数据地图扫描数据库")
    expect(page.locator("#scan-tables-read")).to_contain_text("全部行")
    expect(page.locator("#scan-audit-entry")).to_contain_text("记入审计日志")
    body = page.locator("main").inner_text()
    for en in ["dataset", "Tables", "table", "every row", "rows", "Format", "file"]:
        assert en not in body, f"English {en!r} on the Chinese database scan page"
    shot(page, "admin", "job-scan-db-zh")
    # The first 25 rows, asked for on the form.
    goto(page, "/scans?lang=en")
    page.select_option("#scan-source", "shop-crm")
    page.fill("#scan-rows", "25")
    page.select_option("#scan-sample", "first")
    page.select_option("#scan-db-target", "dataset:customers")
    shot(page, "admin", "scans-first-rows")
    page.click("#scan-db-start")
    page.wait_for_load_state()
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#scan-tables-read")).to_contain_text("the first rows")
    expect(page.locator("main")).to_contain_text("the first rows of each table, at most 25 rows a table")
    check_map(page, values)
    stop_full_scan(page, path)


def stop_full_scan(page: Page, path: str):
    """Every row of a large table (300,000 synthetic events, written by
    SQLite itself), asked for on the form and stopped from the job's page:
    the page says it stops, then that it stopped, with no result; in both
    languages."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (event_id TEXT, kind TEXT)")
        db.execute(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) "
            "INSERT INTO events SELECT 'E' || x, 'view' FROM n")
    goto(page, "/scans?lang=en")
    page.select_option("#scan-source", "shop-crm")
    page.fill("#scan-tables", "events")
    page.select_option("#scan-sample", "full")
    page.select_option("#scan-db-target", "dataset:customers")
    page.click("#scan-db-start")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[^/]+$", page.url), f"after the database form at {page.url}"
    job = page.url[len(BASE):].split("?")[0]
    expect(page.locator("#job-cancel")).to_be_visible(timeout=10_000)
    shot(page, "admin", "job-scan-db-running")
    # The page reloads itself each second: a reload may overtake the click's
    # post, so the click is repeated until the page says the scan stops.
    for _ in range(5):
        try:
            page.click("#job-cancel", timeout=2_000)
            page.wait_for_load_state()
            expect(page.locator("#job-cancelling, #job-cancelled")).to_be_visible(timeout=2_000)
            break
        except Exception:
            goto(page, job)
    expect(page.locator("#job-state")).to_have_attribute("data-state", "cancelled", timeout=60_000)
    expect(page.locator("#job-state")).to_have_text("cancelled")
    expect(page.locator("#job-cancelled")).to_contain_text("Stopped before it finished")
    expect(page.locator("#job-cancel")).to_have_count(0)
    expect(page.locator("#scan-tables-read")).to_have_count(0)
    shot(page, "admin", "job-scan-db-cancelled")
    goto(page, job + "?lang=zh")
    expect(page.locator("#job-state")).to_have_text("已取消")
    body = page.locator("main").inner_text()
    for en in ["Stopped", "cancelled", "rows", "scan"]:
        assert en not in body, f"English {en!r} on the Chinese cancelled job"
    shot(page, "admin", "job-scan-db-cancelled-zh")
    # Listed with the other scans, as every row of the table.
    goto(page, "/scans?lang=en")
    expect(page.locator("#logged-scans tr").nth(1)).to_contain_text("every row of each table")


def check_map(page: Page, values):
    """The example's `customers` and `orders` name their tables in system
    `shop-crm`, the server's database: checked at once, `customers` differs
    (its undeclared column), `orders` is not there."""
    goto(page, "/scans?lang=en")
    page.click("#map-check-start")
    page.wait_for_load_state()
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    table = page.locator("#map-check")
    expect(table.locator('tr[data-state="drift"]')).to_contain_text("customers")
    expect(table.locator('tr[data-state="drift"]')).to_contain_text("backup_phone")
    expect(table.locator('tr[data-state="not_read"]')).to_contain_text("orders")
    content = page.content()
    for v in values:
        assert v not in content, "a value from the database is on the page"
    shot(page, "admin", "job-map-check")
    job = page.url[len(BASE):].split("?")[0]
    goto(page, job + "?lang=zh")
    expect(page.locator("#map-check")).to_contain_text("与数据地图不符")
    body = page.locator("main").inner_text()
    for en in ["differs", "matches", "not found", "Dataset", "rows"]:
        assert en not in body, f"English {en!r} on the Chinese map check"
    shot(page, "admin", "job-map-check-zh")
    # Every scan above, listed back from the audit log, newest first.
    goto(page, "/scans?lang=en")
    rows = page.locator("#logged-scans tr")
    expect(rows).to_have_count(4)  # the header and three scans
    expect(rows.nth(1)).to_contain_text("the data map")
    expect(rows.nth(2)).to_contain_text("the first rows of each table, at most 25 rows a table")
    expect(rows.nth(3)).to_contain_text("web-admin")
    goto(page, "/scans?lang=zh")
    expect(page.locator("#logged-scans")).to_contain_text("数据地图")
    logged = page.locator("#logged-scans").inner_text()
    for en in ["every table", "random", "first rows", "dataset", "map"]:
        assert en not in logged, f"English {en!r} in the Chinese list of scans"
    shot(page, "admin", "scans-logged-zh")
    goto(page, "/?lang=en")


def switch_route(page: Page):
    # A forged form (wrong CSRF token) is refused and changes nothing.
    r = page.request.post(
        f"{BASE}/transfers/{ROUTE}/suspend",
        form={"csrf": "f" * 32, "reason": "forged form"},
        max_redirects=0,
    )
    assert r.status == 403, f"suspend with a wrong CSRF token answered {r.status}"
    assert api(f"/api/v1/transfers/{ROUTE}")["suspended"] is False, "a forged form suspended the route"

    goto(page, "/")
    before = int(page.locator("#n-suspended").inner_text())
    goto(page, f"/transfers/{ROUTE}")
    page.fill("#reason", "Synthetic test: recipient audit overdue")
    page.click("#route-switch")
    page.wait_for_load_state()
    assert page.url == f"{BASE}/transfers/{ROUTE}", f"after suspend at {page.url}"
    expect(page.locator("#route-state")).to_have_text("suspended")
    expect(page.locator("#route-switch")).to_have_text("Resume the route")
    assert api(f"/api/v1/transfers/{ROUTE}")["suspended"] is True, "the API does not show it suspended"
    shot(page, "compliance", "transfer-suspended")
    goto(page, "/")
    expect(page.locator("#n-suspended")).to_have_text(str(before + 1))
    row = page.locator("#transfers tr", has=page.locator(f"a[href='/transfers/{ROUTE}']"))
    expect(row).to_contain_text("suspended")
    shot(page, "compliance", "overview-suspended")

    goto(page, f"/transfers/{ROUTE}")
    page.fill("#reason", "Synthetic test: audit received")
    page.click("#route-switch")
    page.wait_for_load_state()
    expect(page.locator("#route-state")).to_have_text("active")
    expect(page.locator("#route-switch")).to_have_text("Suspend the route")
    assert api(f"/api/v1/transfers/{ROUTE}")["suspended"] is False, "the API does not show it resumed"
    shot(page, "compliance", "transfer-resumed")


def main():
    all_transfers = {t["id"]: t["recipient"] for t in api("/api/v1/transfers")["transfers"]}
    assert ROUTE in all_transfers and all_transfers[ROUTE] == "lumen-inc"
    # An incident discovered an hour ago: its clocks run.
    an_hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    incident = api_post(
        "/api/v1/incidents",
        {
            "title": INCIDENT_TITLE,
            "severity": "relatively_major",
            "discovered_at": an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "transfers": ["analytics-eu"],
        },
    )["id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        out = {}
        complaint(browser, out)
        wrong_password(browser)
        for role in ACCOUNTS:
            check(f"{role}: sign in, walk the pages, sign out")(walk)(
                browser, role, all_transfers, out.get("tracking"), incident
            )
        browser.close()
    shots = sorted(os.listdir(SHOTS))
    print(f"{len(shots)} screenshots in {SHOTS}")
    if failures:
        print(f"{len(failures)} browser check(s) failed: {', '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
