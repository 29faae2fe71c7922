"""SCORM 1.2 package (.zip) for learning platforms such as Moodle, Canvas or TalentLMS.

One SCO per module (its lessons and its quiz) and one for the exam. Each page reports to the
LMS through the SCORM 1.2 runtime API, which the LMS exposes as `window.API` on a parent or
opener window; the score is the quiz result, the status passed/failed against the mastery
score. Opened without an LMS (say, from the unzipped folder) the pages work the same, and say
that the score is not saved.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from coursegen_desktop.core.export import html_parts
from coursegen_desktop.core.export.course_parts import ModuleView, module_views
from coursegen_desktop.core.export.html_page import QUIZ_JS, interactive_quiz, page
from coursegen_desktop.core.export.text import esc, esc_lines, language_code, one_line
from coursegen_desktop.core.models import Course

IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (
    f"{IMSCP} imscp_rootv1p1p2.xsd http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd"
)
MASTERY_SCORE = 70

SCORM_JS = """
(function () {
  "use strict";
  var MASTERY = __MASTERY__;
  function findApi(win) {
    for (var depth = 0; win && depth < 12; depth += 1) {
      try { if (win.API) { return win.API; } } catch (e) { return null; }  // a cross-origin frame
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findApi(window);
  if (!api) { try { api = findApi(window.top.opener); } catch (e) { api = null; } }
  function lms(name, a, b) {
    if (!api) { return ""; }
    try { return String(b === undefined ? api[name](a) : api[name](a, b)); } catch (e) { return ""; }
  }
  var hasQuiz = document.querySelector(".quiz") !== null;
  var best = -1, finished = false;
  if (api) {
    lms("LMSInitialize", "");
    var status = lms("LMSGetValue", "cmi.core.lesson_status");
    var stored = lms("LMSGetValue", "cmi.core.score.raw");
    if (stored !== "" && !isNaN(Number(stored))) { best = Number(stored); }
    if (status === "" || status === "not attempted") {
      lms("LMSSetValue", "cmi.core.lesson_status", hasQuiz ? "incomplete" : "completed");
      lms("LMSCommit", "");
    }
  }
  document.getElementById("lms-status").textContent = api
    ? "Your learning platform records your progress and your best score."
    : "Not connected to a learning platform: your score is not saved.";
  document.addEventListener("quizchecked", function (event) {
    var score = Math.round(100 * event.detail.right / event.detail.total);
    if (!api || score <= best) { return; }
    best = score;
    lms("LMSSetValue", "cmi.core.score.min", "0");
    lms("LMSSetValue", "cmi.core.score.max", "100");
    lms("LMSSetValue", "cmi.core.score.raw", String(score));
    lms("LMSSetValue", "cmi.core.lesson_status", score >= MASTERY ? "passed" : "failed");
    lms("LMSCommit", "");
  });
  function finish() {
    if (api && !finished) { finished = true; lms("LMSCommit", ""); lms("LMSFinish", ""); }
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
})();
""".replace("__MASTERY__", str(MASTERY_SCORE))


def _sco_page(course: Course, title: str, body: str) -> str:
    header = f'<p class="facts">{esc(course.title)}</p>\n'
    status = '<p class="facts" id="lms-status"></p>\n'
    return page(title, f"<main>\n{header}{body}{status}</main>\n", language_code(course.language), (QUIZ_JS, SCORM_JS))


def _module_body(module: ModuleView) -> str:
    parts = [html_parts.heading(1, module.heading)]
    parts.append(f"<p>{esc_lines(module.summary)}</p>\n" if module.summary.strip() else "")
    parts += [html_parts.lesson_section(module, i, lesson, 2) for i, lesson in enumerate(module.lessons, start=1)]
    if module.quiz is not None:
        parts.append(interactive_quiz("quiz", module.quiz.title, module.quiz.questions, 2))
    return "".join(parts)


def _manifest(course: Course, scos: list[tuple[str, str, bool]]) -> bytes:
    """`scos` are (identifier, title, has a quiz); each gets an item and a resource `<identifier>.html`.

    Prefixed names are written literally, with the `xmlns` declarations on the root:
    ElementTree cannot combine a default namespace with unqualified attributes.
    """
    digest = hashlib.sha256(one_line(course.title).encode()).hexdigest()[:16]
    namespaces = {"xmlns": IMSCP, "xmlns:adlcp": ADLCP, "xmlns:xsi": XSI, "xsi:schemaLocation": SCHEMA_LOCATION}
    root = ET.Element("manifest", {"identifier": f"coursegen-{digest}", "version": "1.0", **namespaces})
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "ADL SCORM"
    ET.SubElement(metadata, "schemaversion").text = "1.2"
    organizations = ET.SubElement(root, "organizations", {"default": "org-1"})
    organization = ET.SubElement(organizations, "organization", {"identifier": "org-1"})
    ET.SubElement(organization, "title").text = one_line(course.title) or "Course"
    resources = ET.SubElement(root, "resources")
    for identifier, title, scored in scos:
        href = f"{identifier}.html"
        item = ET.SubElement(
            organization, "item", {"identifier": f"item-{identifier}", "identifierref": f"res-{identifier}", "isvisible": "true"}
        )
        ET.SubElement(item, "title").text = one_line(title)
        if scored:  # pages without a quiz report "completed" instead of a score
            ET.SubElement(item, "adlcp:masteryscore").text = str(MASTERY_SCORE)
        attributes = {"identifier": f"res-{identifier}", "type": "webcontent", "adlcp:scormtype": "sco", "href": href}
        resource = ET.SubElement(resources, "resource", attributes)
        ET.SubElement(resource, "file", {"href": href})
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def write_scorm(course: Course, path: Path) -> None:
    scos: list[tuple[str, str, bool]] = []
    pages: dict[str, str] = {}
    for module in module_views(course):
        identifier = f"module-{module.number:02d}"
        scos.append((identifier, module.heading, module.quiz is not None))
        pages[identifier] = _sco_page(course, module.heading, _module_body(module))
    scos.append(("exam", course.exam.title, True))
    pages["exam"] = _sco_page(course, course.exam.title, interactive_quiz("quiz", course.exam.title, course.exam.questions, 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", _manifest(course, scos))
        for identifier, html in pages.items():
            archive.writestr(f"{identifier}.html", html)
