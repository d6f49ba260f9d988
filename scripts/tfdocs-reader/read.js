#!/usr/bin/env node
// Reads Terraform files with HashiCorp's own HCL parser (hclsyntax compiled to
// WebAssembly: the npm package @cdktf/hcl2json, pinned by package-lock.json) and
// prints on stdout, as JSON, what scripts/tfdocs needs:
//
//   { "files": [ { "file":  PATH as given,
//                  "body":  the file in Terraform's JSON syntax (hcl2json's output),
//                  "lines": { "variable": { NAME: [LINE, ...] }, "output": { ... } },
//                  "types": { NAME: [ {"tree": TYPE} or {"error": WHY} or null, ... ] } }
//              or { "file": PATH, "error": the parser's message (FILE:LINE,COLUMN: ...) } ] }
//
// Usage: node read.js FILE.tf...
// Loading the parser takes most of the time: give it every file at once.
// Exit status 3 when the parser is not installed, 1 on any other failure.
"use strict";

const fs = require("fs");

let hcl;
try {
  hcl = require("@cdktf/hcl2json");
} catch (e) {
  process.stderr.write(
    "the HCL parser (npm package @cdktf/hcl2json) is not installed: run `scripts/install-deps docs` " +
      "(it runs `npm ci` in scripts/tfdocs-reader)\n",
  );
  process.exit(3);
}

