"""A person in a real browser (Debian's Chromium, headless, driven by selenium) against a server started by
`up`: the committed annotations restored, a blind pass in a project of its own, a new annotator who signs up
and draws an entity, a figure inside a claim with its attributes, a claim with claimant and cue relations,
and submits; then review, adjudicate, pull and build, and the new rows are in the release. Screenshots of
the labeling interface go to $BROWSER_SCREENSHOTS, else .cache/browser-screenshots/ (git-ignored), with
the timings in timings.json. `scripts/test.sh` installs Chromium when it is missing; the tests are skipped,
with the reason, only where it cannot be installed, and never in CI.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from conftest import ROOT, release_root
from scripts import annotate
from scripts.annotate.adjudication import adjudicate, review
from scripts.core.corpus import load_corpus
from scripts.build.pipeline import build, read_release
from test_label_studio_server import free_port

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not os.environ.get("CI") and not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/test.sh installs them as root)", allow_module_level=True)
if not os.environ.get("CI") and not (annotate.LS_VENV / ".complete").exists():
    pytest.skip(f"no Label Studio venv in {annotate.LS_VENV}: `python -m scripts up` installs it", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", ROOT / ".cache" / "browser-screenshots"))
EXPORT = ROOT / "annotations" / "export.json"
CORPUS = load_corpus(ROOT / "corpus")
PERSON = "@".join(["reem.haddad", "example.org"])  # built here: no address stands in the repository
BLIND = "reem"

# ---- JavaScript run in the page ----

# A Python code-point offset as a DOM position in the rendered <Text>: its text nodes in order, each <br> one "\n".
SELECT_JS = """
const root = document.querySelector('.lsf-htx-richtext');
function point(offset) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  let pos = 0, node;
  while ((node = walker.nextNode())) {
    if (node.nodeType === 1) {
      if (node.tagName === 'BR') {
        if (pos === offset) return [node.parentNode, Array.prototype.indexOf.call(node.parentNode.childNodes, node)];
        pos += 1;
      }
      continue;
    }
    const cps = Array.from(node.data);  // code points, as Python counts them
    if (offset < pos + cps.length || (offset === pos + cps.length && !walker.nextSibling)) {
      return [node, cps.slice(0, offset - pos).join('').length];  // UTF-16 units inside the node
    }
    pos += cps.length;
  }
  throw new Error('offset ' + offset + ' is past the end (' + pos + ')');
}
const [sn, so] = point(arguments[0]), [en, eo] = point(arguments[1]);
const range = document.createRange();
range.setStart(sn, so); range.setEnd(en, eo);
const selection = window.getSelection();
selection.removeAllRanges(); selection.addRange(range);
const r = range.getBoundingClientRect(), shown = range.toString();  // before Label Studio rewraps the text
// Label Studio creates the region on mouseup over the text; a synthetic one is enough.
sn.parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true, cancelable: true, view: window,
                                                          clientX: r.right, clientY: r.bottom - 2}));
return shown;
"""
REGION_IDS_JS = """return Array.from(new Set(Array.from(document.querySelectorAll('.htx-highlight'))
  .map(e => Array.from(e.classList).find(c => c.startsWith('htx-highlight-') && c !== 'htx-highlight-last'))
  .map(c => c.slice('htx-highlight-'.length).replace(/-\\d+$/, ''))))"""
SELECTED_JS = "const a = window.Htx && window.Htx.annotationStore.selected; return a ? a.selectedRegions.map(r => r.id.split('#')[0]) : null"
RELATIONS_JS = """return Htx.annotationStore.selected.relationStore.relations
  .map(r => [r.node1.id.split('#')[0], r.node2.id.split('#')[0], r.labels ? r.labels.toJSON() : null])"""


# ---- fixtures ----

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("label-studio")
    try:
        server = annotate.up(free_port(), home)
        annotate.push(server, CORPUS, EXPORT)  # a new server: the committed annotations restored
        yield server
    finally:
        annotate.down(home)


@pytest.fixture(scope="module")
def blind(server) -> tuple[int, dict]:
    """The blind pass's project and its task ids."""
    tasks = annotate.push(server, CORPUS, EXPORT, blind=BLIND)
    return annotate.project_id(annotate.sdk(server), create=False, title=annotate.blind_title(BLIND)), tasks


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))


