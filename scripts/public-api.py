#!/usr/bin/env python3
"""The public API of kcertlib as a sorted text listing, one item per line, from rustdoc's JSON.

    scripts/public-api.py            print the listing of the current source
    scripts/public-api.py --check    fail (exit 1, with a diff) when it differs from the
                                     committed kcertlib/public-api.txt
    scripts/public-api.py --write    rewrite kcertlib/public-api.txt

A change to the public API is then a visible diff in review, and CI fails until the listing is
updated on purpose (the semver check of issue 10). rustdoc's JSON output is unstable; on the
stable toolchain it is enabled with RUSTC_BOOTSTRAP=1 for this one command, and the listing
reads only the few fields that have been stable across format versions.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LISTING = REPO / "kcertlib" / "public-api.txt"
FEATURES = "fixture"  # documented on docs.rs; test-hooks is for kcertlib's own tests only


def rustdoc_json() -> dict:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    subprocess.run(
        ["cargo", "rustdoc", "-q", "-p", "kcertlib", "--lib", "--features", FEATURES, "--",
         "-Z", "unstable-options", "--output-format", "json"],
        cwd=REPO, env=env, check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return json.loads((target / "doc" / "kcertlib.json").read_text())


class Printer:
    def __init__(self, doc: dict) -> None:
        self.index = doc["index"]
        self.paths = doc["paths"]

    def ty(self, t) -> str:
        if t is None:
            return "()"
        (kind, v), = t.items()
        if kind == "resolved_path":
            name = v.get("path") or v.get("name", "?")
            return name.split("::")[-1] + self.generic_args(v.get("args"))
        if kind == "primitive":
            return v
        if kind == "generic":
            return v
        if kind == "borrowed_ref":
            lt = (v.get("lifetime") or "")
            lt = f"{lt} " if lt and lt != "'_" else ""
            mut = "mut " if v.get("is_mutable") or v.get("mutable") else ""
            return f"&{lt}{mut}{self.ty(v['type'])}"
        if kind == "slice":
            return f"[{self.ty(v)}]"
        if kind == "array":
            return f"[{self.ty(v['type'])}; {v['len']}]"
        if kind == "tuple":
            return "(" + ", ".join(self.ty(x) for x in v) + ")"
        if kind == "impl_trait":
            return "impl " + " + ".join(self.bound(b) for b in v)
        if kind == "dyn_trait":
            return "dyn " + " + ".join(self.ty({"resolved_path": t["trait"]}) for t in v["traits"])
        if kind == "raw_pointer":
            return ("*mut " if v.get("is_mutable") or v.get("mutable") else "*const ") + self.ty(v["type"])
        if kind == "qualified_path":
            return f"<{self.ty(v['self_type'])}>::{v['name']}"
        if kind == "function_pointer":
            return "fn(..)"
        return kind

    def generic_args(self, args) -> str:
        if not args or "angle_bracketed" not in args:
            return ""
        inner = []
        for a in args["angle_bracketed"].get("args", []):
            (k, v), = a.items()
            inner.append(self.ty(v) if k == "type" else (v if k == "lifetime" else str(v)))
        for c in args["angle_bracketed"].get("constraints", []):
            binding = c.get("binding", {})
            if "equality" in binding:
                inner.append(f"{c['name']} = {self.ty(binding['equality'].get('type'))}")
            else:
                inner.append(c["name"])
        return "<" + ", ".join(inner) + ">" if inner else ""

    def bound(self, b) -> str:
        if "trait_bound" in b:
            return self.ty({"resolved_path": b["trait_bound"]["trait"]})
        if "outlives" in b:
            return b["outlives"]
        return "?"

    def fn(self, name: str, f: dict) -> str:
        sig = f["sig"]
        params = []
        for pname, ptype in sig["inputs"]:
            if pname == "self":
                params.append(self.ty(ptype).replace("Self", "self") if ptype != {"generic": "Self"} else "self")
            else:
                params.append(f"{pname}: {self.ty(ptype)}")
        out = sig.get("output")
        generics = [g["name"] for g in f.get("generics", {}).get("params", [])
                    if "lifetime" not in g.get("kind", {})]
        gen = f"<{', '.join(generics)}>" if generics else ""
        ret = f" -> {self.ty(out)}" if out is not None else ""
        return f"fn {name}{gen}({', '.join(params)}){ret}"


def listing(doc: dict) -> list[str]:
    p = Printer(doc)
    index = p.index
    lines: set[str] = set()
    seen: set[tuple[str, str]] = set()

    def public(item) -> bool:
        return item.get("visibility") == "public"

    def attrs(item) -> str:
        text = " ".join(str(a) for a in item.get("attrs", []))
        return " #[non_exhaustive]" if "non_exhaustive" in text else ""

    def walk(item_id, path: str, name: str | None = None) -> None:
        item = index.get(str(item_id))
        if item is None:
            return
        (kind, inner), = item["inner"].items()
        name = name or item.get("name") or ""
        here = f"{path}::{name}" if path else name
        if (str(item_id), here) in seen:
            return
        seen.add((str(item_id), here))
        if kind == "module":
            if path:
                lines.add(f"pub mod {here}")
            for child in inner["items"]:
                c = index.get(str(child))
                if c and public(c):
                    walk(child, here)
        elif kind == "use":
            if inner.get("id") is not None and not inner.get("is_glob"):
                walk(inner["id"], path, inner["name"])
        elif kind == "function":
            lines.add(f"pub {p.fn(here, inner)}")
        elif kind in ("struct", "enum", "union"):
            lines.add(f"pub {kind} {here}{attrs(item)}")
            if kind == "struct":
                s = inner.get("kind", {})
                plain = s.get("plain", {}) if isinstance(s, dict) else {}
                for f in plain.get("fields", []):
                    fi = index.get(str(f))
                    if fi and public(fi):
                        lines.add(f"pub field {here}::{fi['name']}: {p.ty(fi['inner']['struct_field'])}")
            if kind == "enum":
                for v in inner.get("variants", []):
                    vi = index.get(str(v))
                    if vi:
                        lines.add(f"pub variant {here}::{vi['name']}{attrs(vi)}")
            for impl_id in inner.get("impls", []):
                impl = index.get(str(impl_id), {}).get("inner", {}).get("impl")
                if not impl or impl.get("is_synthetic") or impl.get("blanket_impl"):
                    continue
                if impl.get("trait"):
                    trait = impl["trait"].get("path") or impl["trait"].get("name")
                    lines.add(f"impl {trait.split('::')[-1]} for {here}")
                    continue
                for m in impl["items"]:
                    mi = index.get(str(m))
                    if not mi or not public(mi):
                        continue
                    (mk, minner), = mi["inner"].items()
                    if mk == "function":
                        lines.add(f"pub {p.fn(here + '::' + mi['name'], minner)}")
                    elif mk == "assoc_const":
                        lines.add(f"pub const {here}::{mi['name']}: {p.ty(minner.get('type'))}")
        elif kind == "trait":
            lines.add(f"pub trait {here}")
            for m in inner.get("items", []):
                mi = index.get(str(m))
                if mi and "function" in mi["inner"]:
                    lines.add(f"pub {p.fn(here + '::' + mi['name'], mi['inner']['function'])}")
        elif kind == "constant":
            lines.add(f"pub const {here}: {p.ty(inner.get('type'))}")
        elif kind == "type_alias":
            lines.add(f"pub type {here} = {p.ty(inner.get('type'))}")
        elif kind in ("static", "macro"):
            lines.add(f"pub {kind} {here}")

    walk(doc["root"], "", "kcertlib")
    return sorted(lines)


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    text = "\n".join(listing(rustdoc_json())) + "\n"
    if mode == "--write":
        LISTING.write_text(text)
        print(f"wrote {LISTING.relative_to(REPO)} ({text.count(chr(10))} items)")
        return 0
    if mode == "--check":
        committed = LISTING.read_text() if LISTING.exists() else ""
        if committed == text:
            print(f"public API unchanged ({text.count(chr(10))} items)")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            committed.splitlines(True), text.splitlines(True),
            "kcertlib/public-api.txt (committed)", "public API of this source"))
        print("\nThe public API changed. If that is intended, run scripts/public-api.py --write "
              "and commit the listing (a removed or changed line breaks users: bump the version).",
              file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
