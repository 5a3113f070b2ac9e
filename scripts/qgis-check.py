#!/usr/bin/python3
"""Loads ruang's OGC API - Features collections with QGIS's OAPIF provider, headless.

Usage: /usr/bin/python3 scripts/qgis-check.py BASE_URL < checks.json

Debian's PyQGIS (`python3-qgis`) runs on Debian's /usr/bin/python3 only. stdin is a JSON list of
{"id": collection, "iterate": read every feature (default true), "subsets": [QGIS expressions],
"extent": [minx, miny, maxx, maxy] (CRS84) or null}; stdout is one JSON object per collection id:
{"valid", "error", "feature_count", "iterated", "fields", "geometry_type", "crs",
"extent_count", "subsets": [{"subset", "ok", "count", "error"}]}.
`feature_count` is what QGIS says (numberMatched); `iterated` counts the features QGIS actually
fetched page by page; each subset's `count` the features after setSubsetString(subset);
`extent_count` the features of a request with that rectangle (QGIS sends it as bbox).
"""

import json
import os
import shutil
import sys
import tempfile

# Headless and with a private profile, also as root in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_home = tempfile.mkdtemp(prefix="ruang-qgis-")
os.chmod(_home, 0o700)
os.environ["HOME"] = _home
os.environ["XDG_RUNTIME_DIR"] = _home
os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", _home)

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)


def check(base, c):
    cid = c["id"]
    uri = f"url='{base}' typename='{cid}' pagingEnabled='true' preferCoordinatesForWfsT11='false'"
    layer = QgsVectorLayer(uri, cid, "OAPIF")
    out = {"valid": layer.isValid()}
    if not layer.isValid():
        out["error"] = layer.error().summary() if layer.error() else "invalid layer"
        return out
    out["feature_count"] = layer.featureCount()
    out["fields"] = [f.name() for f in layer.fields()]
    out["geometry_type"] = QgsWkbTypes.displayString(layer.wkbType())
    out["crs"] = layer.crs().authid()
    if c.get("iterate", True):
        out["iterated"] = sum(1 for _ in layer.getFeatures())
    # Each filtered read on a layer of its own, so it is answered by the server, not by what
    # QGIS cached from an earlier read.
    if c.get("extent"):
        x1, y1, x2, y2 = c["extent"]
        # "Only request features overlapping the view extent": QGIS sends the rectangle as bbox.
        fresh = QgsVectorLayer(uri + " restrictToRequestBBOX='1'", cid, "OAPIF")
        req = QgsFeatureRequest().setFilterRect(QgsRectangle(x1, y1, x2, y2))
        req.setFlags(QgsFeatureRequest.ExactIntersect)
        out["extent_count"] = sum(1 for _ in fresh.getFeatures(req))
    # Subset strings: QGIS 3.22 sends comparisons of date/time fields to the server as
    # `datetime`, and evaluates the rest itself on what the server sent.
    out["subsets"] = []
    for subset in c.get("subsets") or []:
        fresh = QgsVectorLayer(uri, cid, "OAPIF")
        ok = fresh.setSubsetString(subset)
        out["subsets"].append({"subset": subset, "ok": ok,
                               "count": sum(1 for _ in fresh.getFeatures())})
    return out


def main():
    base = sys.argv[1].rstrip("/")
    checks = json.load(sys.stdin)
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = {}
        for c in checks:
            try:
                result[c["id"]] = check(base, c)
            except Exception as e:  # report, do not stop the other collections
                result[c["id"]] = {"valid": False, "error": repr(e)}
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    finally:
        app.exitQgis()
        shutil.rmtree(_home, ignore_errors=True)


if __name__ == "__main__":
    main()
