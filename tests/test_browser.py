"""Prototype: Label Studio driven in a real headless Chromium, as an annotator would (see NOTES-browser.md).

Needs Debian's chromium and chromium-driver (`apt-get install -y chromium chromium-driver`), selenium in the
interpreter running pytest, and Label Studio's venv (made by `python -m scripts up`); skipped otherwise:

    python3 -m venv .venvs/browser && .venvs/browser/bin/pip install -r requirements.lock selenium
    .venvs/browser/bin/python -m pytest -q tests/test_browser_proto.py

Screenshots go to $BROWSER_SCREENSHOTS, else .cache/browser-screenshots/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from conftest import ROOT
from scripts import annotate
from scripts.corpus import load_corpus
from scripts.labelstudio import read_all_annotations, read_export, to_result

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed in this interpreter")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", ROOT / ".cache" / "browser-screenshots"))
CORPUS = load_corpus(ROOT / "corpus")
pytestmark = [
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="apt-get install -y chromium chromium-driver"),
    pytest.mark.skipif(not (annotate.LS_VENV / ".complete").exists(), reason=f"no Label Studio venv in {annotate.LS_VENV}: run `python -m scripts up` once"),
]

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

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((annotate.HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    try:
        server = annotate.up(port, home)
        annotate.push(server, CORPUS, ROOT / "annotations" / "export.json")  # the gold as each task's prediction
        yield server
    finally:
        annotate.down(home)


@pytest.fixture(scope="module")
def project(server) -> int:
    pid = annotate.project_id(annotate.sdk(server), create=False)
    # Blind first pass: in the label stream a new annotation starts empty unless predictions are shown.
    with server.client() as client:
        client.patch(f"/api/projects/{pid}/", json={"show_collab_predictions": False}).raise_for_status()
    return pid


@pytest.fixture(scope="module")
def tasks(server, project) -> dict[str, int]:
    return {t.data["doc_id"]: t.id for t in annotate.sdk(server).tasks.list(project=project)}


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
def admin(server, shots):
    driver = chromium()
    try:
        log_in(driver, server.url, server.credentials.username, server.credentials.password, shots / "01-login.png")
        yield driver
    finally:
        driver.quit()


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
    WebDriverWait(d, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".lsf-htx-richtext")
                                and d.execute_script(SELECTED_JS) is not None
                                and len(d.execute_script(REGION_IDS_JS)) >= min_regions)
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

def test_annotate_d000_in_the_browser_and_read_it_back(server, project, tasks, admin, shots, tmp_path):
    d = admin
    seconds = open_labeling(d, f"{server.url}/projects/{project}/data?labeling=1")
    assert d.execute_script("return Htx.task.dataObj.doc_id") == "d000"  # the stream starts with the first task
    assert d.execute_script(REGION_IDS_JS) == []  # blind: the gold prediction is not copied in
    text = CORPUS["d000"].text
    d.save_screenshot(str(shots / "02-d000-empty.png"))

    gpe = draw(d, "GPE", 0, 6, text)  # Aleppo
    person = draw(d, "PERSON", 2017, 2032, text)  # Ahmet Davutoglu
    cue = draw(d, "CUE", 2033, 2037, text)  # said
    claim = draw(d, "CLAIM", 2038, 2129, text)  # 10,000 people were waiting ... on their way
    figure = draw(d, "FIGURE", 2038, 2044, text)  # 10,000, inside the claim
    d.save_screenshot(str(shots / "03-drawn.png"))

    pick(d, gpe)
    type_text(d, "entity_id", "aleppo")
    type_text(d, "canonical_name", "Aleppo")
    pick(d, person)
    type_text(d, "entity_id", "ahmet-davutoglu")
    type_text(d, "canonical_name", "Ahmet Davutoglu")
    d.save_screenshot(str(shots / "04-entity-fields.png"))
    pick(d, figure)
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
    relate(d, claim, person)
    label_relation(d, "CUE", "cue")
    label_relation(d, "PERSON", "claimant")
    assert sorted(map(tuple, [(f, t, tuple(l or ())) for f, t, l in d.execute_script(RELATIONS_JS)])) == sorted(
        [(claim, cue, ("cue",)), (claim, person, ("claimant",))])
    d.save_screenshot(str(shots / "07-relations.png"))

    d.find_element(By.XPATH, "//button[normalize-space(.)='Submit']").click()
    with server.client() as client:
        WebDriverWait(d, 30).until(lambda _: client.get(f"/api/tasks/{tasks['d000']}/annotations/").json())
        [annotation] = client.get(f"/api/tasks/{tasks['d000']}/annotations/").json()
    d.save_screenshot(str(shots / "08-submitted.png"))
    (shots / "d000-annotation.json").write_text(json.dumps(annotation, indent=1, ensure_ascii=False))

    result = annotation["result"]
    spans_got = {(i["id"], i["from_name"], i["value"]["labels"][0], i["value"]["start"], i["value"]["end"])
                 for i in result if i["type"] == "labels"}
    assert spans_got == {(gpe, "entity", "GPE", 0, 6), (person, "entity", "PERSON", 2017, 2032), (cue, "span", "CUE", 2033, 2037),
                         (claim, "span", "CLAIM", 2038, 2129), (figure, "span", "FIGURE", 2038, 2044)}
    assert all(i["value"]["text"] == text[i["value"]["start"]:i["value"]["end"]] for i in result if i["type"] == "labels")
    key = {"textarea": "text", "choices": "choices", "number": "number"}  # a choices item also carries its region's text
    attributes = {(i["id"], i["from_name"]): i["value"][key[i["type"]]] for i in result if i["type"] in key}
    assert attributes == {
        (gpe, "entity_id"): ["aleppo"], (gpe, "canonical_name"): ["Aleppo"],
        (person, "entity_id"): ["ahmet-davutoglu"], (person, "canonical_name"): ["Ahmet Davutoglu"],
        (figure, "value"): 10000, (figure, "unit"): ["people"], (figure, "approx"): ["exact"], (figure, "figure_kind"): ["count"],
        (claim, "claim_kind"): ["indirect"], (claim, "claimant_type"): ["named"],
    }
    relations = sorted((i["from_id"], i["to_id"], tuple(i.get("labels", ()))) for i in result if i["type"] == "relation")
    assert relations == sorted([(claim, cue, ("cue",)), (claim, person, ("claimant",))])

    # The project's own reader takes it as the build would (snapshot export, as `pull` makes it).
    export = tmp_path / "export.json"
    export.write_text(json.dumps(annotate.pseudonymize(annotate.snapshot(server, project), {})), encoding="utf-8")
    [read] = [a for a in read_all_annotations(export, CORPUS) if a.doc.doc_id == "d000"]
    assert [(e.start, e.end, e.label, e.entity_id) for e in read.entities] == [(0, 6, "GPE", "aleppo"), (2017, 2032, "PERSON", "ahmet-davutoglu")]
    assert [(f.start, f.end, f.value, f.value_max, f.unit, f.approx, f.kind) for f in read.figures] == [(2038, 2044, 10000.0, None, "people", "exact", "count")]
    [c] = read.claims
    assert (c.start, c.end, c.claim_kind, c.claimant_type, (c.cue.start, c.cue.end), (c.claimant.start, c.claimant.end)) == (
        2038, 2129, "indirect", "named", (2033, 2037), (2017, 2032))
    print(f"\nd000 opened in the label stream in {seconds:.1f} s; screenshots in {shots}")


def test_the_long_document_opens_and_a_predicted_figure_shows_its_number(server, project, tasks, admin, shots):
    """The data manager's task view copies the prediction (the gold, ~560 regions on d002) into a new annotation
    even with show_collab_predictions off; selecting a figure from it shows its Number (a textarea result there
    would crash the labeling UI)."""
    d = admin
    gold = read_export(ROOT / "annotations" / "export.json", CORPUS)["d002"]  # what push made the prediction of
    figure = gold.figures[0]
    n_spans = sum(1 for item in to_result(gold) if item["type"] == "labels")
    seconds = open_labeling(d, f"{server.url}/projects/{project}/data?task={tasks['d002']}", min_regions=n_spans)
    d.save_screenshot(str(shots / "09-d002-task-view.png"))
    rid = f"f{figure.start}_{figure.end}"  # the writer's region ids (scripts/labelstudio.py _rid)
    start = time.monotonic()
    pick(d, rid)
    picked = time.monotonic() - start
    assert float(field(d, "value").get_attribute("value")) == figure.value
    d.save_screenshot(str(shots / "10-d002-figure.png"))
    print(f"\nd002: {n_spans} regions drawn {seconds:.1f} s after opening; a figure selected in {picked:.2f} s")
    assert seconds < 60


def test_a_new_annotator_signs_up_and_starts_blind(server, project, tasks, shots):
    d = chromium()
    try:
        d.get(f"{server.url}/user/signup/")
        d.find_element(By.ID, "email").send_keys("annotator-3@annotators.invalid")
        d.find_element(By.ID, "password").send_keys("annotator-3-password")
        d.save_screenshot(str(shots / "11-signup.png"))
        d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(d, 30).until(lambda d: "/user/signup" not in d.current_url)
        open_labeling(d, f"{server.url}/projects/{project}/data?labeling=1")
        doc_id = d.execute_script("return Htx.task.dataObj.doc_id")
        assert doc_id != "d000"  # d000 has its one annotation (maximum_annotations is 1)
        assert d.execute_script("return [Htx.annotationStore.predictions.length, Htx.annotationStore.selected.regions.length]") == [0, 0]
        d.save_screenshot(str(shots / "12-annotator-blind.png"))
    finally:
        d.quit()
    with server.client() as client:
        users = {u["email"]: u["id"] for u in client.get("/api/users/").json()}
        assert "annotator-3@annotators.invalid" in users
        # An admin may enter an annotation in another user's name, and mark one ground truth.
        made = client.post(f"/api/tasks/{tasks['d001']}/annotations/", json={
            "completed_by": users["annotator-3@annotators.invalid"],
            "result": [{"id": "r1", "from_name": "entity", "to_name": "text", "type": "labels",
                        "value": {"start": 0, "end": 6, "text": CORPUS["d001"].text[0:6], "labels": ["NORP"]}}]}).json()
        assert made["completed_by"] == users["annotator-3@annotators.invalid"]
        assert client.patch(f"/api/annotations/{made['id']}/", json={"ground_truth": True}).json()["ground_truth"] is True
