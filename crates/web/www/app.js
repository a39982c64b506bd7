// The playground page: the editor, inputs, buttons and stages; every computation goes to the
// worker (worker.js). Element ids are a contract (docs/playground.md): #source, #inputs,
// #engine, #run, #prove, #verify, #output, #status; the swap demo's #swap-backend, #swap,
// #swap-status, #swap-log, #swap-result.

const $ = (id) => document.getElementById(id);
const els = {
  source: $("source"), inputs: $("inputs"), engine: $("engine"), run: $("run"), prove: $("prove"),
  verify: $("verify"), output: $("output"), status: $("status"), details: $("details"),
  threads: $("threads"),
  progress: $("progress"), download: $("download"), proofFile: $("proof-file"),
  examples: $("examples"), highlights: $("highlights"), diagnostics: $("diagnostics"),
  params: $("params"), digest: $("digest"), dropzone: $("dropzone"),
  swap: $("swap"), swapBackend: $("swap-backend"), swapStatus: $("swap-status"),
  swapLog: $("swap-log"), swapResult: $("swap-result"),
};
const STAGES = ["canon", "factor", "dag", "asm"];
const PROVE_STEPS = { execute: [1, "executing"], trace: [2, "building the trace tables"], prove: [3, "committing and proving"], done: [4, "done"] };

// ---- the worker, replaced after a crash --------------------------------------------------

let worker = null;
let nextId = 1;
const pending = new Map(); // id -> {resolve, reject, onProgress}

function startWorker() {
  // `?threads=N` on the page's URL sizes the threaded bundle's pool (default: every core).
  const url = new URL("./worker.js", import.meta.url);
  const threads = new URLSearchParams(location.search).get("threads");
  if (threads) url.searchParams.set("threads", threads);
  worker = new Worker(url, { type: "module" });
  worker.onmessage = (event) => {
    const m = event.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.progress !== undefined) {
      if (p.onProgress) p.onProgress(m.progress);
      return;
    }
    pending.delete(m.id);
    if (m.ok) {
      p.resolve(m.value);
    } else {
      if (m.crashed) restartWorker();
      p.reject(new Error(m.error));
    }
  };
  // An error outside a call (the script itself failed) fails every call in flight.
  worker.onerror = (event) => {
    event.preventDefault();
    restartWorker(`the worker failed: ${event.message || "unknown error"}`);
  };
}

function restartWorker(why) {
  worker.terminate();
  if (why) {
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  }
  startWorker();
}

function call(op, args, onProgress) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, op, args });
  });
}

// ---- status line -----------------------------------------------------------------------

// The status ends with `proved` / `valid` on success; an error ends with a period, so that
// a message such as "... is invalid" cannot read as `valid`.
function setStatus(text, kind) {
  els.status.textContent = text;
  els.status.className = kind || "";
}
function setError(e) {
  const msg = String(e && e.message ? e.message : e).trim();
  setStatus(`error: ${msg}${/[.)]$/.test(msg) ? "" : "."}`, "error");
}

// One computation at a time: the worker answers in order, so a second would only wait.
function busy(on) {
  for (const b of [els.run, els.prove, els.verify, els.swap]) b.disabled = on;
}

// ---- editor: compile as you type, diagnostics painted under the text ------------------

let compiled = null; // the last successful compile() answer
let compileSeq = 0;

function escapeHtml(s) {
  return s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]));
}

function paintSpans(spans) {
  const text = els.source.value;
  let html = "";
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const start = Math.max(s.start, at);
    // An empty span (end of input) still gets a visible mark.
    const end = Math.max(s.end, start + 1);
    html += escapeHtml(text.slice(at, start));
    html += `<mark>${escapeHtml(text.slice(start, end)) || " "}</mark>`;
    at = Math.min(end, text.length);
  }
  html += escapeHtml(text.slice(at)) + "\n";
  els.highlights.innerHTML = html;
  syncScroll();
}

function syncScroll() {
  els.highlights.scrollTop = els.source.scrollTop;
  els.highlights.scrollLeft = els.source.scrollLeft;
}

function showDiagnostics(list) {
  els.diagnostics.replaceChildren();
  for (const d of list) {
    const li = document.createElement("li");
    li.textContent = `${d.line}:${d.col}: ${d.message}`;
    li.title = "show in the editor";
    li.onclick = () => select(d);
    els.diagnostics.append(li);
  }
}

function select(span) {
  els.source.focus();
  els.source.setSelectionRange(span.start, Math.max(span.end, span.start));
}

async function recompile() {
  const seq = ++compileSeq;
  const source = els.source.value;
  let r;
  try {
    r = await call("compile", { source });
  } catch (e) {
    if (seq === compileSeq) setError(e);
    return null;
  }
  if (seq !== compileSeq) return null; // a newer edit is being compiled
  if (r.ok) {
    compiled = r;
    paintSpans([]);
    showDiagnostics([]);
    for (const s of STAGES) $(`stage-${s}`).textContent = r.stages[s];
    els.digest.textContent = `digest ${r.digest}`;
    showParams(r.params);
  } else {
    compiled = null;
    paintSpans(r.diagnostics);
    showDiagnostics(r.diagnostics);
    for (const s of STAGES) $(`stage-${s}`).textContent = "";
    els.digest.textContent = "";
  }
  return r;
}

