// The outbox and the sync loop. Every record gets its id here, on the phone,
// and waits in the outbox until the server has answered for it; resending a
// batch whose reply was lost changes nothing on the server (ids are the key).
// Pulls use the server's cursor, so two phones of one patient converge.
import * as api from "./api.js";
import * as store from "./store.js";

// API record types and their sections in POST/GET /api/v1/sync/.
export const SECTIONS = { entry: "entries", patch: "patches", day_log: "day_logs", impression: "impressions" };
const BATCH = 500; // the API's limit per request
const DONE = new Set(["created", "unchanged", "updated", "deleted"]);
const MAX_DELAY = 5 * 60 * 1000;

let running = null;
let timer = null;
let delay = 0;
export const state = { online: navigator.onLine, lastSync: null, failing: false };

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function changed() {
  window.dispatchEvent(new CustomEvent("diary:changed"));
}

// Save a new or edited record on the phone and queue it for the server.
export async function save(type, data) {
  const record = (await store.get("records", data.id)) || null;
  const pending = await store.get("outbox", data.id);
  // base_version: the version this edit started from (v1.1 conflicts); kept
  // from the first pending write so a second edit offline is judged the same.
  const base = pending ? pending.base_version : record && record.version;
  await store.transaction(["records", "outbox"], (stores) => {
    stores.records.put({ id: data.id, type, data, version: record ? record.version : null });
    stores.outbox.put({ id: data.id, type, op: "upsert", data, base_version: base ?? null, seq: Date.now() + Math.random() });
  });
  changed();
  soon();
}

export async function remove(type, id) {
  const record = await store.get("records", id);
  const pending = await store.get("outbox", id);
  const neverSent = pending && pending.op === "upsert" && !(record && record.version != null) && !pending.sent;
  await store.transaction(["records", "outbox"], (stores) => {
    stores.records.delete(id);
    if (neverSent) stores.outbox.delete(id);
    else stores.outbox.put({ id, type, op: "delete", base_version: pending ? pending.base_version : record && record.version, seq: Date.now() + Math.random() });
  });
  changed();
  soon();
}

export async function pendingCount() {
  return store.count("outbox");
}

export function soon(ms = 0) {
  clearTimeout(timer);
  timer = setTimeout(() => now().catch(() => {}), ms);
}

// Sync now (at start, on reconnect, on demand, after a save); backs off while failing.
export function now() {
  if (!running) {
    running = run().finally(() => {
      running = null;
      changed();
    });
  }
  return running;
}

async function run() {
  if (!api.loggedIn()) return;
  try {
    await push();
    await pull();
    await fetchReminders();
    delay = 0;
    state.failing = false;
    state.lastSync = new Date();
  } catch (error) {
    if (error instanceof api.ApiError && error.status < 500 && error.status !== 429) {
      state.failing = true;
      throw error;
    }
    state.failing = true;
    delay = Math.min(Math.max(delay * 2, 2000), MAX_DELAY);
    soon(delay);
  }
}

// Due check-ins and the daily reminder, kept so they show offline too.
// A failure here never fails the sync: the last known reminders stay.
async function fetchReminders() {
  try {
    await store.put("meta", await api.call("GET", "/api/v1/reminders/due/"), "reminders");
  } catch (error) {
    console.warn("reminders not fetched", error);
  }
}

function itemOf(row) {
  const item = { ...row.data };
  if (row.base_version != null) item.base_version = row.base_version;
  return item;
}

async function push() {
  for (;;) {
    const rows = (await store.all("outbox")).sort((a, b) => a.seq - b.seq).slice(0, BATCH);
    if (!rows.length) return;
    const batch = Object.fromEntries([...Object.values(SECTIONS), "deleted"].map((key) => [key, []]));
    const sent = Object.fromEntries([...Object.values(SECTIONS), "deleted"].map((key) => [key, []]));
    for (const row of rows) {
      const key = row.op === "delete" ? "deleted" : SECTIONS[row.type];
      batch[key].push(row.op === "delete" ? deletion(row) : itemOf(row));
      sent[key].push(row);
      if (!row.sent) await store.put("outbox", { ...row, sent: true });
    }
    const results = await api.call("POST", "/api/v1/sync/", batch);
    for (const key of Object.keys(sent)) {
      const answers = results[key] || [];
      for (const [index, row] of sent[key].entries()) await settle(row, answers[index]);
    }
  }
}

