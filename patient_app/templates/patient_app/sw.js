/* The patient app's service worker: the shell opens with no connection.
   Release {{ release }}: a new release fetches every file again. */
const CACHE = "diary-app-{{ release }}";
const PRECACHE = [{% for url in precache %}"{{ url|escapejs }}",{% endfor %}];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      // cache: "reload" skips the HTTP cache: a new release gets the new files.
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })))).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("diary-app-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The API is never cached here: the app keeps its own data in IndexedDB.
  if (url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/app/")) {
    // Every screen is the same shell: fresh when online, the cached one offline.
    event.respondWith(
      fetch(request).catch(() => caches.match("/app/", { cacheName: CACHE, ignoreVary: true }))
    );
    return;
  }
  event.respondWith(
    // ignoreVary: the server varies on Accept-Language and Cookie; the shell's files do not.
    caches.match(request, { cacheName: CACHE, ignoreSearch: true, ignoreVary: true }).then(
      (hit) => hit || fetch(request)
    )
  );
});