// Parameters: listed with secret ones marked, and the inputs object given one entry per
// parameter (values already typed for a parameter of the same name are kept).
function showParams(params) {
  els.params.replaceChildren();
  if (params.length === 0) els.params.textContent = "main has no parameters";
  for (const p of params) {
    const span = document.createElement("span");
    span.className = p.secret ? "param secret" : "param";
    const name = p.type === "d" ? `${p.name}: d` : p.name;
    span.textContent = p.secret ? `secret ${name} (hidden in proofs)` : `${name} (public)`;
    els.params.append(span);
  }
  let old = {};
  try {
    old = JSON.parse(els.inputs.value || "{}");
  } catch (_) {
    return; // the user is editing the inputs: leave them alone
  }
  const names = params.map((p) => p.name);
  const same = Object.keys(old).length === names.length && names.every((n) => n in old);
  if (same) return;
  const next = {};
  // A digest (`d`) is a 64-hex-digit string or an array of four values.
  for (const p of params) {
    const keep = p.type === "d" ? old[p.name] !== undefined : typeof old[p.name] === "string";
    next[p.name] = keep ? old[p.name] : p.type === "d" ? ["0", "0", "0", "0"] : "0";
  }
  els.inputs.value = JSON.stringify(next);
}

let timer = null;
els.source.addEventListener("input", () => {
  paintSpans([]);
  clearTimeout(timer);
  timer = setTimeout(recompile, 250);
});
els.source.addEventListener("scroll", syncScroll);

// ---- examples --------------------------------------------------------------------------

async function loadExamples() {
  const names = await (await fetch("examples/index.json")).json();
  els.examples.replaceChildren();
  for (const n of names) {
    const o = document.createElement("option");
    o.value = n;
    o.textContent = n;
    els.examples.append(o);
  }
  const first = names.includes("min.rvm") ? "min.rvm" : names[0];
  if (first) {
    els.examples.value = first;
    await loadExample(first);
  }
}

async function loadExample(name) {
  const text = await (await fetch(`examples/${encodeURIComponent(name)}`)).text();
  els.source.value = text;
  els.inputs.value = "{}";
  els.output.textContent = "";
  await recompile();
}
els.examples.addEventListener("change", () => loadExample(els.examples.value).catch(setError));

// ---- run -------------------------------------------------------------------------------

els.run.addEventListener("click", async () => {
  busy(true);
  els.output.textContent = "";
  els.details.textContent = "";
  const engine = els.engine.value;
  setStatus(`running on ${engine}…`);
  const started = performance.now();
  try {
    const r = await call("run", { source: els.source.value, inputs: els.inputs.value, engine });
    const ms = performance.now() - started;
    if (r.ok) {
      els.output.textContent = r.output;
      const cycles = r.cycles === null ? "" : `, ${r.cycles} cycles`;
      setStatus(`ran on ${r.engine}: ${r.steps} steps${cycles}, ${ms.toFixed(1)} ms`, "good");
    } else {
      els.details.textContent = r.error;
      if (r.diagnostics && r.diagnostics.length > 0) {
        paintSpans(r.diagnostics);
        showDiagnostics(r.diagnostics);
        const d = r.diagnostics[0];
        setError(`main.rvm:${d.line}:${d.col}: ${d.message}`);
      } else {
        if (r.span) paintSpans([r.span]);
        // The rendered error's first line, and where (` --> main.rvm:L:C`) if it says.
        const at = (r.error.match(/--> (\S+)/) || [])[1];
        setError(r.error.split("\n")[0] + (at ? ` at ${at}` : ""));
      }
    }
  } catch (e) {
    setError(e);
  } finally {
    busy(false);
  }
});

// ---- prove -----------------------------------------------------------------------------

let latestProof = null; // {bytes: Uint8Array, name}

function setLatestProof(bytes, name) {
  latestProof = { bytes, name };
  if (els.download.href) URL.revokeObjectURL(els.download.href);
  els.download.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  els.download.download = name;
  els.download.classList.remove("disabled");
  els.download.removeAttribute("aria-disabled");
}