@pytest.fixture(scope="module")
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture(scope="module")
def timings(shots):
    found: dict = {}
    yield found
    (shots / "timings.json").write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def person(server, shots):
    """A new annotator who signs up in the browser (and is logged in by it)."""
    d = chromium()
    try:
        d.get(f"{server.url}/user/signup/")
        d.find_element(By.ID, "email").send_keys(PERSON)
        d.find_element(By.ID, "password").send_keys("a-long-password-1")
        d.save_screenshot(str(shots / "01-signup.png"))
        d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(d, 30).until(lambda d: "/user/signup" not in d.current_url)
        yield d
    finally:
        d.quit()


@pytest.fixture(scope="module")
def admin(server, shots):
    d = chromium()
    try:
        log_in(d, server.url, server.credentials.username, server.credentials.password, shots / "09-login.png")
        yield d
    finally:
        d.quit()


# ---- what a person does ----

def log_in(d, url: str, email: str, password: str, shot: Path) -> None:
    d.get(f"{url}/user/login/")
    d.find_element(By.ID, "email").send_keys(email)
    d.find_element(By.ID, "password").send_keys(password)
    d.save_screenshot(str(shot))
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(d, 30).until(lambda d: "/user/login" not in d.current_url)


def open_labeling(d, url: str, min_regions: int = 0) -> float:
    """Opens a labeling URL; the seconds until the text and at least min_regions regions are drawn."""
    start = time.monotonic()
    d.get(url)
    try:
        WebDriverWait(d, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".lsf-htx-richtext")
                                    and d.execute_script(SELECTED_JS) is not None
                                    and len(d.execute_script(REGION_IDS_JS)) >= min_regions)
    except Exception:
        d.save_screenshot(str(SHOTS / "failed-to-open.png"))
        raise AssertionError(f"{url}: {len(d.execute_script(REGION_IDS_JS) or [])} of {min_regions} regions drawn after 120 s")
    return time.monotonic() - start


def draw(d, label: str, start: int, end: int, text: str) -> str:
    """Clicks the label, selects [start, end) of the shown text; returns the new region's id."""
    before = set(d.execute_script(REGION_IDS_JS))
    d.find_element(By.XPATH, f"//span[contains(@class,'lsf-label__text') and text()='{label}']/..").click()
    selected = d.execute_script(SELECT_JS, start, end)
    WebDriverWait(d, 10).until(lambda d: set(d.execute_script(REGION_IDS_JS)) - before)
    [rid] = set(d.execute_script(REGION_IDS_JS)) - before
    d.execute_script("window.getSelection().removeAllRanges()")
    assert selected == text[start:end].replace("\n", "")  # a <br> adds nothing to the selection's string
    return rid


def spans(d, rid: str):
    return d.find_elements(By.CSS_SELECTOR, f'span.htx-highlight[class*="htx-highlight-{rid}-"]')


def pick(d, rid: str) -> None:
    """Selects a region: its item in the Regions panel (works for a region drawn inside another, where a
    click on the text may select the outer one), else its text (the panel is virtualized: long lists lack items)."""
    if d.execute_script(SELECTED_JS) == [rid]:
        return  # clicking it again would unselect it
    index = spans(d, rid)[0].get_attribute("data-index")
    items = d.find_elements(By.XPATH, f"//div[contains(@class,'lsf-outliner-item__index') and normalize-space(text())='{index}']"
                                      "/ancestor::div[contains(@class,'lsf-outliner-item__content')]")
    target = items[0] if items else spans(d, rid)[-1]
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    WebDriverWait(d, 10).until(lambda d: d.execute_script(SELECTED_JS) == [rid])


def field(d, name: str):
    """A per-region control in the side panel, by its tag's name (TextArea rows=1 and Number render an <input>)."""
    return d.find_element(By.CSS_SELECTOR, f".sns-side input[name='{name}']")


def type_text(d, name: str, text: str) -> None:
    box = field(d, name)
    box.click()
    box.send_keys(text, Keys.ENTER)  # a TextArea commits only on Enter


def type_number(d, name: str, number: str) -> None:
    box = field(d, name)
    box.click()
    box.send_keys(number)  # a Number commits as typed


def choose(d, value: str) -> None:
    d.find_element(By.CSS_SELECTOR, f".sns-side .lsf-choice__item input[name='{value}']").find_element(By.XPATH, "ancestor::label").click()


