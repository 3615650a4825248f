// Storekeeper service worker (rendered by app/pwa/routes.py). Cache version {{ version }}.
//
// - Install: precache the app shell and the offline page under a cache named by the content version; the camera
//   decoder too, best effort, so scanning works without a connection.
// - Versioned static files (?v=<content hash>): cache first — a new version is a new URL.
// - Pages: network first; a successful page is kept so it can be reopened offline; without network the kept page,
//   else the offline page. Sign-out (the login page) forgets the kept pages.
// - htmx requests and every POST go to the network untouched: the offline queue (queue.js) handles scan actions.
"use strict";
const VERSION = {{ version|tojson }};
const SHELL_CACHE = "sk-shell-" + VERSION;
const PAGE_CACHE = "sk-pages-" + VERSION;
const OFFLINE_URL = {{ offline_url|tojson }};
const SHELL = {{ shell|tojson }};
const DECODER = {{ decoder|tojson }};
const LOGIN_URL = {{ login_url|tojson }};
const LOGOUT_URL = {{ logout_url|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll([...SHELL, OFFLINE_URL]);
    try {
      await cache.addAll(DECODER);
    } catch (err) {
      // Without the decoder the camera needs a connection the first time; everything else works.
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("sk-") && name !== SHELL_CACHE && name !== PAGE_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "forget-pages") event.waitUntil(caches.delete(PAGE_CACHE));
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const cached = await caches.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw err;
  }
}

async function page(request, url) {
  try {
    const response = await fetch(request);
    const type = response.headers.get("Content-Type") || "";
    if (url.pathname === LOGIN_URL) {
      await caches.delete(PAGE_CACHE); // signed out (or never in): kept pages belong to nobody now
    } else if (response.ok && !response.redirected && response.type === "basic" && type.startsWith("text/html")) {
      const cache = await caches.open(PAGE_CACHE);
      await cache.put(url.pathname + url.search, response.clone());
    }
    return response;
  } catch (err) {
    const cache = await caches.open(PAGE_CACHE);
    const kept = await cache.match(url.pathname + url.search, { ignoreVary: true });
    if (kept) return kept;
    const offline = await caches.match(OFFLINE_URL, { ignoreVary: true });
    return offline || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === LOGOUT_URL) {
    event.waitUntil(caches.delete(PAGE_CACHE)); // signing out: kept pages belong to nobody now
    return;
  }
  if (request.method !== "GET") return;
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(url.searchParams.has("v") ? cacheFirst(request) : networkFirst(request));
  }
});
