// The playground's worker: owns the WebAssembly module, so compiling, running and proving
// never block the page. Messages in: {id, op, args}; out: {id, ok, value} or {id, ok: false,
// error, crashed}, and {id, progress} during a proof or the swap demo. After a crash (a trap: a panic, or an
// allocation beyond the page's memory) the module's state is lost: the page replaces this
// worker.
import init, * as resvm from "./pkg/resvm_web.js";

// The threaded bundle (built with wasm atomics, `scripts/build-playground.sh`) proves on a
// pool of Web Workers sharing the module's memory: as many as the machine has cores, or
// `?threads=N` on the page's URL (passed on in this worker's URL). A bundle built without
// threads proves on this worker alone.
const requested = Number.parseInt(new URL(self.location.href).searchParams.get("threads") || "", 10);
const ready = (async () => {
  const exports = await init({ module_or_path: new URL("./pkg/resvm_web_bg.wasm", import.meta.url) });
  let threads = 1;
  if (resvm.threaded()) {
    threads = requested > 0 ? Math.min(requested, 64) : (navigator.hardwareConcurrency || 1);
    await resvm.initThreadPool(threads);
  }
  return { exports, threads };
})();

// Memory above which a trap without a panic message is taken to be an allocation failure
// (wasm32 addresses at most 4 GiB; the allocator fails some way below that).
const OOM_HINT_BYTES = 1 << 30;

let threadCount = 1;
ready.then((r) => { threadCount = r.threads; }, () => {});

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  let exports;
  try {
    ({ exports } = await ready);
  } catch (e) {
    self.postMessage({ id, ok: false, crashed: true, error: `cannot load the WebAssembly module: ${e}` });
    return;
  }
  try {
    self.postMessage({ id, ok: true, value: call(id, op, args) });
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      self.postMessage({ id, ok: false, crashed: true, error: crashMessage(e, exports) });
    } else {
      self.postMessage({ id, ok: false, error: e && e.message ? e.message : String(e) });
    }
  }
};

function call(id, op, args) {
  switch (op) {
    case "compile":
      return JSON.parse(resvm.compile(args.source));
    case "run":
      return JSON.parse(resvm.run(args.source, args.inputs, args.engine));
    case "prove": {
      const started = performance.now();
      const proved = resvm.prove(args.source, args.inputs, (stage) => self.postMessage({ id, progress: stage }));
      const ms = performance.now() - started;
      const bytes = proved.bytes;
      const summary = JSON.parse(proved.summary);
      proved.free();
      return { bytes, summary, ms };
    }
    case "swap": {
      const started = performance.now();
      const report = JSON.parse(resvm.swap_demo(args.backend, (line) => self.postMessage({ id, progress: line })));
      return { report, ms: performance.now() - started };
    }
    case "verify":
      return JSON.parse(resvm.verify(args.source, args.proof));
    case "max_cycles":
      return resvm.max_cycles();
    case "threads":
      return threadCount;
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

function crashMessage(e, exports) {
  let panic = null;
  try {
    panic = resvm.take_panic();
  } catch (_) {
    // The module is too broken to answer: the memory figure below still tells.
  }
  const bytes = exports && exports.memory ? exports.memory.buffer.byteLength : 0;
  const mib = Math.round(bytes / (1 << 20));
  if (panic) {
    return `internal error (the WebAssembly module panicked): ${panic}`;
  }
  if (e instanceof RangeError || bytes >= OOM_HINT_BYTES) {
    return `out of memory: the run needs more than the page's WebAssembly memory (${mib} MiB in use, at most 4 GiB); prove a shorter run here, or use \`resvm prove\``;
  }
  return `the WebAssembly module stopped (${e.message}; ${mib} MiB in use)`;
}