def relate(d, from_rid: str, to_rid: str) -> None:
    """alt+r on the selected region, then a click on the other one's item in the Regions panel. (A click on its
    text did nothing on regions drawn in the same page session; on regions loaded from a draft or a prediction it works.)"""
    pick(d, from_rid)
    d.execute_script("document.activeElement && document.activeElement.blur()")  # hotkeys are off while a field has focus
    ActionChains(d).key_down(Keys.ALT).send_keys("r").key_up(Keys.ALT).perform()
    WebDriverWait(d, 10).until(lambda d: d.execute_script("return Htx.annotationStore.selected.isLinkingMode"))
    index = spans(d, to_rid)[0].get_attribute("data-index")
    item = d.find_element(By.XPATH, f"//div[contains(@class,'lsf-outliner-item__index') and normalize-space(text())='{index}']"
                                    "/ancestor::div[contains(@class,'lsf-outliner-item__content')]")
    item.click()
    WebDriverWait(d, 10).until(lambda d: [from_rid, to_rid] in [r[:2] for r in d.execute_script(RELATIONS_JS)])


def label_relation(d, to_label: str, value: str) -> None:
    """In the Relations tab, the relation whose target has to_label gets the label value (one choice)."""
    d.find_element(By.XPATH, "//*[normalize-space(text())='Relations' and not(ancestor::*[contains(@class,'lsf-relations')])]").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".lsf-relations__item"))
    [item] = [i for i in d.find_elements(By.CSS_SELECTOR, ".lsf-relations__item") if to_label in i.text.split()]
    ActionChains(d).move_to_element(item).perform()  # the actions show on hover
    if not item.find_elements(By.CSS_SELECTOR, ".lsf-relation-meta"):
        WebDriverWait(d, 10).until(lambda d: item.find_elements(By.CSS_SELECTOR, "button[aria-label='Show Relation Labels']"))
        item.find_element(By.CSS_SELECTOR, "button[aria-label='Show Relation Labels']").click()
    item.find_element(By.CSS_SELECTOR, ".lsf-relation-meta button[data-testid='select-trigger']").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-testid='select-option-{value}']"))
    d.find_element(By.CSS_SELECTOR, f"[data-testid='select-option-{value}']").click()
    ActionChains(d).send_keys(Keys.ESCAPE).perform()


# ---- the tests ----

def test_a_blind_pass_starts_without_the_gold(server, blind, person, shots, timings):
    pid, _ = blind
    timings["open d000, blind (s)"] = round(open_labeling(person, f"{server.url}/projects/{pid}/data?labeling=1"), 2)
    assert person.execute_script("return Htx.task.dataObj.doc_id") == "d000"  # the stream starts with the first task
    assert person.execute_script(REGION_IDS_JS) == []  # no region of the gold, nor any other
    person.save_screenshot(str(shots / "02-d000-blind.png"))


def test_a_person_annotates_d000_and_it_reaches_the_release(server, blind, person, shots, tmp_path, timings):
    pid, tasks = blind
    d, text = person, CORPUS["d000"].text
    gpe = draw(d, "GPE", 0, 6, text)  # Aleppo
    who = draw(d, "PERSON", 2017, 2032, text)  # Ahmet Davutoglu
    cue = draw(d, "CUE", 2033, 2037, text)  # said
    claim = draw(d, "CLAIM", 2038, 2129, text)  # 10,000 people were waiting ... on their way
    figure = draw(d, "FIGURE", 2038, 2044, text)  # 10,000, inside the claim
    d.save_screenshot(str(shots / "03-drawn.png"))
    pick(d, gpe)
    type_text(d, "entity_id", "aleppo")
    type_text(d, "canonical_name", "Aleppo")
    pick(d, who)
    type_text(d, "entity_id", "ahmet-davutoglu")
    type_text(d, "canonical_name", "Ahmet Davutoğlu")
    d.save_screenshot(str(shots / "04-entity-fields.png"))
    start = time.monotonic()
    pick(d, figure)  # drawn inside the claim, and still selectable
    timings["select a region of d000 (s)"] = round(time.monotonic() - start, 2)
    type_number(d, "value", "10000")
    type_text(d, "unit", "people")
    choose(d, "exact")
    choose(d, "count")
    d.save_screenshot(str(shots / "05-figure-fields.png"))
    pick(d, claim)
    choose(d, "indirect")
    choose(d, "named")
    d.save_screenshot(str(shots / "06-claim-fields.png"))
    relate(d, claim, cue)
    relate(d, claim, who)
    label_relation(d, "CUE", "cue")
    label_relation(d, "PERSON", "claimant")
    d.save_screenshot(str(shots / "07-relations.png"))
    d.find_element(By.XPATH, "//button[normalize-space(.)='Submit']").click()
    with server.client() as client:
        WebDriverWait(d, 30).until(lambda _: client.get(f"/api/tasks/{tasks['d000']}/annotations/").json())
    d.save_screenshot(str(shots / "08-submitted.png"))

    # The adjudicator's path: pull (the person becomes annotator-5), review, adjudicate, pull, build.
    export, mapping_file = tmp_path / "export.json", tmp_path / "pseudonyms.json"
    shutil.copy(EXPORT, export)
    annotate.pull(server, export, mapping_file, corpus_dir=ROOT / "corpus")
    mapping = json.loads(mapping_file.read_text())
    assert list(mapping.values()) == ["annotator-5"]
    lines = review(server, CORPUS["d000"], mapping)
    assert any("annotation" in line and "by annotator-5" in line for line in lines) and any("only annotator-" in line for line in lines)
    assert "by annotator-5 is the ground truth" in adjudicate(server, "d000", "annotator-5", mapping)
    annotate.pull(server, export, mapping_file, corpus_dir=ROOT / "corpus")
    root = release_root(tmp_path / "release")
    shutil.copytree(ROOT / "data", root / "data")
    build(ROOT / "corpus", export, root, allow_removals=True)  # the new gold of d000 has fewer spans than the old
    tables = read_release(root)
    d000 = lambda t: tables[t].filter(pl.col("doc_id") == "d000")  # noqa: E731
    assert d000("entities").select("start", "end", "label", "entity_id", "canonical_name").rows() == [
        (0, 6, "GPE", "aleppo", "Aleppo"), (2017, 2032, "PERSON", "ahmet-davutoglu", "Ahmet Davutoğlu")]
    assert d000("figures").select("start", "end", "value", "unit", "approx", "kind", "claim_span_id").rows() == [
        (2038, 2044, 10000.0, "people", "exact", "count", "d000:c2038-2129")]
    assert d000("claims").select("start", "end", "claim_kind", "claimant_type", "claimant_span_id", "cue_text").rows() == [
        (2038, 2129, "indirect", "named", "d000:e2017-2032", "said")]
    raw = tables["annotations_raw"].filter(pl.col("doc_id") == "d000").group_by("annotator").len().sort("annotator").rows()
    assert raw[-1] == ("annotator-5", 4) and len(raw) == 4  # the committed annotators' spans are all still there


