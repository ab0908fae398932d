// The phone's own copy of the diary in IndexedDB: it survives reloads, closed
// tabs and days without a connection.
//   meta     key/value: auth tokens, sync cursor, language, profile
//   records  every entry and treatment this phone knows ({id, type, data, version})
//   outbox   one pending write per record ({id, type, op, data, base_version, seq})
//   problems writes the server refused or found in conflict, shown until the patient decides

const NAME = "symptom-diary";
const VERSION = 1;
let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("meta");
        db.createObjectStore("records", { keyPath: "id" });
        db.createObjectStore("outbox", { keyPath: "id" });
        db.createObjectStore("problems", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function objectStore(name, mode = "readonly") {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

export async function get(name, key) {
  return done((await objectStore(name)).get(key));
}

export async function all(name) {
  return done((await objectStore(name)).getAll());
}

export async function count(name) {
  return done((await objectStore(name)).count());
}

export async function put(name, value, key) {
  const store = await objectStore(name, "readwrite");
  return done(key === undefined ? store.put(value) : store.put(value, key));
}

export async function remove(name, key) {
  return done((await objectStore(name, "readwrite")).delete(key));
}

// Several writes that must happen together (a record and its outbox row).
export async function transaction(names, fn) {
  const db = await open();
  const tx = db.transaction(names, "readwrite");
  const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
  fn(stores);
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function clearAll() {
  await transaction(["meta", "records", "outbox", "problems"], (stores) => {
    for (const store of Object.values(stores)) store.clear();
  });
}