// hcl2json returns blocks keyed by their labels, in sorted order, and without
// positions. To keep the tables in declaration order, the file is parsed a
// second time with the label of every line that may open a variable or
// output block prefixed by its line number: the parser alone decides which of
// these lines really are block headers (one in a comment or heredoc stays text).
// (A colon never occurs in a Terraform name, so a tagged label is never a real one.)
const TAG = "tfdocs-line-";
const HEADER = /^([ \t]*(?:variable|output)[ \t]+)("(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w-]*)/;

function tagHeaders(text) {
  return text
    .split("\n")
    .map((line, i) =>
      line.replace(HEADER, (_, head, label) => {
        const inner = label.startsWith('"') ? label.slice(1, -1) : label;
        return `${head}"${TAG}${i + 1}:${inner}"`;
      }),
    )
    .join("\n");
}

function headerLines(tagged) {
  const lines = { variable: {}, output: {} };
  for (const kind of Object.keys(lines)) {
    for (const label of Object.keys(tagged[kind] || {})) {
      const m = label.startsWith(TAG) ? /^(\d+):([\s\S]*)$/.exec(label.slice(TAG.length)) : null;
      if (!m) continue; // a header laid out otherwise: tfdocs reports it
      const count = tagged[kind][label].length;
      (lines[kind][m[2]] = lines[kind][m[2]] || []).push(...Array(count).fill(Number(m[1])));
    }
  }
  return lines;
}

// A type constraint is an expression: hcl2json gives its source text as
// "${...}", and its syntax tree comes from the same parser. The tree is
// returned as tfdocs renders it: ["string"], ["list", T], ["tuple", [T...]],
// ["object", [[NAME, T]...]], ["optional", T] or ["optional", T, DEFAULT] where
// DEFAULT is in Terraform's JSON syntax, as hcl2json gives values.
const PRIMITIVES = ["string", "number", "bool", "any"];
const COLLECTIONS = ["list", "set", "map"];

class NotAType extends Error {}

function sourceOf(src, range) {
  return Buffer.from(src, "utf8").subarray(range.start.byte, range.end.byte).toString("utf8");
}

// A constant (an optional() default, a quoted attribute name) as hcl2json
// converts it: parsed as the value of an attribute of a one-line file.
async function constant(file, text) {
  const body = await hcl.parse(file, `v = ${text}\n`);
  return body.v;
}

async function typeTree(file, src, node, inObject) {
  const text = node.meta && typeof node.meta.value === "string" ? node.meta.value : node.type;
  if (node.type === "scopeTraversal") {
    const name = node.meta.fullAccessor;
    if (PRIMITIVES.includes(name)) return [name];
    throw new NotAType(
      `unknown type ${JSON.stringify(name)} (known: string, number, bool, any, ` +
        "list, set, map, tuple, object, optional)",
    );
  }
  if (node.type !== "function") throw new NotAType(`${JSON.stringify(text)} is not a type constraint`);
  const name = node.meta.name;
  const args = node.children || [];
  const arity = (n, what) => {
    if (!n.includes(args.length)) throw new NotAType(`${name}(...) takes ${what}, in ${JSON.stringify(text)}`);
  };
  if (COLLECTIONS.includes(name)) {
    arity([1], "one type");
    return [name, await typeTree(file, src, args[0], false)];
  }
  if (name === "tuple") {
    arity([1], "a list of types");
    if (args[0].type !== "tuple") throw new NotAType(`tuple(...) takes a list of types: ${JSON.stringify(text)}`);
    const items = [];
    for (const c of args[0].children || []) items.push(await typeTree(file, src, c, false));
    return ["tuple", items];
  }
  if (name === "object") {
    arity([1], "an object of attribute types");
    const obj = args[0];
    const kids = obj.children || [];
    if (obj.type !== "object" || kids.length % 2 !== 0) {
      throw new NotAType(`object(...) takes { NAME = TYPE, ... }: ${JSON.stringify(text)}`);
    }
    const attrs = [];
    for (let i = 0; i < kids.length; i += 2) {
      const keySource = sourceOf(src, kids[i].range);
      const key = keySource.startsWith('"') ? await constant(file, keySource) : keySource;
      if (typeof key !== "string" || key.includes("${")) {
        throw new NotAType(`attribute name ${keySource} in object({...}) is not a name or a quoted string`);
      }
      if (attrs.some(([k]) => k === key)) throw new NotAType(`attribute ${key} appears twice in object({...})`);
      attrs.push([key, await typeTree(file, src, kids[i + 1], true)]);
    }
    return ["object", attrs];
  }
  if (name === "optional") {
    if (!inObject) throw new NotAType("optional(...) is only allowed for an attribute of object({...})");
    arity([1, 2], "a type and an optional default");
    const inner = await typeTree(file, src, args[0], false);
    if (args.length === 1) return ["optional", inner];
    return ["optional", inner, await constant(file, sourceOf(src, node.meta.argsRanges[1]))];
  }
  throw new NotAType(`unknown type ${JSON.stringify(name)}(...) in ${JSON.stringify(text)}`);
}

// Per variable declaration: {"tree": ...}, {"error": ...}, or null without a type.
async function typeTrees(file, body) {
  const types = {};
  for (const [name, decls] of Object.entries(body.variable || {})) {
    types[name] = [];
    for (const decl of decls) {
      const t = decl.type;
      if (t === undefined) {
        types[name].push(null);
      } else if (typeof t !== "string" || !t.startsWith("${") || !t.endsWith("}")) {
        types[name].push({
          error: "must be a type constraint such as string or list(string), not a quoted string or a value",
        });
      } else {
        const src = t.slice(2, -1);
        try {
          types[name].push({ tree: await typeTree(file, src, await hcl.getExpressionAst(file, src), false) });
        } catch (e) {
          if (!(e instanceof NotAType) && !/getExpressionAst/.test(e.message)) throw e;
          types[name].push({ error: e.message });
        }
      }
    }
  }
  return types;
}

async function readFile(file) {
  const text = fs.readFileSync(file, "utf8");
  let body;
  try {
    body = await hcl.parse(file, text);
  } catch (e) {
    return { file, error: e.message };
  }
  const tagged = await hcl.parse(file, tagHeaders(text));
  return { file, body, lines: headerLines(tagged), types: await typeTrees(file, body) };
}

async function main(files) {
  const out = [];
  for (const f of files) out.push(await readFile(f));
  process.stdout.write(JSON.stringify({ files: out }) + "\n");
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