def test_the_long_document_opens_and_a_region_is_selected(server, admin, shots, timings):
    """The adjudicator opens d002 (17,000 characters, its ground truth of about 660 regions) in the task view."""
    ls = annotate.sdk(server)
    pid = annotate.project_id(ls, create=False)
    task = next(t for t in ls.tasks.list(project=pid) if t.data["doc_id"] == "d002")
    gold = next(a for a in ls.annotations.list(id=task.id) if a.ground_truth)
    regions = len({r["id"] for r in gold.result if r["type"] == "labels"})
    seconds = open_labeling(admin, f"{server.url}/projects/{pid}/data?task={task.id}", min_regions=regions)
    admin.save_screenshot(str(shots / "10-d002.png"))
    figure = next(r for r in gold.result if r["type"] == "labels" and r["value"]["labels"] == ["FIGURE"])
    start = time.monotonic()
    pick(admin, figure["id"])
    timings["open d002 with its gold (s)"], timings["select a region of d002 (s)"] = round(seconds, 2), round(time.monotonic() - start, 2)
    number = next(r for r in gold.result if r["type"] == "number" and r["id"] == figure["id"] and r["from_name"] == "value")
    assert float(field(admin, "value").get_attribute("value")) == number["value"]["number"]
    admin.save_screenshot(str(shots / "11-d002-figure.png"))


def test_a_long_document_in_parts_opens_fast(server, admin, shots, timings):
    """`push --parts`: d002 as three tasks; a part opens with a third of the regions, its range as coverage."""
    parts = annotate.push_parts(server, CORPUS, EXPORT, 5000)
    assert list(parts) == ["d002"] and len(parts["d002"]) == 3
    ls = annotate.sdk(server)
    pid = annotate.project_id(ls, create=False, title=annotate.PARTS_TITLE)
    first = ls.tasks.get(id=parts["d002"][0])
    [prediction] = ls.predictions.list(task=first.id)
    start, end = (int(x) for x in first.data["part"].split("-"))
    spans = [r for r in prediction.result if r["type"] == "labels"]
    assert start == 0 and all(start <= r["value"]["start"] < end or r["from_name"] == "entity" for r in spans)
    assert [r["value"]["text"] for r in prediction.result if r.get("from_name") == "coverage"] == [[f"{start}-{end}"]]
    regions = len({r["id"] for r in spans})
    timings["open a part of d002, its prediction copied in (s)"] = round(
        open_labeling(admin, f"{server.url}/projects/{pid}/data?task={first.id}", min_regions=regions), 2)
    timings["regions in that part"] = regions
    admin.save_screenshot(str(shots / "12-d002-part.png"))