function deletion(row) {
  const item = { type: row.type, id: row.id };
  if (row.base_version != null) item.base_version = row.base_version;
  return item;
}

// The stored record of a conflict: `current` (a day log of that day, a PGIC
// answer) or `error.current` (a stale base_version).
function storedRecord(result) {
  return result.current || (result.error && result.error.current) || null;
}

// One item's answer: done, a conflict, or an error the patient has to see.
async function settle(row, result) {
  if (!result) return;
  const current = await store.get("outbox", row.id);
  const superseded = current && current.seq !== row.seq; // edited again while in flight
  if (DONE.has(result.status) || (row.op === "delete" && result.error && result.error.code === "not_found")) {
    if (!superseded) await store.remove("outbox", row.id);
    if (row.op !== "delete" && result.version != null) {
      const record = await store.get("records", row.id);
      if (record) await store.put("records", { ...record, version: result.version });
    }
    return;
  }
  const theirs = storedRecord(result);
  await store.transaction(["records", "outbox", "problems"], (stores) => {
    if (!superseded) stores.outbox.delete(row.id);
    if (theirs) {
      // A day log of the same day from elsewhere has an id of its own: it replaces ours.
      if (theirs.id && theirs.id !== row.id) stores.records.delete(row.id);
      stores.records.put({ id: theirs.id || row.id, type: row.type, data: theirs, version: theirs.version ?? null });
    }
    stores.problems.put({
      id: row.id,
      type: row.type,
      kind: result.status === "conflict" ? "conflict" : "error",
      op: row.op,
      mine: row.data || null,
      theirs,
      message: (result.error && result.error.message) || "",
      fields: (result.error && result.error.fields) || {},
      at: new Date().toISOString(),
    });
  });
}

async function pull() {
  let cursor = (await store.get("meta", "cursor")) || "";
  for (;;) {
    let page;
    try {
      page = await api.call("GET", `/api/v1/sync/${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
    } catch (error) {
      if (error instanceof api.ApiError && error.code === "invalid_cursor" && cursor) {
        cursor = "";
        continue;
      }
      throw error;
    }
    const pending = new Set((await store.all("outbox")).map((row) => row.id));
    await store.transaction(["records", "meta"], (stores) => {
      for (const [type, key] of Object.entries(SECTIONS)) {
        for (const data of page[key] || []) {
          // A write of ours still waiting wins here; the server judges it on push.
          if (!pending.has(data.id)) stores.records.put({ id: data.id, type, data, version: data.version ?? null });
        }
      }
      for (const tombstone of page.deleted || []) {
        if (!pending.has(tombstone.id)) stores.records.delete(tombstone.id);
      }
      stores.meta.put(page.cursor, "cursor");
    });
    cursor = page.cursor;
    if (!page.has_more) return;
  }
}

// The patient's answer to a problem: send mine again over theirs, or drop mine.
export async function resolveProblem(id, keepMine) {
  const problem = await store.get("problems", id);
  if (!problem) return;
  await store.remove("problems", id);
  if (keepMine && problem.mine) {
    const base = problem.theirs ? problem.theirs.version : null;
    // Mine goes over theirs: under their id when the record is theirs (a day log of that day).
    const target = (problem.theirs && problem.theirs.id) || id;
    const data = { ...problem.mine, id: target };
    await store.transaction(["records", "outbox"], (stores) => {
      stores.records.put({ id: target, type: problem.type, data, version: base ?? null });
      stores.outbox.put({ id: target, type: problem.type, op: "upsert", data, base_version: base ?? null, seq: Date.now() });
    });
    soon();
  }
  changed();
}

window.addEventListener("online", () => {
  state.online = true;
  delay = 0;
  changed();
  soon();
});
window.addEventListener("offline", () => {
  state.online = false;
  changed();
});
