"""The docs page (``GET /docs``): a small HTML page, with no file from elsewhere, that
fetches ``/openapi.json`` and shows every endpoint with its parameters, request body,
responses and the schemas they refer to."""

from __future__ import annotations

__all__ = ["DOCS_PAGE"]

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kolrules service</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 62rem;
       padding: 0 1rem; color: #1d232a; }
h1 { margin-bottom: 0; } .lead { color: #55606b; margin-top: .3rem; }
.op { border: 1px solid #d7dde3; border-radius: 6px; margin: 1rem 0; padding: .6rem 1rem; }
.method { display: inline-block; min-width: 4rem; font-weight: 700; }
.get { color: #0b6e4f; } .post { color: #8a4b00; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f4f6f8; padding: .6rem; overflow: auto; max-height: 24rem; }
details summary { cursor: pointer; color: #2a5d9f; }
table { border-collapse: collapse; } td, th { padding: .15rem .6rem .15rem 0;
  text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1 id="title">kolrules service</h1>
<p class="lead" id="lead">Loading <a href="openapi.json">openapi.json</a>...</p>
<div id="ops"></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script>
"use strict";
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}
function pre(value) { return el("pre", {}, JSON.stringify(value, null, 2)); }
function fold(label, value) { return el("details", {}, el("summary", {}, label), pre(value)); }
fetch("openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("lead").textContent = doc.info.description;
  const ops = document.getElementById("ops");
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const box = el("div", {class: "op", id: op.operationId || ""},
        el("span", {class: "method " + method}, method.toUpperCase()),
        el("code", {}, path), " \\u2014 " + (op.summary || ""));
      if (op.description) box.append(el("p", {}, op.description));
      if (op.parameters && op.parameters.length) {
        const rows = op.parameters.map(p => el("tr", {},
          el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
          el("td", {}, p.required ? "required" : "optional"),
          el("td", {}, p.description || "")));
        box.append(el("table", {}, ...rows));
      }
      if (op.requestBody) {
        for (const [type, media] of Object.entries(op.requestBody.content)) {
          box.append(fold("request body: " + type, media.schema));
        }
      }
      for (const [status, resp] of Object.entries(op.responses)) {
        const media = resp.content ? Object.entries(resp.content)[0] : null;
        box.append(fold(status + " " + resp.description + (media ? " (" + media[0] + ")" : ""),
          media ? media[1].schema : {}));
      }
      ops.append(box);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(el("div", {id: "schema-" + name}, fold(name, schema)));
  }
}).catch(err => {
  document.getElementById("lead").textContent = "Cannot load openapi.json: " + err;
});
</script>
</body>
</html>
"""