els.prove.addEventListener("click", async () => {
  busy(true);
  els.details.textContent = "";
  els.output.textContent = "";
  els.progress.hidden = false;
  els.progress.value = 0;
  const started = performance.now();
  let stage = "starting";
  setStatus("proving: starting…");
  const tick = setInterval(() => {
    setStatus(`proving: ${stage} (${((performance.now() - started) / 1000).toFixed(1)} s)…`);
  }, 100);
  try {
    const r = await call("prove", { source: els.source.value, inputs: els.inputs.value }, (s) => {
      const [n, text] = PROVE_STEPS[s] || [0, s];
      els.progress.value = n;
      stage = text;
    });
    clearInterval(tick);
    setLatestProof(r.bytes, "run.proof");
    const s = r.summary;
    els.output.textContent = s.output;
    els.details.textContent =
      `cycles ${s.cycles}, rows ${s.total_rows}, proof ${s.proof_bytes} bytes, ` +
      `trace ${s.trace_ms.toFixed(0)} ms + prove ${s.prove_ms.toFixed(0)} ms, ` +
      `${s.security} parameters (${s.security_bits} bits), public inputs ${JSON.stringify(s.public_inputs)}`;
    setStatus(`${(r.ms / 1000).toFixed(2)} s, ${(s.proof_bytes / 1024).toFixed(0)} KB: proved`, "good");
  } catch (e) {
    clearInterval(tick);
    setError(e);
  } finally {
    els.progress.hidden = true;
    busy(false);
  }
});

// ---- verify: the latest proof made here or loaded from a file ------------------------------

async function verifyLatest() {
  if (!latestProof) {
    setError("no proof yet: prove a run, or drop a proof file on the page");
    return;
  }
  busy(true);
  setStatus(`verifying ${latestProof.name}…`);
  try {
    const r = await call("verify", { source: els.source.value, proof: latestProof.bytes });
    if (r.valid) {
      els.details.textContent =
        `program ${r.program}\npublic inputs ${JSON.stringify(r.public_inputs)}, output ${r.output}, ` +
        `cycles ${r.cycles}, ${r.security} parameters (${r.security_bits} bits, conjectured)`;
      setStatus(`${latestProof.name} shows output ${r.output}: valid`, "good");
    } else {
      setError(`proof rejected: ${r.error}`);
    }
  } catch (e) {
    setError(e);
  } finally {
    busy(false);
  }
}
els.verify.addEventListener("click", verifyLatest);

async function loadProofFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  setLatestProof(bytes, file.name);
  setStatus(`loaded ${file.name} (${bytes.length} bytes): press Verify`);
}
els.proofFile.addEventListener("change", () => {
  const f = els.proofFile.files[0];
  if (f) loadProofFile(f).catch(setError);
  els.proofFile.value = "";
});

// A proof file dropped anywhere on the page is loaded and verified.
let dragDepth = 0;
window.addEventListener("dragenter", (e) => { e.preventDefault(); dragDepth++; els.dropzone.hidden = false; });
window.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; els.dropzone.hidden = true; } });
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", async (e) => {
  e.preventDefault();
  dragDepth = 0;
  els.dropzone.hidden = true;
  const f = e.dataTransfer && e.dataTransfer.files[0];
  if (!f) return;
  try {
    await loadProofFile(f);
    await verifyLatest();
  } catch (err) {
    setError(err);
  }
});

// ---- the resource machine's swap demo, on a ledger in the worker's memory ------------------

// #swap-status ends with `balanced tx applied` on success; a failure reads `error: …`.
els.swap.addEventListener("click", async () => {
  busy(true);
  const backend = els.swapBackend.value;
  els.swapLog.textContent = "";
  els.swapResult.textContent = "";
  els.swapStatus.className = "";
  const started = performance.now();
  let last = "starting";
  const tick = setInterval(() => {
    els.swapStatus.textContent = `running (${backend}, ${((performance.now() - started) / 1000).toFixed(0)} s): ${last}…`;
  }, 250);
  try {
    const r = await call("swap", { backend }, (line) => {
      els.swapLog.textContent += line + "\n";
      last = line.trim();
    });
    clearInterval(tick);
    const rep = r.report;
    els.swapResult.textContent =
      `new root ${rep.root}\n` +
      `commitments (${rep.commitments.length}):\n${rep.commitments.map((c) => `  ${c}`).join("\n")}\n` +
      `nullifiers (${rep.nullifiers.length}):\n${rep.nullifiers.map((n) => `  ${n}`).join("\n")}\n` +
      `double spend refused: ${rep.refused}`;
    els.swapStatus.textContent =
      `${rep.backend}, ${(r.ms / 1000).toFixed(1)} s, ${rep.transactions} transactions, the double spend refused; balanced tx applied`;
    els.swapStatus.className = "good";
  } catch (e) {
    clearInterval(tick);
    const msg = String(e && e.message ? e.message : e).trim();
    els.swapStatus.textContent = `error: ${msg}${/[.)]$/.test(msg) ? "" : "."}`;
    els.swapStatus.className = "error";
  } finally {
    busy(false);
  }
});

// ---- start -----------------------------------------------------------------------------

startWorker();
loadExamples()
  .then(() => {
    if (!els.status.classList.contains("error")) setStatus("ready");
  })
  .catch(setError);
// #threads: how many threads prove (`N threads`, or `1 thread` for the unthreaded bundle).
call("threads", {})
  .then((n) => {
    els.threads.textContent = `WebAssembly, ${n} ${n === 1 ? "thread" : "threads"}`;
  })
  .catch(() => {
    els.threads.textContent = "unavailable";
  });
