#!/usr/bin/env python3
"""Reads an analysis folder's LV meshes (mesh/lv-{epicardium,endocardium}-ed.{ply,vtp,vtk}) with readers that
are not crtsim's and checks that every format carries the same geometry and per-vertex arrays
(docs/analysis-schema.md, "Mesh files").

    check_meshes.py ANALYSIS_DIR

The PLY is read with meshio (its PLY reader keeps custom vertex properties). meshio reads neither VTK PolyData
file (legacy `DATASET POLYDATA` nor XML `.vtp`), so the `.vtp` is read with xml.etree + base64 and the legacy `.vtk`
by splitting its ASCII tokens. Checks per surface: the seven arrays exist, one value per point, equal between the
three files (NaN where NaN); points and triangles equal; `segment36` in 0..36, and a vertex of segment 0 (apical cap)
has NaN in every real array. Ends with `meshes: N passed, M failed`; exit code 1 on any failure.
"""
import base64, os, sys
import xml.etree.ElementTree as ET

import meshio
import numpy as np

ARRAYS = {"segment36": "i", "slice": "i", "scarTransmurality": "f", "activationTimeMs": "f",
          "peakRadialStrain": "f", "scarFraction": "f", "lmaRank": "f"}
NUMPY = {"Int32": "<i4", "Int64": "<i8", "Float32": "<f4", "Float64": "<f8", "UInt32": "<u4"}


def read_vtp(path):
    root = ET.parse(path).getroot()
    assert root.get("type") == "PolyData" and root.get("header_type", "UInt32") == "UInt32", root.attrib

    def values(da):
        if da.get("format") == "ascii":
            return np.array(da.text.split(), dtype=NUMPY[da.get("type")])
        raw = "".join(da.text.split())
        count = int(np.frombuffer(base64.b64decode(raw[:8]), "<u4")[0])
        data = base64.b64decode(raw[8:])
        assert len(data) == count, (da.get("Name"), len(data), count)
        return np.frombuffer(data, NUMPY[da.get("type")])

    piece = root.find("PolyData/Piece")
    points = values(piece.find("Points/DataArray")).reshape(-1, 3)
    polys = {da.get("Name"): values(da) for da in piece.find("Polys")}
    assert np.array_equal(polys["offsets"], 3 * np.arange(1, len(polys["offsets"]) + 1)), "triangles only"
    arrays = {da.get("Name"): values(da) for da in piece.find("PointData")}
    space = root.find("PolyData/FieldData/DataArray[@Name='SPACE']")
    assert bytes(int(x) for x in space.text.split()) == b"LPS\0", space.text
    return points, polys["connectivity"].reshape(-1, 3), arrays


def read_legacy_vtk(path):
    lines = open(path).read().split("\n")
    assert lines[0].startswith("# vtk DataFile") and "SPACE=LPS" in lines[1] and lines[3] == "DATASET POLYDATA"
    tokens = " ".join(lines[4:]).split()
    i, arrays = 0, {}
    while i < len(tokens):
        key = tokens[i]
        if key == "POINTS":
            n = int(tokens[i + 1]); points = np.array(tokens[i + 3:i + 3 + 3 * n], "f4").reshape(n, 3); i += 3 + 3 * n
        elif key == "POLYGONS":
            n = int(tokens[i + 1]); cells = np.array(tokens[i + 3:i + 3 + 4 * n], "i4").reshape(n, 4); i += 3 + 4 * n
            assert (cells[:, 0] == 3).all(), "triangles only"
        elif key == "POINT_DATA":
            count = int(tokens[i + 1]); i += 2
        elif key == "SCALARS":
            name, kind = tokens[i + 1], tokens[i + 2]
            assert tokens[i + 4:i + 6] == ["LOOKUP_TABLE", "default"], tokens[i:i + 6]
            arrays[name] = np.array(tokens[i + 6:i + 6 + count], "f4" if kind == "float" else "i4"); i += 6 + count
        else:
            raise ValueError(f"{path}: unexpected token {key!r}")
    return points, cells[:, 1:], arrays


def main(folder):
    passed = failed = 0
    for surface in ["epicardium", "endocardium"]:
        base = os.path.join(folder, "mesh", f"lv-{surface}-ed")
        try:
            ply = meshio.read(base + ".ply")
            formats = {"ply": (ply.points, ply.cells_dict["triangle"], ply.point_data),
                       "vtp": read_vtp(base + ".vtp"), "vtk": read_legacy_vtk(base + ".vtk")}
            n = len(ply.points)
            for fmt, (points, triangles, arrays) in formats.items():
                assert set(arrays) == set(ARRAYS), f"{fmt}: arrays {sorted(arrays)}"
                for name, kind in ARRAYS.items():
                    a = np.asarray(arrays[name]).reshape(-1)
                    assert len(a) == n and a.dtype.kind == kind, f"{fmt} {name}: {len(a)} {a.dtype} for {n} points"
                    assert np.array_equal(a, np.asarray(ply.point_data[name]).reshape(-1), equal_nan=kind == "f"), \
                        f"{fmt} {name} differs from the PLY"
                assert np.array_equal(np.asarray(points, "f4"), np.asarray(ply.points, "f4")), f"{fmt}: points"
                assert np.array_equal(triangles, ply.cells_dict["triangle"]), f"{fmt}: triangles"
            seg = ply.point_data["segment36"]
            assert seg.min() >= 0 and seg.max() <= 36 and (seg == 0).any(), (seg.min(), seg.max())
            for name, kind in ARRAYS.items():
                if kind == "f":
                    assert np.isnan(ply.point_data[name][seg == 0]).all(), f"{name}: segment-0 vertex not NaN"
            print(f"  {surface}: {n} points, {len(ply.cells_dict['triangle'])} triangles, {len(ARRAYS)} arrays "
                  f"equal in .ply (meshio), .vtp, .vtk; {int((seg == 0).sum())} segment-0 vertices")
            passed += 1
        except Exception as e:  # one line per failing surface
            print(f"  {surface}: FAILED {type(e).__name__}: {e}")
            failed += 1
    print(f"meshes: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__); sys.exit(2)
    sys.exit(main(sys.argv[1]))
